import { readFileSync } from 'node:fs';
import { MemoryStore } from '@tokenstore/cache';
import { parseCassandraUrl } from '@tokenstore/cassandra';
import {
  isTokenStoreError,
  MAX_PURGE_INTERVAL_SECONDS,
  MAX_VALIDITY_SECONDS,
  normalizeScopes,
  TokenService,
  type TokenServiceOptions,
} from '@tokenstore/core';
import { type DatabaseKind, parseDatabaseUrl } from '@tokenstore/rdbms';
import { type ClientConfig, readClients, readUsers, type UserConfig } from './config/clients.js';
import { ConfigError, detailOf } from './config/config-error.js';
import { type Environment, printable, readBoolean, readInteger, readString, readValidity } from './config/env-values.js';
import { PROTECTION_VARIABLES, type ProtectionConfig, readProtection } from './config/protection.js';

export { type ClientConfig, DEFAULT_CLIENT_GRANTS, GRANT_TYPES, type GrantType, type UserConfig } from './config/clients.js';
export { ConfigError } from './config/config-error.js';
export type { Environment } from './config/env-values.js';
export { PROTECTION_MODES, PROTECTION_VARIABLES, type ProtectionConfig, type ProtectionMode } from './config/protection.js';

/** Where tokens are kept, from `TOKENSTORE_URL`. The URL may hold a password: print {@link BackendConfig.label}, never `url`. */
export type BackendConfig =
  | { kind: 'memory'; label: string }
  | { kind: 'sql'; database: DatabaseKind; url: string; label: string }
  | { kind: 'cassandra'; url: string; label: string };

/** A read cache in front of a remote store (`TOKENSTORE_READ_CACHE_TTL_MS` > 0). */
export interface ReadCacheConfig {
  ttlMs: number;
  maxEntries: number;
}

/** Everything the commands read from the environment, validated. */
export interface CliConfig {
  backend: BackendConfig;
  host: string;
  port: number;
  /** `undefined` when `TOKENSTORE_CLIENTS` is unset. */
  clients: ClientConfig[] | undefined;
  /** `undefined` when `TOKENSTORE_USERS` is unset. */
  users: UserConfig[] | undefined;
  /** `TOKENSTORE_SCOPES`: scopes every client may request, on top of its own. Default none. */
  scopes: string[];
  /** `TOKENSTORE_ISSUER`: the issuer of the server's RFC 8414 metadata; unset = the URL it listens on. */
  issuer: string | undefined;
  /** `TOKENSTORE_METRICS_PORT`: `serve` exposes OpenTelemetry metrics for Prometheus there; unset = off. */
  metricsPort: number | undefined;
  protection: ProtectionConfig;
  /** TokenService options from the environment (the store, clock and protector are added when the service is built). */
  service: Omit<TokenServiceOptions, 'store' | 'clock' | 'protector' | 'events'>;
  readCache: ReadCacheConfig | undefined;
  /** `TOKENSTORE_MIGRATE`: apply the schema when `serve` opens the store. */
  migrateOnStart: boolean;
}

/** Every variable the CLI reads, for `--help` and the README. */
export const CONFIG_VARIABLES = {
  url: 'TOKENSTORE_URL',
  port: 'PORT',
  host: 'HOST',
  clients: 'TOKENSTORE_CLIENTS',
  users: 'TOKENSTORE_USERS',
  scopes: 'TOKENSTORE_SCOPES',
  issuer: 'TOKENSTORE_ISSUER',
  metricsPort: 'TOKENSTORE_METRICS_PORT',
  reuse: 'TOKENSTORE_REUSE',
  accessTokenValidity: 'TOKENSTORE_ACCESS_TOKEN_VALIDITY',
  userAccessTokenValidity: 'TOKENSTORE_USER_ACCESS_TOKEN_VALIDITY',
  refreshTokenValidity: 'TOKENSTORE_REFRESH_TOKEN_VALIDITY',
  codeValidity: 'TOKENSTORE_CODE_VALIDITY',
  refreshGrace: 'TOKENSTORE_REFRESH_GRACE_PERIOD',
  refreshMaxReuse: 'TOKENSTORE_REFRESH_MAX_REUSE',
  retention: 'TOKENSTORE_RETENTION',
  expiredRetention: 'TOKENSTORE_EXPIRED_RETENTION',
  purgeInterval: 'TOKENSTORE_PURGE_INTERVAL',
  purgeBatchSize: 'TOKENSTORE_PURGE_BATCH_SIZE',
  purgeTimeBudget: 'TOKENSTORE_PURGE_TIME_BUDGET_MS',
  purgePause: 'TOKENSTORE_PURGE_PAUSE_MS',
  readCacheTtl: 'TOKENSTORE_READ_CACHE_TTL_MS',
  readCacheMaxEntries: 'TOKENSTORE_READ_CACHE_MAX_ENTRIES',
  migrate: 'TOKENSTORE_MIGRATE',
  ...PROTECTION_VARIABLES,
} as const;

const C = CONFIG_VARIABLES;
const MAX_RETENTION = Math.floor((2 ** 31 - 1) / 1000);

export interface LoadConfigOptions {
  /** Reads the clients file and RSA PEM files; default `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
}

/**
 * Reads and validates the configuration from `env`. Throws a {@link ConfigError} naming the variable
 * on the first bad value; secrets, keys and URLs are never repeated in it.
 */
export function loadConfig(env: Environment, options: LoadConfigOptions = {}): CliConfig {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const backend = readBackend(env);
  const port = readInteger(env, C.port, { min: 0, max: 65535, fallback: 8080 })!;
  const host = readString(env, C.host) ?? '127.0.0.1';
  if (/\s/.test(host) || host.includes('/'))
    throw new ConfigError(C.host, `must be a host name or an IP address, got "${printable(host)}"`);
  const clients = readClients(env, readFile);
  const users = readUsers(env);
  const scopes = readScopes(env);
  const issuer = readIssuer(env);
  const metricsPort = readInteger(env, C.metricsPort, { min: 1, max: 65535 });
  if (metricsPort !== undefined && metricsPort === port)
    throw new ConfigError(C.metricsPort, `must differ from ${C.port} (${port}): the metrics have their own listener`);
  const protection = readProtection(env, readFile);

  const accessValidity = readValidity(env, C.accessTokenValidity, MAX_VALIDITY_SECONDS);
  const userValidity = readValidity(env, C.userAccessTokenValidity, MAX_VALIDITY_SECONDS) ?? accessValidity;
  const validity = stripUndefined({
    applicationAccessToken: accessValidity,
    userAccessToken: userValidity,
    refreshToken: readValidity(env, C.refreshTokenValidity, MAX_VALIDITY_SECONDS),
    authorizationCode: readValidity(env, C.codeValidity, MAX_VALIDITY_SECONDS),
  });
  const service: CliConfig['service'] = {
    validity,
    reuseTokens: readBoolean(env, C.reuse, false),
    refresh: stripUndefined({
      gracePeriodSeconds: readInteger(env, C.refreshGrace, { min: 0, max: MAX_VALIDITY_SECONDS, what: 'seconds' }),
      maxReuseCount: readInteger(env, C.refreshMaxReuse, { min: 0, max: 1_000_000 }),
    }),
    retention: stripUndefined({
      inactiveSeconds: readInteger(env, C.retention, { min: 0, max: MAX_RETENTION, what: 'seconds' }),
      expiredSeconds: readInteger(env, C.expiredRetention, { min: 0, max: MAX_RETENTION, what: 'seconds' }),
    }),
    purge: stripUndefined({
      intervalSeconds: readInteger(env, C.purgeInterval, { min: 0, max: MAX_PURGE_INTERVAL_SECONDS, what: 'seconds (0 = off)' }),
      batchSize: readInteger(env, C.purgeBatchSize, { min: 1, max: 100_000 }),
      timeBudgetMs: readInteger(env, C.purgeTimeBudget, { min: 1, max: 3_600_000, what: 'milliseconds' }),
      pauseMs: readInteger(env, C.purgePause, { min: 0, max: 60_000, what: 'milliseconds' }),
    }),
  };
  checkServiceOptions(service, protection, env);

  const readCacheTtl = readInteger(env, C.readCacheTtl, { min: 0, max: 2 ** 31 - 1, fallback: 0, what: 'milliseconds (0 = off)' })!;
  const readCacheMax = readInteger(env, C.readCacheMaxEntries, { min: 1, max: 2 ** 24 });
  if (readCacheMax !== undefined && readCacheTtl === 0)
    throw new ConfigError(C.readCacheMaxEntries, `is only used with ${C.readCacheTtl} > 0`);
  if (readCacheTtl > 0 && backend.kind === 'memory')
    throw new ConfigError(C.readCacheTtl, `a read cache only helps in front of a remote store; ${C.url} is memory:`);
  const readCache = readCacheTtl > 0 ? { ttlMs: readCacheTtl, maxEntries: readCacheMax ?? 10_000 } : undefined;

  return {
    backend,
    host,
    port,
    clients,
    users,
    scopes,
    issuer,
    metricsPort,
    protection,
    service,
    readCache,
    migrateOnStart: readBoolean(env, C.migrate, false),
  };
}

/** `TOKENSTORE_SCOPES`: scope tokens separated by spaces or commas; `device_*` allows every `device_<id>`. */
function readScopes(env: Environment): string[] {
  const value = readString(env, C.scopes);
  if (value === undefined) return [];
  try {
    return normalizeScopes(
      C.scopes,
      value.split(/[\s,]+/).filter((scope) => scope.length > 0),
    );
  } catch (error) {
    throw new ConfigError(C.scopes, detailOf(error));
  }
}

/** `TOKENSTORE_ISSUER`: an http(s) URL without query or fragment (RFC 8414 §2). */
function readIssuer(env: Environment): string | undefined {
  const value = readString(env, C.issuer);
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new ConfigError(C.issuer, `must be an absolute http(s) URL, got "${printable(value)}"`);
  if (value.includes('?') || value.includes('#')) throw new ConfigError(C.issuer, 'must have no query and no fragment (RFC 8414 §2)');
  return value;
}

/** `TOKENSTORE_URL`: `memory:` (default), a SQL URL (parseDatabaseUrl) or `cassandra://…` (parseCassandraUrl). */
function readBackend(env: Environment): BackendConfig {
  const url = readString(env, C.url) ?? 'memory:';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'memory') {
    if (!/^memory:(\/\/)?$/i.test(url)) throw new ConfigError(C.url, 'memory: takes no host, path or parameters');
    return { kind: 'memory', label: 'memory' };
  }
  if (scheme === 'cassandra') {
    try {
      const parsed = parseCassandraUrl(url);
      if (parsed.localDataCenter === undefined)
        throw new ConfigError(C.url, 'a cassandra:// URL needs the local data centre: ?dc=<name> (e.g. ?dc=datacenter1)');
      return { kind: 'cassandra', url, label: `cassandra://${parsed.contactPoints.join(',')}/${parsed.keyspace ?? 'tokenstore'}` };
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(C.url, detailOf(error));
    }
  }
  if (scheme === undefined)
    throw new ConfigError(C.url, 'must be a URL: memory:, postgres://, mysql://, mariadb://, mssql://, oracle://, db2:// or cassandra://');
  try {
    const parsed = parseDatabaseUrl(url);
    const where = parsed.connectionUrl;
    return { kind: 'sql', database: parsed.kind, url, label: `${parsed.kind}://${where.host}${where.pathname}` };
  } catch (error) {
    if (isTokenStoreError(error) && /unsupported scheme/.test(error.message))
      throw new ConfigError(
        C.url,
        `unsupported scheme "${printable(scheme)}:"; expected memory:, postgres://, mysql://, mariadb://, mssql://, oracle://, db2:// or cassandra://`,
      );
    throw new ConfigError(C.url, detailOf(error));
  }
}

/**
 * Lets core validate the service options (it is the one place policy lives), by building a throwaway
 * service on an empty in-memory store, and names the variable behind a refused option.
 */
function checkServiceOptions(service: CliConfig['service'], protection: ProtectionConfig, env: Environment): void {
  let probe: TokenService | undefined;
  try {
    probe = new TokenService({
      ...service,
      purge: { ...service.purge, intervalSeconds: 0 },
      store: new MemoryStore(),
      protector: protection.protector,
    });
  } catch (error) {
    if (!isTokenStoreError(error)) throw error;
    const field = error.field ?? '';
    if (field === 'reuseTokens')
      throw new ConfigError(
        `${C.reuse}, ${C.mode}`,
        `${C.reuse}=true cannot be combined with ${C.mode}=${protection.mode}${protection.fallback.length > 0 ? ` (${C.fallback}=${protection.fallback.join(',')})` : ''}: ${detailOf(error)}`,
      );
    const variable = variableOfServiceField(field, env);
    throw new ConfigError(variable, detailOf(error));
  } finally {
    void probe?.close();
  }
}

/** The variable behind each TokenService option the CLI sets (core names the option it refuses). */
const SERVICE_FIELD_VARIABLES: Readonly<Record<string, string>> = {
  'validity.applicationAccessToken': C.accessTokenValidity,
  'validity.userAccessToken': C.userAccessTokenValidity,
  'validity.refreshToken': C.refreshTokenValidity,
  'validity.authorizationCode': C.codeValidity,
  'refresh.gracePeriodSeconds': C.refreshGrace,
  'refresh.maxReuseCount': C.refreshMaxReuse,
  'retention.inactiveSeconds': C.retention,
  'retention.expiredSeconds': C.expiredRetention,
  'purge.intervalSeconds': C.purgeInterval,
  'purge.batchSize': C.purgeBatchSize,
  'purge.timeBudgetMs': C.purgeTimeBudget,
  'purge.pauseMs': C.purgePause,
};

function variableOfServiceField(field: string, env: Environment): string {
  // The user-token validity falls back to the access-token one when its own variable is unset.
  if (field === 'validity.userAccessToken' && readString(env, C.userAccessTokenValidity) === undefined) return C.accessTokenValidity;
  return SERVICE_FIELD_VARIABLES[field] ?? (field || 'configuration');
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

import { MAX_PURGE_LIMIT } from '../backend/store-input.js';
import type { Clock } from '../clock.js';
import { MisconfigurationError } from '../errors.js';
import type { TokenStoreEventEmitter } from '../events.js';
import type { Protector } from '../protection/protector.js';
import { DEFAULT_RETENTION, type Retention, type TokenStore } from '../store.js';
import { MAX_IDENTIFIER_LENGTH, MAX_VALIDITY_SECONDS } from '../validation.js';

/** Longest purge interval: Node timers overflow past 2^31-1 ms and then fire after 1 ms, i.e. constantly. */
export const MAX_PURGE_INTERVAL_SECONDS = Math.floor(0x7fffffff / 1000);

/** Default validities in seconds; a negative value means "never expires". */
export interface ValidityDefaults {
  /** Application (client credentials) access tokens. Default 3600. */
  applicationAccessToken: number;
  /** User access tokens. Default 3600. */
  userAccessToken: number;
  /** Refresh tokens. Default 86400 (one day). */
  refreshToken: number;
  /** Authorization codes. Default 300. */
  authorizationCode: number;
}

export interface RefreshOptions {
  /** Seconds after rotation during which the old refresh token may still be presented. Default 0. */
  gracePeriodSeconds: number;
  /** How many times it may be presented again inside the grace period. Default 0. */
  maxReuseCount: number;
}

/** How long purge keeps rows: see {@link Retention} (defined with the store contract, which hands it to the store). */
export type RetentionOptions = Retention;

export interface PurgeOptions {
  /** Seconds between runs; 0 (the default) switches the background purger off. */
  intervalSeconds: number;
  /** Rows deleted per batch (per statement). Default 1000. */
  batchSize: number;
  /** Milliseconds a run may spend before it stops and reports a backlog. Default 5000. */
  timeBudgetMs: number;
  /**
   * Milliseconds to wait between two batches of a run, so a long purge leaves the database room for
   * foreground traffic (validation latency while a backlog is purged). Counts against `timeBudgetMs`.
   * Default 0 (no pause).
   */
  pauseMs?: number;
  /** Identifies this node in the purge lease. Default: a random id. */
  owner?: string;
}

export interface TokenServiceOptions {
  store: TokenStore;
  clock?: Clock;
  /** How values are protected at rest. Default: plain. Built with `createProtector()`. */
  protector?: Protector;
  validity?: Partial<ValidityDefaults>;
  /** Return the existing ACTIVE token for the same client, user, user type and scope set. Default false. */
  reuseTokens?: boolean;
  refresh?: Partial<RefreshOptions>;
  retention?: Partial<RetentionOptions>;
  purge?: Partial<PurgeOptions>;
  /** Refuse tokens and codes for consumer keys that are not registered. Default true. */
  requireRegisteredClient?: boolean;
  /** Share an emitter (e.g. with a rewrap job); one is created otherwise. */
  events?: TokenStoreEventEmitter;
}

export interface ResolvedServiceOptions {
  validity: ValidityDefaults;
  reuseTokens: boolean;
  refresh: RefreshOptions;
  retention: RetentionOptions;
  purge: PurgeOptions;
  requireRegisteredClient: boolean;
}

export const DEFAULT_VALIDITY: ValidityDefaults = {
  applicationAccessToken: 3600,
  userAccessToken: 3600,
  refreshToken: 86400,
  authorizationCode: 300,
};

function validityOption(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value === 0 || value > MAX_VALIDITY_SECONDS)
    throw new MisconfigurationError(
      name,
      `must be a non-zero whole number of seconds up to ${MAX_VALIDITY_SECONDS} (negative = never expires)`,
    );
  return value;
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new MisconfigurationError(name, 'must be a non-negative whole number');
  return value;
}

function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new MisconfigurationError(name, 'must be a positive whole number');
  if (value > max) throw new MisconfigurationError(name, `must be at most ${max}`);
  return value;
}

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new MisconfigurationError(name, 'must be a boolean');
  return value;
}

/**
 * The given fields of an options section. A section that is not an object, or a misspelt field
 * (e.g. `validity.userAccessTokenValidity`, the name of a per-client override), would otherwise be
 * ignored silently and leave the default in force.
 */
function section<T extends object>(name: string, value: T | undefined, known: readonly (keyof T & string)[]): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new MisconfigurationError(name, 'must be an object');
  const unknown = Object.keys(value).find((key) => !(known as readonly string[]).includes(key));
  if (unknown !== undefined) throw new MisconfigurationError(`${name}.${unknown}`, `is not an option; known: ${known.join(', ')}`);
  return stripUndefined(value);
}

function ownerOption(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_IDENTIFIER_LENGTH || value.trim() !== value)
    throw new MisconfigurationError(
      name,
      `must be a non-empty string of at most ${MAX_IDENTIFIER_LENGTH} characters without surrounding spaces`,
    );
  return value;
}

/** Applies defaults and validates every option, naming the option on failure. */
export function resolveServiceOptions(options: TokenServiceOptions): ResolvedServiceOptions {
  const v = {
    ...DEFAULT_VALIDITY,
    ...section('validity', options.validity, ['applicationAccessToken', 'userAccessToken', 'refreshToken', 'authorizationCode']),
  };
  const refresh = {
    gracePeriodSeconds: 0,
    maxReuseCount: 0,
    ...section('refresh', options.refresh, ['gracePeriodSeconds', 'maxReuseCount']),
  };
  const retention = {
    ...DEFAULT_RETENTION,
    ...section('retention', options.retention, ['inactiveSeconds', 'expiredSeconds']),
  };
  const purge = {
    intervalSeconds: 0,
    batchSize: 1000,
    timeBudgetMs: 5000,
    pauseMs: 0,
    ...section('purge', options.purge, ['intervalSeconds', 'batchSize', 'timeBudgetMs', 'pauseMs', 'owner']),
  };
  const intervalSeconds = nonNegativeInteger('purge.intervalSeconds', purge.intervalSeconds);
  if (intervalSeconds > MAX_PURGE_INTERVAL_SECONDS)
    throw new MisconfigurationError(
      'purge.intervalSeconds',
      `must be at most ${MAX_PURGE_INTERVAL_SECONDS} seconds (the longest timer Node keeps)`,
    );
  const grace = nonNegativeInteger('refresh.gracePeriodSeconds', refresh.gracePeriodSeconds);
  const reuseCount = nonNegativeInteger('refresh.maxReuseCount', refresh.maxReuseCount);
  // Either alone does nothing: a grace window admits no reuse with a count of 0, and a count needs a window.
  if (grace > 0 && reuseCount === 0)
    throw new MisconfigurationError(
      'refresh.maxReuseCount',
      'must be at least 1 when refresh.gracePeriodSeconds is set, or the grace period has no effect',
    );
  if (reuseCount > 0 && grace === 0)
    throw new MisconfigurationError(
      'refresh.gracePeriodSeconds',
      'must be at least 1 when refresh.maxReuseCount is set, or reuse is never allowed',
    );
  return {
    validity: {
      applicationAccessToken: validityOption('validity.applicationAccessToken', v.applicationAccessToken),
      userAccessToken: validityOption('validity.userAccessToken', v.userAccessToken),
      refreshToken: validityOption('validity.refreshToken', v.refreshToken),
      authorizationCode: validityOption('validity.authorizationCode', v.authorizationCode),
    },
    reuseTokens: booleanOption('reuseTokens', options.reuseTokens, false),
    refresh: {
      gracePeriodSeconds: nonNegativeInteger('refresh.gracePeriodSeconds', refresh.gracePeriodSeconds),
      maxReuseCount: nonNegativeInteger('refresh.maxReuseCount', refresh.maxReuseCount),
    },
    retention: {
      inactiveSeconds: nonNegativeInteger('retention.inactiveSeconds', retention.inactiveSeconds),
      expiredSeconds: nonNegativeInteger('retention.expiredSeconds', retention.expiredSeconds),
    },
    purge: {
      intervalSeconds,
      batchSize: positiveInteger('purge.batchSize', purge.batchSize, MAX_PURGE_LIMIT),
      timeBudgetMs: positiveInteger('purge.timeBudgetMs', purge.timeBudgetMs),
      pauseMs: nonNegativeInteger('purge.pauseMs', purge.pauseMs),
      ...(purge.owner === undefined ? {} : { owner: ownerOption('purge.owner', purge.owner) }),
    },
    requireRegisteredClient: booleanOption('requireRegisteredClient', options.requireRegisteredClient, true),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

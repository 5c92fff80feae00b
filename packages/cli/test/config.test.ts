import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Environment, loadConfig } from '../src/index.js';

const PEPPER = randomBytes(32).toString('base64');
const AES_KEY = randomBytes(32).toString('base64');
const SECRET = 'S3cr3t-value-that-is-long-enough-0123456789';

function configError(env: Environment, readFile?: (path: string) => string): ConfigError {
  try {
    loadConfig(env, readFile ? { readFile } : {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('serves the memory store on 127.0.0.1:8080 in plain mode without reuse when nothing is set', () => {
    const config = loadConfig({});
    expect(config.backend).toEqual({ kind: 'memory', label: 'memory' });
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.clients).toBeUndefined();
    expect(config.users).toBeUndefined();
    expect(config.protection.mode).toBe('plain');
    expect(config.protection.summary).toBe('plain');
    expect(config.service.reuseTokens).toBe(false);
    expect(config.service.validity).toEqual({});
    expect(config.readCache).toBeUndefined();
    expect(config.migrateOnStart).toBe(false);
  });

  it('treats blank variables as unset', () => {
    expect(loadConfig({ TOKENSTORE_URL: '  ', PORT: '', TOKENSTORE_CLIENTS: ' ' }).port).toBe(8080);
  });
});

describe('TOKENSTORE_URL', () => {
  it.each([
    ['memory:', 'memory'],
    ['memory://', 'memory'],
  ])('%s is the memory store', (url, kind) => {
    expect(loadConfig({ TOKENSTORE_URL: url }).backend.kind).toBe(kind);
  });

  it.each([
    ['postgres://u:pw@db.example:5432/tokens', 'postgres'],
    ['postgresql://db.example/tokens?schema=auth', 'postgres'],
    ['mysql://root@db.example:3306/tokens', 'mysql'],
    ['mariadb://root@db.example/tokens', 'mysql'],
    ['mssql://sa:pw@db.example:1433/tokens', 'mssql'],
    ['oracle://system:pw@db.example:1521/FREEPDB1', 'oracle'],
    ['db2://db2inst1:pw@db.example:50000/tokens', 'db2'],
  ])('%s is the %s dialect, labelled without credentials', (url, database) => {
    const { backend } = loadConfig({ TOKENSTORE_URL: url });
    expect(backend).toMatchObject({ kind: 'sql', database, url });
    expect(backend.label).not.toContain('pw');
    expect(backend.label).toContain('db.example');
  });

  it('accepts cassandra://host:port/keyspace?dc=… and labels it with hosts and keyspace', () => {
    const { backend } = loadConfig({ TOKENSTORE_URL: 'cassandra://app:pw@10.0.0.1:9042,10.0.0.2/tokens?dc=eu1' });
    expect(backend).toMatchObject({ kind: 'cassandra', label: 'cassandra://10.0.0.1:9042,10.0.0.2:9042/tokens' });
  });

  it.each([
    ['redis://localhost', /unsupported scheme "redis:"/],
    ['just-a-word', /must be a URL/],
    ['memory:foo', /memory: takes no/],
    ['postgres://', /host|valid URL/],
    ['postgres://db/x?poolSize=0', /poolSize/],
    ['cassandra://127.0.0.1:9042/tokens', /\?dc=/],
    ['cassandra://127.0.0.1:9042/9bad?dc=dc1', /keyspace/],
    ['cassandra://127.0.0.1:99999/ks?dc=dc1', /port/],
  ])('refuses %s naming TOKENSTORE_URL', (url, message) => {
    const error = configError({ TOKENSTORE_URL: url });
    expect(error.variable).toBe('TOKENSTORE_URL');
    expect(error.message).toContain('TOKENSTORE_URL');
    expect(error.message).toMatch(message);
  });

  it('never repeats the URL (it may hold a password) in an error', () => {
    for (const url of [
      'postgres://u:hunter2pw@db/x?poolSize=abc',
      'cassandra://u:hunter2pw@h:70000/ks?dc=a',
      'mysql://u:hunter2pw@db/x?schema=bad-name!',
    ]) {
      const error = configError({ TOKENSTORE_URL: url });
      expect(error.message).not.toContain('hunter2pw');
    }
  });
});

describe('PORT and HOST', () => {
  it('reads them', () => {
    expect(loadConfig({ PORT: '9000', HOST: '0.0.0.0' })).toMatchObject({ port: 9000, host: '0.0.0.0' });
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });

  it.each(['abc', '70000', '-1', '80.5'])('refuses PORT=%s', (port) => {
    expect(configError({ PORT: port }).variable).toBe('PORT');
  });

  it('refuses a HOST with spaces', () => {
    expect(configError({ HOST: 'local host' }).variable).toBe('HOST');
  });
});

describe('TOKENSTORE_CLIENTS as entries', () => {
  it('reads id:secret and id:secret:grants entries separated by whitespace', () => {
    const other = `${SECRET}-other`;
    const { clients } = loadConfig({ TOKENSTORE_CLIENTS: `app:${SECRET}:client_credentials,refresh_token\n  web:${other}` });
    expect(clients).toEqual([
      {
        clientId: 'app',
        clientSecret: SECRET,
        grants: ['client_credentials', 'refresh_token'],
        redirectUris: [],
        scopes: [],
        resourceServer: false,
      },
      { clientId: 'web', clientSecret: other, grants: ['client_credentials'], redirectUris: [], scopes: [], resourceServer: false },
    ]);
  });

  it.each([
    [`app:short`, /client "app".*at least 32|32\.\.8192/],
    [`app:${SECRET}:fly`, /unknown grant "fly"/],
    [`app:${SECRET}:password:extra`, /client "app" must look like id:secret/],
    [`app:${SECRET} app:${SECRET}x`, /client "app" is configured twice/],
    [`b@d:${SECRET}`, /entry 1: the client id/],
    [`app:${SECRET}:`, /grant list is empty/],
  ])('refuses %s naming TOKENSTORE_CLIENTS and not the secret', (value, message) => {
    const error = configError({ TOKENSTORE_CLIENTS: value });
    expect(error.variable).toBe('TOKENSTORE_CLIENTS');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('short');
  });
});

describe('TOKENSTORE_CLIENTS as a JSON file', () => {
  const files: Record<string, string> = {
    '/etc/tokenstore/clients.json': JSON.stringify([
      {
        clientId: 'web',
        clientSecret: SECRET,
        grants: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://app.example/cb'],
        name: 'Web app',
        scopes: ['profile', 'device_*'],
      },
      { clientId: 'svc', clientSecret: `${SECRET}2` },
      { clientId: 'api', clientSecret: `${SECRET}3`, resourceServer: true },
    ]),
    '/bad-flag.json': JSON.stringify([{ clientId: 'api', clientSecret: SECRET, resourceServer: 'yes' }]),
    '/bad-scope.json': JSON.stringify([{ clientId: 'web', clientSecret: SECRET, scopes: ['not ok'] }]),
    '/bad.json': `[{"clientId": "web", "clientSecret": "${SECRET}",]`,
    '/object.json': '{}',
    '/unknown.json': JSON.stringify([{ clientId: 'web', clientSecret: SECRET, secret: SECRET }]),
    '/fragment.json': JSON.stringify([{ clientId: 'web', clientSecret: SECRET, redirectUris: ['https://a.example/cb#x'] }]),
    '/short.json': JSON.stringify([{ clientId: 'web', clientSecret: 'tiny-secret' }]),
  };
  const readFile = (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };

  it('reads clients with grants, redirect URIs and names; grants default to client_credentials', () => {
    const { clients } = loadConfig({ TOKENSTORE_CLIENTS: '/etc/tokenstore/clients.json' }, { readFile });
    expect(clients).toEqual([
      {
        clientId: 'web',
        clientSecret: SECRET,
        grants: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://app.example/cb'],
        name: 'Web app',
        scopes: ['device_*', 'profile'],
        resourceServer: false,
      },
      { clientId: 'svc', clientSecret: `${SECRET}2`, grants: ['client_credentials'], redirectUris: [], scopes: [], resourceServer: false },
      {
        clientId: 'api',
        clientSecret: `${SECRET}3`,
        grants: ['client_credentials'],
        redirectUris: [],
        scopes: [],
        resourceServer: true,
      },
    ]);
  });

  it.each([
    ['/missing.json', /cannot read the clients file "\/missing.json" \(ENOENT\)/],
    ['/bad.json', /is not valid JSON/],
    ['/object.json', /must hold a JSON array/],
    ['/unknown.json', /unknown field "secret"/],
    ['/fragment.json', /must not have a fragment/],
    ['/short.json', /client "web": the secret/],
    ['/bad-scope.json', /client "web": scopes/],
    ['/bad-flag.json', /client "api": resourceServer must be true or false/],
  ])('refuses %s naming TOKENSTORE_CLIENTS and never quoting a secret', (path, message) => {
    const error = configError({ TOKENSTORE_CLIENTS: path }, readFile);
    expect(error.variable).toBe('TOKENSTORE_CLIENTS');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('tiny-secret');
  });
});

describe('TOKENSTORE_SCOPES', () => {
  it('allows no scope to any client by default, and the listed scopes to every client when set', () => {
    expect(loadConfig({}).scopes).toEqual([]);
    expect(loadConfig({ TOKENSTORE_SCOPES: 'read write,device_*' }).scopes).toEqual(['device_*', 'read', 'write']);
  });

  it('refuses a malformed scope, naming the variable', () => {
    const error = configError({ TOKENSTORE_SCOPES: 'read "quoted"' });
    expect(error.variable).toBe('TOKENSTORE_SCOPES');
  });
});

describe('TOKENSTORE_ISSUER', () => {
  it('is unset by default (the server names itself by its URL), and read as the issuer of the metadata', () => {
    expect(loadConfig({}).issuer).toBeUndefined();
    expect(loadConfig({ TOKENSTORE_ISSUER: 'https://auth.example' }).issuer).toBe('https://auth.example');
  });

  it('refuses a value that is not an http(s) URL without query or fragment', () => {
    for (const value of ['auth.example', 'https://auth.example/?a=1', 'https://auth.example/#x'])
      expect(configError({ TOKENSTORE_ISSUER: value }).variable).toBe('TOKENSTORE_ISSUER');
  });
});

describe('TOKENSTORE_METRICS_PORT', () => {
  it('is off by default, and a port for the Prometheus scrape endpoint when set', () => {
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(loadConfig({ TOKENSTORE_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
  });

  it('refuses a bad port, and the port of the service itself', () => {
    expect(configError({ TOKENSTORE_METRICS_PORT: 'ninety' }).variable).toBe('TOKENSTORE_METRICS_PORT');
    expect(configError({ TOKENSTORE_METRICS_PORT: '0' }).variable).toBe('TOKENSTORE_METRICS_PORT');
    expect(configError({ TOKENSTORE_METRICS_PORT: '8080' }).variable).toBe('TOKENSTORE_METRICS_PORT');
  });
});

describe('TOKENSTORE_USERS', () => {
  it('reads user:password entries; a password may contain ":"', () => {
    expect(loadConfig({ TOKENSTORE_USERS: 'alice:wonder:land bob:builder' }).users).toEqual([
      { username: 'alice', password: 'wonder:land' },
      { username: 'bob', password: 'builder' },
    ]);
  });

  it.each([
    ['alice', /user "alice" must look like user:password/],
    ['alice:', /user "alice" has an empty password/],
    ['alice:pw1 alice:pw2', /configured twice/],
    ['b@d:pw1', /entry 1/],
  ])('refuses %s naming TOKENSTORE_USERS without the password', (value, message) => {
    const error = configError({ TOKENSTORE_USERS: value });
    expect(error.variable).toBe('TOKENSTORE_USERS');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('pw1');
  });
});

describe('protection', () => {
  it('builds hash protection from TOKENSTORE_PEPPERS, the first pepper active', () => {
    const old = randomBytes(32).toString('base64');
    const config = loadConfig({ TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_PEPPERS: `p2:${PEPPER}, p1:${old}` });
    expect(config.protection.mode).toBe('hash');
    expect(config.protection.summary).toBe('hash (hmac-sha256, pepper p2)');
    expect(config.protection.protector.protect('a-token').key).toMatch(/^hmac-sha256:p2\$/);
    expect(config.protection.protector.lookupKeys('a-token')).toHaveLength(2);
  });

  it('builds unpeppered WSO2-style hashing with TOKENSTORE_HASH_ALGORITHM=sha256', () => {
    const config = loadConfig({ TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_HASH_ALGORITHM: 'sha256' });
    expect(config.protection.protector.protect('a-token').key).toMatch(/^sha256\$/);
  });

  it('builds AES-256-GCM encryption with a fallback to plain for a migration', () => {
    const config = loadConfig({
      TOKENSTORE_PROTECTION: 'encrypt',
      TOKENSTORE_PEPPERS: `p1:${PEPPER}`,
      TOKENSTORE_ENCRYPTION_KEYS: `k1:${AES_KEY}`,
      TOKENSTORE_PROTECTION_FALLBACK: 'plain',
      TOKENSTORE_REUSE: 'true',
    });
    expect(config.protection.summary).toBe('encrypt (pepper p1, aes-256-gcm key k1); fallback: plain');
    const sealed = config.protection.protector.protect('a-token');
    expect(sealed.value).toMatch(/^a256gcm\.k1\./);
    expect(config.protection.protector.lookupKeys('a-token')).toEqual([sealed.key, 'a-token']);
    expect(config.service.reuseTokens).toBe(true);
  });

  it('builds RSA-OAEP encryption from PEM files named in TOKENSTORE_ENCRYPTION_KEYS', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const config = loadConfig(
      {
        TOKENSTORE_PROTECTION: 'encrypt',
        TOKENSTORE_PEPPERS: `p1:${PEPPER}`,
        TOKENSTORE_CIPHER: 'rsa-oaep',
        TOKENSTORE_ENCRYPTION_KEYS: 'rsa1:/keys/rsa.pem',
      },
      { readFile: (path) => (path === '/keys/rsa.pem' ? pem : '') },
    );
    const sealed = config.protection.protector.protect('a-token');
    expect(sealed.value).toMatch(/^rsa-oaep\.rsa1\./);
    expect(config.protection.protector.reveal(sealed)).toBe('a-token');
  });

  it.each<[Environment, string, RegExp]>([
    [{ TOKENSTORE_PROTECTION: 'scramble' }, 'TOKENSTORE_PROTECTION', /plain, hash, encrypt/],
    [{ TOKENSTORE_PROTECTION: 'hash' }, 'TOKENSTORE_PEPPERS', /is required by TOKENSTORE_PROTECTION=hash/],
    [{ TOKENSTORE_PEPPERS: `p1:${PEPPER}` }, 'TOKENSTORE_PEPPERS', /uses no pepper/],
    [{ TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_PEPPERS: PEPPER }, 'TOKENSTORE_PEPPERS', /entry 1 must look like id:value/],
    [{ TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_PEPPERS: 'p1:c2hvcnQ=' }, 'TOKENSTORE_PEPPERS', /entry "p1": .*32 bytes/],
    [{ TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_PEPPERS: 'p1:not base64 at all!' }, 'TOKENSTORE_PEPPERS', /entry 2|Base64/],
    [{ TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_PEPPERS: `p1:${PEPPER} p1:${PEPPER}` }, 'TOKENSTORE_PEPPERS', /duplicate id "p1"/],
    [{ TOKENSTORE_PROTECTION: 'encrypt', TOKENSTORE_PEPPERS: `p1:${PEPPER}` }, 'TOKENSTORE_ENCRYPTION_KEYS', /is required by encrypt/],
    [
      {
        TOKENSTORE_PROTECTION: 'encrypt',
        TOKENSTORE_PEPPERS: `p1:${PEPPER}`,
        TOKENSTORE_ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64')}`,
      },
      'TOKENSTORE_ENCRYPTION_KEYS',
      /entry "k1": .*32 bytes/,
    ],
    [{ TOKENSTORE_ENCRYPTION_KEYS: `k1:${AES_KEY}` }, 'TOKENSTORE_ENCRYPTION_KEYS', /only used with encrypt/],
    [{ TOKENSTORE_CIPHER: 'rsa-oaep' }, 'TOKENSTORE_CIPHER', /only used with encrypt/],
    [{ TOKENSTORE_HASH_ALGORITHM: 'sha256' }, 'TOKENSTORE_HASH_ALGORITHM', /only used with hash/],
    [{ TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_HASH_ALGORITHM: 'md5' }, 'TOKENSTORE_HASH_ALGORITHM', /hmac-sha256, sha256/],
    [{ TOKENSTORE_PROTECTION_FALLBACK: 'plain' }, 'TOKENSTORE_PROTECTION_FALLBACK', /repeats the current mode/],
    [{ TOKENSTORE_PROTECTION_FALLBACK: 'rot13' }, 'TOKENSTORE_PROTECTION_FALLBACK', /must list modes/],
    [{ TOKENSTORE_REHASH_ON_READ: 'maybe' }, 'TOKENSTORE_REHASH_ON_READ', /true or false/],
  ])('refuses %j naming %s', (env, variable, message) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(PEPPER);
    expect(error.message).not.toContain(AES_KEY);
  });

  it('names the key of an unreadable PEM file but not its content', () => {
    const error = configError(
      {
        TOKENSTORE_PROTECTION: 'encrypt',
        TOKENSTORE_PEPPERS: `p1:${PEPPER}`,
        TOKENSTORE_CIPHER: 'rsa-oaep',
        TOKENSTORE_ENCRYPTION_KEYS: 'rsa1:/nope.pem',
      },
      () => {
        throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      },
    );
    expect(error.variable).toBe('TOKENSTORE_ENCRYPTION_KEYS');
    expect(error.message).toMatch(/entry "rsa1": cannot read the PEM file "\/nope.pem" \(ENOENT\)/);
  });
});

describe('TOKENSTORE_REUSE', () => {
  it.each([
    ['true', true],
    ['FALSE', false],
    ['1', true],
    ['off', false],
  ])('reads %s', (value, expected) => {
    expect(loadConfig({ TOKENSTORE_REUSE: value }).service.reuseTokens).toBe(expected);
  });

  it('refuses a value that is not a boolean', () => {
    expect(configError({ TOKENSTORE_REUSE: 'sometimes' }).variable).toBe('TOKENSTORE_REUSE');
  });

  it('surfaces core refusing reuse with hashing, naming both variables', () => {
    const error = configError({ TOKENSTORE_REUSE: 'true', TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_PEPPERS: `p1:${PEPPER}` });
    expect(error.variable).toBe('TOKENSTORE_REUSE, TOKENSTORE_PROTECTION');
    expect(error.message).toMatch(/TOKENSTORE_REUSE=true cannot be combined with TOKENSTORE_PROTECTION=hash/);
    expect(error.message).toMatch(/one-way digest/);
    expect(error.message).not.toContain(PEPPER);
  });

  it('also refuses reuse while hashed rows are still read through the fallback', () => {
    const error = configError({
      TOKENSTORE_REUSE: 'true',
      TOKENSTORE_PROTECTION: 'plain',
      TOKENSTORE_PROTECTION_FALLBACK: 'hash',
      TOKENSTORE_PEPPERS: `p1:${PEPPER}`,
    });
    expect(error.message).toMatch(/TOKENSTORE_PROTECTION_FALLBACK=hash/);
  });
});

describe('service options', () => {
  it('reads validities (negative = never), refresh grace, retention and purge settings', () => {
    const config = loadConfig({
      TOKENSTORE_ACCESS_TOKEN_VALIDITY: '600',
      TOKENSTORE_USER_ACCESS_TOKEN_VALIDITY: '-1',
      TOKENSTORE_REFRESH_TOKEN_VALIDITY: '7200',
      TOKENSTORE_CODE_VALIDITY: '60',
      TOKENSTORE_REFRESH_GRACE_PERIOD: '10',
      TOKENSTORE_REFRESH_MAX_REUSE: '2',
      TOKENSTORE_RETENTION: '3600',
      TOKENSTORE_EXPIRED_RETENTION: '60',
      TOKENSTORE_PURGE_INTERVAL: '300',
      TOKENSTORE_PURGE_BATCH_SIZE: '250',
      TOKENSTORE_PURGE_TIME_BUDGET_MS: '1000',
      TOKENSTORE_PURGE_PAUSE_MS: '20',
    });
    expect(config.service).toEqual({
      validity: { applicationAccessToken: 600, userAccessToken: -1, refreshToken: 7200, authorizationCode: 60 },
      reuseTokens: false,
      refresh: { gracePeriodSeconds: 10, maxReuseCount: 2 },
      retention: { inactiveSeconds: 3600, expiredSeconds: 60 },
      purge: { intervalSeconds: 300, batchSize: 250, timeBudgetMs: 1000, pauseMs: 20 },
    });
  });

  it.each<[Environment, string, RegExp]>([
    [{ TOKENSTORE_ACCESS_TOKEN_VALIDITY: '0' }, 'TOKENSTORE_ACCESS_TOKEN_VALIDITY', /must not be 0/],
    [{ TOKENSTORE_ACCESS_TOKEN_VALIDITY: '1h' }, 'TOKENSTORE_ACCESS_TOKEN_VALIDITY', /whole number/],
    [{ TOKENSTORE_USER_ACCESS_TOKEN_VALIDITY: '99999999999' }, 'TOKENSTORE_USER_ACCESS_TOKEN_VALIDITY', /must be from/],
    [{ TOKENSTORE_REFRESH_TOKEN_VALIDITY: 'x' }, 'TOKENSTORE_REFRESH_TOKEN_VALIDITY', /whole number/],
    [{ TOKENSTORE_CODE_VALIDITY: '0' }, 'TOKENSTORE_CODE_VALIDITY', /must not be 0/],
    [{ TOKENSTORE_REFRESH_GRACE_PERIOD: '30' }, 'TOKENSTORE_REFRESH_MAX_REUSE', /at least 1 when refresh.gracePeriodSeconds/],
    [{ TOKENSTORE_REFRESH_MAX_REUSE: '3' }, 'TOKENSTORE_REFRESH_GRACE_PERIOD', /at least 1/],
    [{ TOKENSTORE_REFRESH_GRACE_PERIOD: '-5' }, 'TOKENSTORE_REFRESH_GRACE_PERIOD', /must be from 0/],
    [{ TOKENSTORE_RETENTION: 'a day' }, 'TOKENSTORE_RETENTION', /whole number/],
    [{ TOKENSTORE_EXPIRED_RETENTION: '-1' }, 'TOKENSTORE_EXPIRED_RETENTION', /must be from 0/],
    [{ TOKENSTORE_PURGE_INTERVAL: '-1' }, 'TOKENSTORE_PURGE_INTERVAL', /must be from 0/],
    [{ TOKENSTORE_PURGE_INTERVAL: '9999999999' }, 'TOKENSTORE_PURGE_INTERVAL', /must be from 0 to 2147483/],
    [{ TOKENSTORE_PURGE_BATCH_SIZE: '0' }, 'TOKENSTORE_PURGE_BATCH_SIZE', /must be from 1/],
    [{ TOKENSTORE_PURGE_TIME_BUDGET_MS: 'soon' }, 'TOKENSTORE_PURGE_TIME_BUDGET_MS', /whole number/],
    [{ TOKENSTORE_PURGE_PAUSE_MS: '-3' }, 'TOKENSTORE_PURGE_PAUSE_MS', /must be from 0/],
    [{ TOKENSTORE_MIGRATE: 'please' }, 'TOKENSTORE_MIGRATE', /true or false/],
  ])('refuses %j naming %s', (env, variable, message) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });
});

describe('read cache and migrate-on-start', () => {
  it('puts a read cache in front of a remote store', () => {
    const config = loadConfig({ TOKENSTORE_URL: 'postgres://db/x', TOKENSTORE_READ_CACHE_TTL_MS: '2000', TOKENSTORE_MIGRATE: 'true' });
    expect(config.readCache).toEqual({ ttlMs: 2000, maxEntries: 10_000 });
    expect(config.migrateOnStart).toBe(true);
  });

  it('refuses a read cache in front of the memory store, and a size without a TTL', () => {
    expect(configError({ TOKENSTORE_READ_CACHE_TTL_MS: '1000' }).variable).toBe('TOKENSTORE_READ_CACHE_TTL_MS');
    expect(configError({ TOKENSTORE_URL: 'postgres://db/x', TOKENSTORE_READ_CACHE_MAX_ENTRIES: '10' }).variable).toBe(
      'TOKENSTORE_READ_CACHE_MAX_ENTRIES',
    );
  });
});

describe('errors', () => {
  it('are typed MISCONFIGURATION errors from the cli', () => {
    const error = configError({ PORT: 'x' });
    expect(error.code).toBe('MISCONFIGURATION');
    expect(error.backend).toBe('cli');
    expect(error.field).toBe('PORT');
  });
});

import {
  computeReuseKey,
  DEFAULT_RETENTION,
  generateGrantId,
  generateTokenValue,
  PROTECTED_KINDS,
  type Retention,
  type StoredAccessToken,
  type StoredAuthorizationCode,
  type StoredClient,
  type StoredRefreshToken,
  TokenState,
  type TokenStore,
  UserType,
} from '@tokenstore/core';

/**
 * Hand-built rows for tests that call a store directly (a backend's own tests, and the suite's
 * store-level topics). Each builder returns an ACTIVE row issued at `now` whose `key` and `value` are a
 * fresh random token (plain protection: the value is its own lookup key) unless `overrides` say
 * otherwise. Defaults: client `client-1`, user `alice` (an APPLICATION_USER), scope `read`
 * (`openid` for codes), a new grant per row, and the service's default lifetimes: an hour for access
 * tokens, a day for refresh tokens, five minutes for codes.
 */
export const ROW_DEFAULTS = Object.freeze({
  consumerKey: 'client-1',
  userId: 'alice',
  accessTokenLifetimeMs: 3_600_000,
  refreshTokenLifetimeMs: 86_400_000,
  authorizationCodeLifetimeMs: 300_000,
});

/** The fields every token kind shares: an ACTIVE row issued at `now`, a fresh key (= value) and grant. */
function tokenFields(now: number, lifetimeMs: number, scopes: string[], key: string) {
  return {
    key,
    value: key,
    consumerKey: ROW_DEFAULTS.consumerKey,
    userId: ROW_DEFAULTS.userId,
    userType: UserType.ApplicationUser,
    scopes,
    grantId: generateGrantId(),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + lifetimeMs,
    stateChangedAt: now,
  };
}

/** An ACTIVE access-token row. Its `reuseKey` follows the row's client, user and scopes unless overridden. */
export function accessTokenRow(now: number, overrides: Partial<StoredAccessToken> = {}): StoredAccessToken {
  const base = { ...tokenFields(now, ROW_DEFAULTS.accessTokenLifetimeMs, ['read'], overrides.key ?? generateTokenValue()), ...overrides };
  return {
    reuseKey: computeReuseKey(base.consumerKey, base.userId, base.userType, base.scopes),
    exclusive: false,
    grantType: 'password',
    ...base,
  };
}

/** An ACTIVE refresh-token row, never rotated. */
export function refreshTokenRow(now: number, overrides: Partial<StoredRefreshToken> = {}): StoredRefreshToken {
  return {
    ...tokenFields(now, ROW_DEFAULTS.refreshTokenLifetimeMs, ['read'], overrides.key ?? generateTokenValue()),
    rotatedAt: null,
    reuseCount: 0,
    ...overrides,
  };
}

/** An ACTIVE authorization-code row without redirect URI, PKCE challenge or nonce. */
export function authorizationCodeRow(now: number, overrides: Partial<StoredAuthorizationCode> = {}): StoredAuthorizationCode {
  return {
    ...tokenFields(now, ROW_DEFAULTS.authorizationCodeLifetimeMs, ['openid'], overrides.key ?? generateTokenValue()),
    redirectUri: null,
    codeChallenge: null,
    codeChallengeMethod: null,
    nonce: null,
    ...overrides,
  };
}

/** A client row with a random consumer key and secret lookup key (no sealed secret value). */
export function clientRow(now: number, overrides: Partial<StoredClient> = {}): StoredClient {
  return {
    consumerKey: `client-${generateGrantId()}`,
    secretKey: generateTokenValue(),
    secretValue: null,
    name: 'Test client',
    grantTypes: ['client_credentials'],
    redirectUris: ['https://client.example.com/cb'],
    allowedScopes: [],
    resourceServer: false,
    validity: {},
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/**
 * Every row a store holds, of every kind (clients included), read through its own `scan` primitive,
 * each tagged with its `kind`: works on any backend, for inspection and "nothing was stored" checks.
 */
export async function scanAllRows(store: TokenStore): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const kind of PROTECTED_KINDS) {
    let cursor: string | null = null;
    do {
      const page: { rows: object[]; cursor: string | null } = await store.scan(kind, { cursor, limit: 500 });
      for (const row of page.rows) rows.push({ kind, ...row });
      cursor = page.cursor;
    } while (cursor !== null);
  }
  return rows;
}

/**
 * Hands `store` a retention the way a service would (`TokenStore.useRetention`), the windows not given
 * at their defaults; for tests of a store's own lifetimes without a service. Returns the store.
 */
export function withRetention<S extends TokenStore>(store: S, retention: Partial<Retention>): S {
  store.useRetention?.({ ...DEFAULT_RETENTION, ...retention });
  return store;
}

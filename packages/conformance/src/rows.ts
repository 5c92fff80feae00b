import {
  computeReuseKey,
  generateGrantId,
  generateTokenValue,
  type StoredAccessToken,
  type StoredAuthorizationCode,
  type StoredClient,
  type StoredRefreshToken,
  TokenState,
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

/** An ACTIVE access-token row. Its `reuseKey` follows the row's client, user and scopes unless overridden. */
export function accessTokenRow(now: number, overrides: Partial<StoredAccessToken> = {}): StoredAccessToken {
  const key = overrides.key ?? generateTokenValue();
  const consumerKey = overrides.consumerKey ?? ROW_DEFAULTS.consumerKey;
  const userId = overrides.userId ?? ROW_DEFAULTS.userId;
  const userType = overrides.userType ?? UserType.ApplicationUser;
  const scopes = overrides.scopes ?? ['read'];
  return {
    key,
    value: key,
    consumerKey,
    userId,
    userType,
    scopes,
    grantId: generateGrantId(),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + ROW_DEFAULTS.accessTokenLifetimeMs,
    stateChangedAt: now,
    reuseKey: computeReuseKey(consumerKey, userId, userType, scopes),
    exclusive: false,
    grantType: 'password',
    ...overrides,
  };
}

/** An ACTIVE refresh-token row, never rotated. */
export function refreshTokenRow(now: number, overrides: Partial<StoredRefreshToken> = {}): StoredRefreshToken {
  const key = overrides.key ?? generateTokenValue();
  return {
    key,
    value: key,
    consumerKey: ROW_DEFAULTS.consumerKey,
    userId: ROW_DEFAULTS.userId,
    userType: UserType.ApplicationUser,
    scopes: ['read'],
    grantId: generateGrantId(),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + ROW_DEFAULTS.refreshTokenLifetimeMs,
    stateChangedAt: now,
    rotatedAt: null,
    reuseCount: 0,
    ...overrides,
  };
}

/** An ACTIVE authorization-code row without redirect URI, PKCE challenge or nonce. */
export function authorizationCodeRow(now: number, overrides: Partial<StoredAuthorizationCode> = {}): StoredAuthorizationCode {
  const key = overrides.key ?? generateTokenValue();
  return {
    key,
    value: key,
    consumerKey: ROW_DEFAULTS.consumerKey,
    userId: ROW_DEFAULTS.userId,
    userType: UserType.ApplicationUser,
    scopes: ['openid'],
    grantId: generateGrantId(),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + ROW_DEFAULTS.authorizationCodeLifetimeMs,
    stateChangedAt: now,
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
    validity: {},
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

import {
  computeReuseKey,
  generateGrantId,
  generateTokenValue,
  type StoredAccessToken,
  type StoredAuthorizationCode,
  type StoredRefreshToken,
} from '@tokenstore/core';

/** Times of the store-level tests: the suite's fake 2030 clock, never the machine's. */
export const NOW = Date.UTC(2030, 0, 1);
export const HOUR = 3_600_000;

export function accessTokenRow(overrides: Partial<StoredAccessToken> = {}): StoredAccessToken {
  const key = overrides.key ?? generateTokenValue();
  return {
    key,
    value: key,
    consumerKey: 'client-1',
    userId: 'alice',
    userType: 'APPLICATION_USER',
    scopes: ['read'],
    grantId: generateGrantId(),
    state: 'ACTIVE',
    issuedAt: NOW,
    expiresAt: NOW + HOUR,
    stateChangedAt: NOW,
    reuseKey: computeReuseKey('client-1', 'alice', 'APPLICATION_USER', ['read']),
    exclusive: false,
    grantType: 'password',
    ...overrides,
  };
}

export function refreshTokenRow(overrides: Partial<StoredRefreshToken> = {}): StoredRefreshToken {
  const key = overrides.key ?? generateTokenValue();
  return {
    key,
    value: key,
    consumerKey: 'client-1',
    userId: 'alice',
    userType: 'APPLICATION_USER',
    scopes: ['read'],
    grantId: generateGrantId(),
    state: 'ACTIVE',
    issuedAt: NOW,
    expiresAt: NOW + 24 * HOUR,
    stateChangedAt: NOW,
    rotatedAt: null,
    reuseCount: 0,
    ...overrides,
  };
}

export function authorizationCodeRow(overrides: Partial<StoredAuthorizationCode> = {}): StoredAuthorizationCode {
  const key = overrides.key ?? generateTokenValue();
  return {
    key,
    value: key,
    consumerKey: 'client-1',
    userId: 'alice',
    userType: 'APPLICATION_USER',
    scopes: ['openid'],
    grantId: generateGrantId(),
    state: 'ACTIVE',
    issuedAt: NOW,
    expiresAt: NOW + 5 * 60_000,
    stateChangedAt: NOW,
    redirectUri: null,
    codeChallenge: null,
    codeChallengeMethod: null,
    nonce: null,
    ...overrides,
  };
}

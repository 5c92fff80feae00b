import { randomBytes } from 'node:crypto';
import {
  computeReuseKey,
  generateGrantId,
  generateTokenValue,
  type StoredAccessToken,
  type StoredAuthorizationCode,
  type StoredRefreshToken,
  TokenState,
  UserType,
} from '@tokenstore/core';
import type { ConformanceContext } from '../context.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A random value of `length` visible ASCII characters (base64url), e.g. a caller-supplied token. */
export function randomValue(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4) + 3)
    .toString('base64url')
    .slice(0, length);
}

/** A PKCE code_verifier (RFC 7636): 64 characters of the allowed alphabet. */
export function randomVerifier(): string {
  return randomValue(64);
}

/** A fresh plaintext value in the protection form of the test's mode, recorded as a secret. */
function protectedValue(ctx: ConformanceContext, label: string) {
  const value = generateTokenValue();
  ctx.recordPlaintext(label, value);
  return { plaintext: value, ...ctx.protector.protect(value) };
}

/** An ACTIVE access-token row built by hand, for tests that call the store directly. */
export function accessTokenRow(ctx: ConformanceContext, overrides: Partial<StoredAccessToken> = {}): StoredAccessToken {
  const { plaintext: _plaintext, ...secret } = protectedValue(ctx, 'store-level access token');
  const now = ctx.clock.now();
  const consumerKey = overrides.consumerKey ?? ctx.client.consumerKey;
  const userId = overrides.userId ?? 'store-user';
  const scopes = overrides.scopes ?? ['read'];
  return {
    ...secret,
    consumerKey,
    userId,
    userType: UserType.ApplicationUser,
    scopes,
    grantId: generateGrantId(),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + 3600 * SECOND,
    stateChangedAt: now,
    reuseKey: computeReuseKey(consumerKey, userId, UserType.ApplicationUser, scopes),
    exclusive: false,
    grantType: 'password',
    ...overrides,
  };
}

/** An ACTIVE refresh-token row built by hand. */
export function refreshTokenRow(ctx: ConformanceContext, overrides: Partial<StoredRefreshToken> = {}): StoredRefreshToken {
  const { plaintext: _plaintext, ...secret } = protectedValue(ctx, 'store-level refresh token');
  const now = ctx.clock.now();
  return {
    ...secret,
    consumerKey: ctx.client.consumerKey,
    userId: 'store-user',
    userType: UserType.ApplicationUser,
    scopes: ['read'],
    grantId: generateGrantId(),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + DAY,
    stateChangedAt: now,
    rotatedAt: null,
    reuseCount: 0,
    ...overrides,
  };
}

/** An ACTIVE authorization-code row built by hand. */
export function authorizationCodeRow(ctx: ConformanceContext, overrides: Partial<StoredAuthorizationCode> = {}): StoredAuthorizationCode {
  const { plaintext: _plaintext, ...secret } = protectedValue(ctx, 'store-level authorization code');
  const now = ctx.clock.now();
  return {
    ...secret,
    consumerKey: ctx.client.consumerKey,
    userId: 'store-user',
    userType: UserType.ApplicationUser,
    scopes: ['openid'],
    grantId: generateGrantId(),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + 5 * MINUTE,
    stateChangedAt: now,
    redirectUri: null,
    codeChallenge: null,
    codeChallengeMethod: null,
    nonce: null,
    ...overrides,
  };
}

/** The store's lookup key for a plaintext value in the test's mode. */
export function lookupKeyOf(ctx: ConformanceContext, plaintext: string): string {
  return ctx.protector.lookupKeys(plaintext)[0]!;
}

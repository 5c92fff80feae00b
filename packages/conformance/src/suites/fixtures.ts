import { randomBytes } from 'node:crypto';
import { generateTokenValue, type StoredAccessToken, type StoredAuthorizationCode, type StoredRefreshToken } from '@tokenstore/core';
import type { ConformanceContext } from '../context.js';
import * as rows from '../rows.js';

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

/** An ACTIVE access-token row built by hand, for tests that call the store directly (value protected in the test's mode). */
export function accessTokenRow(ctx: ConformanceContext, overrides: Partial<StoredAccessToken> = {}): StoredAccessToken {
  return rows.accessTokenRow(ctx.clock.now(), { ...storeLevel(ctx, 'access token'), ...overrides });
}

/** An ACTIVE refresh-token row built by hand. */
export function refreshTokenRow(ctx: ConformanceContext, overrides: Partial<StoredRefreshToken> = {}): StoredRefreshToken {
  return rows.refreshTokenRow(ctx.clock.now(), { ...storeLevel(ctx, 'refresh token'), ...overrides });
}

/** An ACTIVE authorization-code row built by hand. */
export function authorizationCodeRow(ctx: ConformanceContext, overrides: Partial<StoredAuthorizationCode> = {}): StoredAuthorizationCode {
  return rows.authorizationCodeRow(ctx.clock.now(), { ...storeLevel(ctx, 'authorization code'), ...overrides });
}

/** The fields every store-level row of the suite shares: a protected fresh value, the suite's client, its store-level user. */
function storeLevel(ctx: ConformanceContext, label: string) {
  const { plaintext: _plaintext, ...secret } = protectedValue(ctx, `store-level ${label}`);
  return { ...secret, consumerKey: ctx.client.consumerKey, userId: 'store-user' };
}

/** The store's lookup key for a plaintext value in the test's mode. */
export function lookupKeyOf(ctx: ConformanceContext, plaintext: string): string {
  return ctx.protector.lookupKeys(plaintext)[0]!;
}

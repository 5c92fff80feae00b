import {
  computeReuseKey,
  constantTimeEqual,
  generateConsumerKey,
  generateGrantId,
  generateTokenValue,
  normalizeScopes,
  pkceChallenge,
  UserType,
  validateTokenValue,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { PKCE_VERIFIER } from '../src/service/token-values.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DRAWS = 10_000;

describe('generateTokenValue', () => {
  it('is 256 bits of base64url without padding: 43 characters that decode to 32 bytes', () => {
    const value = generateTokenValue();
    expect(value).toHaveLength(43);
    expect(value).toMatch(BASE64URL);
    const bytes = Buffer.from(value, 'base64url');
    expect(bytes).toHaveLength(32);
    expect(bytes.toString('base64url')).toBe(value);
  });

  it('passes the service’s own token validation', () => {
    const value = generateTokenValue();
    expect(validateTokenValue('accessToken', value)).toBe(value);
  });

  it(`never repeats over ${DRAWS} draws`, () => {
    const values = new Set(Array.from({ length: DRAWS }, generateTokenValue));
    expect(values.size).toBe(DRAWS);
  });

  it('uses the whole alphabet at every position, as uniform random bytes would', () => {
    // 10,000 draws make a missing character at any of the first 42 positions (6 full bits each) astronomically unlikely.
    const draws = Array.from({ length: DRAWS }, generateTokenValue);
    for (let position = 0; position < 42; position++) {
      const seen = new Set(draws.map((value) => value[position]));
      expect(seen.size, `position ${position}`).toBe(64);
    }
  });
});

describe('generateConsumerKey and generateGrantId', () => {
  it('makes 128-bit base64url consumer keys (22 characters) that never repeat', () => {
    const keys = Array.from({ length: DRAWS }, generateConsumerKey);
    for (const key of keys.slice(0, 100)) {
      expect(key).toHaveLength(22);
      expect(Buffer.from(key, 'base64url')).toHaveLength(16);
    }
    expect(new Set(keys).size).toBe(DRAWS);
  });

  it('makes random (version 4) UUID grant ids that never repeat', () => {
    const ids = Array.from({ length: DRAWS }, generateGrantId);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(DRAWS);
  });
});

describe('computeReuseKey', () => {
  const key = (consumerKey: string, userId: string, userType: string, scopes: unknown) =>
    computeReuseKey(consumerKey, userId, userType, normalizeScopes('scopes', scopes));

  it('is a fixed-length hex digest, the same for the same inputs', () => {
    const a = key('client-1', 'alice', UserType.ApplicationUser, 'read write');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(key('client-1', 'alice', UserType.ApplicationUser, 'read write')).toBe(a);
  });

  it('does not depend on scope order or repetition once scopes are normalised', () => {
    const reference = key('client-1', 'alice', UserType.ApplicationUser, ['read', 'write']);
    expect(key('client-1', 'alice', UserType.ApplicationUser, 'write read')).toBe(reference);
    expect(key('client-1', 'alice', UserType.ApplicationUser, ['write', 'read', 'write'])).toBe(reference);
  });

  it('differs when the client, user, user type or scope set differs', () => {
    const reference = key('client-1', 'alice', UserType.ApplicationUser, 'read');
    const variants = [
      key('client-2', 'alice', UserType.ApplicationUser, 'read'),
      key('client-1', 'bob', UserType.ApplicationUser, 'read'),
      key('client-1', 'alice', UserType.Application, 'read'),
      key('client-1', 'alice', UserType.ApplicationUser, 'read write'),
      key('client-1', 'alice', UserType.ApplicationUser, ''),
    ];
    expect(new Set([reference, ...variants]).size).toBe(variants.length + 1);
  });

  it('gives every device its own key through device_ scopes', () => {
    expect(key('client-1', 'alice', UserType.ApplicationUser, 'read device_phone')).not.toBe(
      key('client-1', 'alice', UserType.ApplicationUser, 'read device_tablet'),
    );
  });

  it('cannot be confused by moving characters between fields', () => {
    expect(computeReuseKey('ab', 'c', UserType.ApplicationUser, [])).not.toBe(computeReuseKey('a', 'bc', UserType.ApplicationUser, []));
    expect(computeReuseKey('c', 'u', UserType.ApplicationUser, ['a b'])).not.toBe(
      computeReuseKey('c', 'u', UserType.ApplicationUser, ['a', 'b']),
    );
  });
});

describe('constantTimeEqual', () => {
  it('is true only for identical strings', () => {
    expect(constantTimeEqual('s3cret-value', 's3cret-value')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('s3cret-value', 's3cret-valuE')).toBe(false);
    expect(constantTimeEqual('s3cret-value', 's3cret-valu')).toBe(false);
    expect(constantTimeEqual('s3cret-value', '')).toBe(false);
    expect(constantTimeEqual('', 's3cret-value')).toBe(false);
  });

  it('compares strings of different lengths without throwing (Node’s timingSafeEqual would)', () => {
    expect(() => constantTimeEqual('a', 'a'.repeat(10_000))).not.toThrow();
    expect(constantTimeEqual('a', 'a'.repeat(10_000))).toBe(false);
  });

  it('compares non-ASCII strings by their characters', () => {
    expect(constantTimeEqual('pässwörd', 'pässwörd')).toBe(true);
    expect(constantTimeEqual('pässwörd', 'passwörd')).toBe(false);
  });
});

describe('PKCE', () => {
  // RFC 7636 appendix B: the verifier is the base64url of these 32 random octets.
  const octets = [
    116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132,
    141, 121,
  ];
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('derives the S256 challenge of the RFC 7636 appendix B example', () => {
    expect(Buffer.from(octets).toString('base64url')).toBe(verifier);
    expect(pkceChallenge(verifier, 'S256')).toBe(challenge);
  });

  it('gives a different challenge for a verifier that differs in one character', () => {
    expect(pkceChallenge(verifier.replace('mB9', 'mJ9'), 'S256')).not.toBe(challenge);
  });

  it('uses the verifier itself as the challenge for the plain method', () => {
    expect(pkceChallenge(verifier, 'plain')).toBe(verifier);
  });

  it('accepts verifiers of 43 to 128 unreserved characters only (RFC 7636 §4.1)', () => {
    expect(PKCE_VERIFIER.test(verifier)).toBe(true);
    expect(PKCE_VERIFIER.test('a'.repeat(43))).toBe(true);
    expect(PKCE_VERIFIER.test('A-._~'.repeat(25) + 'abc')).toBe(true);
    expect(PKCE_VERIFIER.test('a'.repeat(42))).toBe(false);
    expect(PKCE_VERIFIER.test('a'.repeat(129))).toBe(false);
    expect(PKCE_VERIFIER.test(`${'a'.repeat(43)}+`)).toBe(false);
    expect(PKCE_VERIFIER.test(`${'a'.repeat(43)}=`)).toBe(false);
    expect(PKCE_VERIFIER.test(`${'a'.repeat(43)}\n`)).toBe(false);
  });
});

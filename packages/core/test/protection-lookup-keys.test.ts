import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  createProtector,
  ErrorCode,
  generatePepper,
  HmacSha256LookupKey,
  MisconfigurationError,
  PLAIN_DIGEST_TAG,
  type ProtectionOptions,
  plainLookupKey,
  schemeOf,
  TokenStoreError,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { HASH, PEPPER_1, PEPPER_2 } from './protection-fixtures.js';

const TOKEN = 'Zm9vYmFyYmF6cXV4LXRva2VuLXZhbHVlLTAxMjM0NTY3ODk';

function misconfiguration(options: unknown): MisconfigurationError {
  try {
    createProtector(options as ProtectionOptions);
  } catch (error) {
    if (error instanceof MisconfigurationError) return error;
    throw error;
  }
  throw new Error('expected a MisconfigurationError');
}

describe('plain lookup keys', () => {
  it('uses the value itself as the key and keeps the value', () => {
    const plain = createProtector({ mode: 'plain' });
    expect(plain.protect(TOKEN)).toEqual({ key: TOKEN, value: TOKEN });
    expect(plain.lookupKeys(TOKEN)).toEqual([TOKEN]);
  });

  it('keys a value too long to index by its SHA-256 digest', () => {
    const jwt = 'a'.repeat(600);
    expect(plainLookupKey(jwt)).toBe(PLAIN_DIGEST_TAG + createHash('sha256').update(jwt).digest('hex'));
  });

  it('digests a value shaped like a tagged key, so a hashed key read from the database cannot be presented as a token', () => {
    const hashedKey = createProtector(HASH).protect(TOKEN).key;
    const plainKeyOfIt = plainLookupKey(hashedKey);
    expect(plainKeyOfIt).not.toBe(hashedKey);
    expect(plainKeyOfIt.startsWith(PLAIN_DIGEST_TAG)).toBe(true);
    expect(createProtector({ ...HASH, fallback: [{ mode: 'plain' }] }).lookupKeys(hashedKey)).not.toContain(hashedKey);
  });
});

describe('hash lookup keys (HMAC-SHA-256 with a pepper)', () => {
  it('is deterministic, hex, and tagged with the algorithm and the pepper id', () => {
    const hash = createProtector(HASH);
    const expected = createHmac('sha256', Buffer.from(PEPPER_1.secret, 'base64')).update(TOKEN).digest('hex');
    expect(hash.protect(TOKEN)).toEqual({ key: `hmac-sha256:p1$${expected}`, value: null });
    expect(createProtector(HASH).lookupKeys(TOKEN)).toEqual([`hmac-sha256:p1$${expected}`]);
    expect(schemeOf(hash.protect(TOKEN).key)).toBe('hmac-sha256:p1');
  });

  it('gives different keys under different peppers and for different values', () => {
    const one = createProtector(HASH).protect(TOKEN).key;
    const other = createProtector({ mode: 'hash', peppers: [{ id: 'p1', secret: generatePepper() }] }).protect(TOKEN).key;
    expect(other).not.toBe(one);
    expect(createProtector(HASH).protect(`${TOKEN}x`).key).not.toBe(one);
  });

  it('keeps nothing recoverable: reveal fails with DECRYPTION_FAILED', () => {
    const hash = createProtector(HASH);
    expect(hash.recoverable).toBe(false);
    expect(() => hash.reveal(hash.protect(TOKEN))).toThrow(expect.objectContaining({ code: ErrorCode.DecryptionFailed }));
  });

  it('tries the active pepper first and then the older ones during a rotation', () => {
    const rotating = createProtector({ mode: 'hash', peppers: [PEPPER_1, PEPPER_2], activePepper: 'p2' });
    const underP1 = createProtector(HASH).protect(TOKEN).key;
    const underP2 = createProtector({ mode: 'hash', peppers: [PEPPER_2] }).protect(TOKEN).key;
    expect(rotating.lookupKeys(TOKEN)).toEqual([underP2, underP1]);
    expect(rotating.protect(TOKEN).key).toBe(underP2);
    expect(rotating.isCurrent({ key: underP2, value: null })).toBe(true);
    expect(rotating.isCurrent({ key: underP1, value: null })).toBe(false);
  });
});

describe('hash lookup keys (SHA-256 without pepper, WSO2-compatible)', () => {
  it('is the hex SHA-256 of the value, tagged sha256$', () => {
    const hash = createProtector({ mode: 'hash', algorithm: 'sha256' });
    expect(hash.protect(TOKEN)).toEqual({ key: `sha256$${createHash('sha256').update(TOKEN).digest('hex')}`, value: null });
    expect(schemeOf(hash.protect(TOKEN).key)).toBe('sha256');
  });
});

describe('encrypt lookup keys', () => {
  it('are the same peppered HMAC as hash mode, so a lookup never needs to decrypt', () => {
    const encrypt = createProtector({
      mode: 'encrypt',
      peppers: [PEPPER_1],
      cipher: { algorithm: 'aes-256-gcm', keys: [{ id: 'k1', key: Buffer.alloc(32, 7) }], activeKey: 'k1' },
    });
    expect(encrypt.lookupKeys(TOKEN)).toEqual(createProtector(HASH).lookupKeys(TOKEN));
  });
});

describe('pepper configuration', () => {
  it('refuses a secret shorter than 32 bytes, naming the option', () => {
    const error = misconfiguration({ mode: 'hash', peppers: [{ id: 'p1', secret: Buffer.alloc(31) }] });
    expect(error.code).toBe(ErrorCode.Misconfiguration);
    expect(error.field).toBe('protection.peppers[0].secret');
  });

  it('refuses a secret that is not strict Base64 (a passphrase typed by mistake)', () => {
    expect(
      misconfiguration({ mode: 'hash', peppers: [{ id: 'p1', secret: 'correct horse battery staple, but longer than 32' }] }).field,
    ).toBe('protection.peppers[0].secret');
  });

  it('refuses duplicate and malformed ids', () => {
    expect(misconfiguration({ mode: 'hash', peppers: [PEPPER_1, { ...PEPPER_2, id: 'p1' }], activePepper: 'p1' }).field).toBe(
      'protection.peppers[1].id',
    );
    expect(misconfiguration({ mode: 'hash', peppers: [{ ...PEPPER_1, id: 'has space' }] }).field).toBe('protection.peppers[0].id');
    expect(misconfiguration({ mode: 'hash', peppers: [{ ...PEPPER_1, id: 'a'.repeat(17) }] }).field).toBe('protection.peppers[0].id');
    expect(misconfiguration({ mode: 'hash', peppers: [{ ...PEPPER_1, id: 'p$1' }] }).field).toBe('protection.peppers[0].id');
  });

  it('needs an active pepper that is in the ring, and names it when several are configured', () => {
    expect(misconfiguration({ mode: 'hash', peppers: [PEPPER_1, PEPPER_2] }).field).toBe('protection.activePepper');
    expect(misconfiguration({ mode: 'hash', peppers: [PEPPER_1], activePepper: 'p9' }).field).toBe('protection.activePepper');
  });

  it('needs peppers for HMAC and refuses them for unpeppered SHA-256', () => {
    expect(misconfiguration({ mode: 'hash' }).field).toBe('protection.peppers');
    expect(misconfiguration({ mode: 'hash', peppers: [] }).field).toBe('protection.peppers');
    expect(misconfiguration({ mode: 'hash', algorithm: 'sha256', peppers: [PEPPER_1] }).field).toBe('protection.peppers');
    expect(misconfiguration({ mode: 'hash', algorithm: 'md5', peppers: [PEPPER_1] }).field).toBe('protection.algorithm');
  });

  it('never puts a secret in an error message', () => {
    const short = Buffer.alloc(20, 0x41).toString('base64');
    const error = misconfiguration({ mode: 'hash', peppers: [{ id: 'p1', secret: short }] });
    expect(error.message).not.toContain(short);
    expect(error.message).toContain('protection.peppers[0].secret');
  });
});

describe('protection options', () => {
  it('refuses an unknown mode, a misspelt option and a nested fallback', () => {
    expect(misconfiguration({ mode: 'rot13' }).field).toBe('protection.mode');
    expect(misconfiguration(null).field).toBe('protection');
    expect(misconfiguration({ mode: 'hash', pepper: [PEPPER_1] }).field).toBe('protection.pepper');
    expect(misconfiguration({ mode: 'plain', fallback: [{ mode: 'plain', fallback: [] }] }).field).toBe('protection.fallback[0].fallback');
    expect(misconfiguration({ mode: 'plain', fallback: { mode: 'plain' } }).field).toBe('protection.fallback');
    expect(misconfiguration({ mode: 'plain', rehashOnRead: 'yes' }).field).toBe('protection.rehashOnRead');
  });

  it('names the option inside a fallback entry', () => {
    const error = misconfiguration({ ...HASH, fallback: [{ mode: 'hash', peppers: [{ id: 'old', secret: Buffer.alloc(8) }] }] });
    expect(error.field).toBe('protection.fallback[0].peppers[0].secret');
    expect(error).toBeInstanceOf(TokenStoreError);
  });

  it('lists the current keys first, then every fallback mode, without duplicates', () => {
    const chain = createProtector({ ...HASH, fallback: [{ mode: 'hash', algorithm: 'sha256' }, { mode: 'plain' }, HASH] });
    expect(chain.lookupKeys(TOKEN)).toEqual([
      createProtector(HASH).protect(TOKEN).key,
      `sha256$${createHash('sha256').update(TOKEN).digest('hex')}`,
      TOKEN,
    ]);
    expect(chain.mode).toBe('hash');
  });
});

describe('HMAC-SHA-256 lookup key fast path', () => {
  it('equals node:crypto createHmac for ASCII, non-ASCII, empty-adjacent and over-long values, and long peppers', () => {
    const peppers = [randomBytes(32), randomBytes(64), randomBytes(100)];
    const values = ['a', 'x'.repeat(43), 'é€𝄞-token', 'y'.repeat(8192), 'z'.repeat(8193), '€'.repeat(8192)];
    for (const pepper of peppers) {
      const scheme = new HmacSha256LookupKey('p1', pepper);
      for (const value of values) {
        // Twice: the fast path reuses its buffers, so a longer value must not leak into a shorter one.
        for (const _ of [1, 2]) {
          expect(scheme.derive(value)).toBe(`hmac-sha256:p1$${createHmac('sha256', pepper).update(value, 'utf8').digest('hex')}`);
        }
      }
    }
  });
});

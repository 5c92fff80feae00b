import { constants, createPrivateKey, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import {
  AES_GCM_SCHEME,
  type AesKey,
  createProtector,
  ErrorCode,
  generateAesKey,
  MisconfigurationError,
  type ProtectedValue,
  type ProtectionOptions,
  type Protector,
  TokenStoreError,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { AES_A, AES_B, encryptRsa, PEPPER_1, rsaKeyPair } from './protection-fixtures.js';

const TOKEN = 'dG9rZW4tdmFsdWUtZm9yLXRoZS1jaXBoZXItdGVzdHMtMDEyMzQ';

function aes(keys: AesKey[] = [AES_A], activeKey = 'kA'): ProtectionOptions {
  return { mode: 'encrypt', peppers: [PEPPER_1], cipher: { algorithm: 'aes-256-gcm', keys, activeKey } };
}

function failure(protector: Protector, stored: ProtectedValue): TokenStoreError {
  try {
    const revealed = protector.reveal(stored);
    throw new Error(`expected DECRYPTION_FAILED, got a value of ${revealed.length} characters`);
  } catch (error) {
    if (error instanceof TokenStoreError) return error;
    throw error;
  }
}

function misconfiguration(options: unknown): MisconfigurationError {
  try {
    createProtector(options as ProtectionOptions);
  } catch (error) {
    if (error instanceof MisconfigurationError) return error;
    throw error;
  }
  throw new Error('expected a MisconfigurationError');
}

/** Flips one bit of the Base64 payload of a sealed value at byte `index` (negative: from the end). */
function flipBit(sealed: string, index: number): string {
  const [scheme, keyId, body] = sealed.split('.') as [string, string, string];
  const bytes = Buffer.from(body, 'base64');
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = (bytes[at] as number) ^ 0x01;
  return `${scheme}.${keyId}.${bytes.toString('base64')}`;
}

describe('AES-256-GCM', () => {
  it('round-trips a value and names the key id and algorithm in the ciphertext', () => {
    const protector = createProtector(aes());
    const stored = protector.protect(TOKEN);
    expect(stored.value).toMatch(/^a256gcm\.kA\.[A-Za-z0-9+/]+={0,2}$/);
    expect(stored.value!.startsWith(`${AES_GCM_SCHEME}.`)).toBe(true);
    expect(protector.reveal(stored)).toBe(TOKEN);
    expect(protector.isCurrent(stored)).toBe(true);
  });

  it('seals with a fresh random nonce every time: the same value never gives the same ciphertext', () => {
    const protector = createProtector(aes());
    const nonces = new Set<string>();
    const sealed = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const value = protector.protect(TOKEN).value!;
      sealed.add(value);
      nonces.add(Buffer.from(value.split('.')[2]!, 'base64').subarray(0, 12).toString('hex'));
    }
    expect(sealed.size).toBe(50);
    expect(nonces.size).toBe(50);
  });

  it('stores nonce | ciphertext | 16-byte tag, Base64', () => {
    const stored = createProtector(aes()).protect(TOKEN);
    expect(Buffer.from(stored.value!.split('.')[2]!, 'base64').length).toBe(12 + Buffer.byteLength(TOKEN) + 16);
  });

  it('round-trips an 8 KiB caller-supplied value', () => {
    const protector = createProtector(aes());
    const jwt = 'e'.repeat(8192);
    expect(protector.reveal(protector.protect(jwt))).toBe(jwt);
  });

  it.each([
    ['16 bytes', Buffer.alloc(16, 1)],
    ['31 bytes', Buffer.alloc(31, 1)],
    ['33 bytes', Buffer.alloc(33, 1)],
    ['24 bytes of Base64', Buffer.alloc(24, 1).toString('base64')],
  ])('refuses a key of %s with a MisconfigurationError naming the option', (_name, key) => {
    const error = misconfiguration(aes([{ id: 'kA', key }]));
    expect(error.code).toBe(ErrorCode.Misconfiguration);
    expect(error.field).toBe('protection.cipher.keys[0].key');
    expect(error.message).toContain('32 bytes');
  });

  it('refuses a key that is not Base64, an unknown active key and duplicate key ids', () => {
    expect(misconfiguration(aes([{ id: 'kA', key: 'not base64!' }])).field).toBe('protection.cipher.keys[0].key');
    expect(misconfiguration(aes([AES_A], 'kZ')).field).toBe('protection.cipher.activeKey');
    expect(misconfiguration(aes([AES_A, { ...AES_B, id: 'kA' }])).field).toBe('protection.cipher.keys[1].id');
    expect(misconfiguration({ mode: 'encrypt', peppers: [PEPPER_1] }).field).toBe('protection.cipher');
    expect(
      misconfiguration({ mode: 'encrypt', peppers: [PEPPER_1], cipher: { algorithm: 'des', keys: [AES_A], activeKey: 'kA' } }).field,
    ).toBe('protection.cipher.algorithm');
    expect(misconfiguration({ mode: 'encrypt', cipher: { algorithm: 'aes-256-gcm', keys: [AES_A], activeKey: 'kA' } }).field).toBe(
      'protection.peppers',
    );
  });

  it('fails with DECRYPTION_FAILED, naming only the key id, for an unknown key id', () => {
    const sealedUnderB = createProtector(aes([AES_B], 'kB')).protect(TOKEN);
    const error = failure(createProtector(aes([AES_A])), sealedUnderB);
    expect(error.code).toBe(ErrorCode.DecryptionFailed);
    expect(error.message).toContain('"kB"');
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain(AES_B.key);
  });

  it.each([
    ['the nonce', 0],
    ['the ciphertext', 14],
    ['the tag', -1],
  ])('fails with DECRYPTION_FAILED when a bit of %s is flipped', (_part, index) => {
    const protector = createProtector(aes());
    const stored = protector.protect(TOKEN);
    const error = failure(protector, { ...stored, value: flipBit(stored.value!, index) });
    expect(error.code).toBe(ErrorCode.DecryptionFailed);
    expect(error.message).not.toContain(TOKEN);
  });

  it('fails with DECRYPTION_FAILED for a truncated ciphertext and for garbage', () => {
    const protector = createProtector(aes());
    const stored = protector.protect(TOKEN);
    const [scheme, keyId, body] = stored.value!.split('.') as [string, string, string];
    const shorter = Buffer.from(body, 'base64').subarray(0, 20).toString('base64');
    expect(failure(protector, { ...stored, value: `${scheme}.${keyId}.${shorter}` }).code).toBe(ErrorCode.DecryptionFailed);
    const withoutTag = Buffer.from(body, 'base64').subarray(0, -16).toString('base64');
    expect(failure(protector, { ...stored, value: `${scheme}.${keyId}.${withoutTag}` }).code).toBe(ErrorCode.DecryptionFailed);
    expect(failure(protector, { ...stored, value: stored.value!.slice(0, 20) }).code).toBe(ErrorCode.DecryptionFailed);
    expect(failure(protector, { ...stored, value: 'plaintext-that-was-never-sealed' }).code).toBe(ErrorCode.DecryptionFailed);
  });

  it('binds the sealed value to its row: moved under another lookup key it does not open', () => {
    const protector = createProtector(aes());
    const one = protector.protect(TOKEN);
    const other = protector.protect(`${TOKEN}-other`);
    expect(failure(protector, { key: other.key, value: one.value }).code).toBe(ErrorCode.DecryptionFailed);
  });

  it('opens values of every key of the ring but seals with the active key only', () => {
    const before = createProtector(aes([AES_A], 'kA')).protect(TOKEN);
    const ring = createProtector(aes([AES_A, AES_B], 'kB'));
    expect(ring.reveal(before)).toBe(TOKEN);
    expect(ring.isCurrent(before)).toBe(false);
    const after = ring.protect(TOKEN);
    expect(after.value!.startsWith('a256gcm.kB.')).toBe(true);
    expect(after.key).toBe(before.key);
    expect(ring.isCurrent(after)).toBe(true);
  });

  it('generates 256-bit keys as Base64', () => {
    const key = generateAesKey();
    expect(Buffer.from(key, 'base64').length).toBe(32);
    expect(generateAesKey()).not.toBe(key);
  });
});

describe('RSA-OAEP', () => {
  it('uses WSO2 default RSA/ECB/OAEPwithSHA1andMGF1Padding unless told otherwise', () => {
    const protector = createProtector(encryptRsa());
    const stored = protector.protect(TOKEN);
    expect(stored.value).toMatch(/^rsa-oaep\.r1\./);
    expect(protector.reveal(stored)).toBe(TOKEN);
  });

  it.each([
    ['RSA/ECB/OAEPwithSHA1andMGF1Padding', 'sha1', 'rsa-oaep'],
    ['RSA/ECB/OAEPWithSHA-256AndMGF1Padding', 'sha256', 'rsa-oaep-256'],
  ])('round-trips with %s: a standard OAEP block (%s) labelled with the lookup key', (transformation, hash, scheme) => {
    const protector = createProtector(encryptRsa(transformation));
    const stored = protector.protect(TOKEN);
    expect(stored.value!.startsWith(`${scheme}.r1.`)).toBe(true);
    expect(protector.reveal(stored)).toBe(TOKEN);
    const block = Buffer.from(stored.value!.split('.')[2]!, 'base64');
    expect(block.length).toBe(256);
    const opened = privateDecrypt(
      {
        key: createPrivateKey(rsaKeyPair().privateKeyPem),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: hash,
        oaepLabel: Buffer.from(stored.key),
      },
      block,
    );
    expect(opened.toString('utf8')).toBe(TOKEN);
  });

  it('seals a value longer than one RSA block (an 8 KiB JWT) with a wrapped AES-256-GCM key', () => {
    const protector = createProtector(encryptRsa('RSA/ECB/OAEPWithSHA-256AndMGF1Padding'));
    const jwt = 'j'.repeat(8192);
    const stored = protector.protect(jwt);
    expect(stored.value!.startsWith('rsa-oaep-256+a256gcm.r1.')).toBe(true);
    expect(protector.reveal(stored)).toBe(jwt);
    expect(failure(protector, { ...stored, value: flipBit(stored.value!, -1) }).code).toBe(ErrorCode.DecryptionFailed);
    expect(failure(protector, { ...stored, value: flipBit(stored.value!, 3) }).code).toBe(ErrorCode.DecryptionFailed);
  });

  it('fails with DECRYPTION_FAILED when tampered, truncated, moved to another row or under an unknown key', () => {
    const protector = createProtector(encryptRsa());
    const stored = protector.protect(TOKEN);
    expect(failure(protector, { ...stored, value: flipBit(stored.value!, 100) }).code).toBe(ErrorCode.DecryptionFailed);
    expect(failure(protector, { ...stored, value: stored.value!.slice(0, -8) }).code).toBe(ErrorCode.DecryptionFailed);
    expect(failure(protector, { key: protector.protect('another-value-entirely').key, value: stored.value }).code).toBe(
      ErrorCode.DecryptionFailed,
    );
    const unknown = failure(protector, { ...stored, value: stored.value!.replace('.r1.', '.r9.') });
    expect(unknown.code).toBe(ErrorCode.DecryptionFailed);
    expect(unknown.message).toContain('"r9"');
  });

  it('still opens values sealed under the previous transformation after the configuration changes', () => {
    const sha1 = createProtector(encryptRsa()).protect(TOKEN);
    const now256 = createProtector(encryptRsa('RSA/ECB/OAEPWithSHA-256AndMGF1Padding'));
    expect(now256.reveal(sha1)).toBe(TOKEN);
    expect(now256.isCurrent(sha1)).toBe(false);
  });

  it('with a public key only, seals but is not recoverable, and says which key lacks its private half', () => {
    const { publicKeyPem } = rsaKeyPair();
    const sealOnly = createProtector({
      mode: 'encrypt',
      peppers: [PEPPER_1],
      cipher: { algorithm: 'rsa-oaep', keys: [{ id: 'r1', publicKeyPem }], activeKey: 'r1' },
    });
    expect(sealOnly.recoverable).toBe(false);
    const error = failure(sealOnly, sealOnly.protect(TOKEN));
    expect(error.code).toBe(ErrorCode.DecryptionFailed);
    expect(error.message).toContain('"r1"');
  });

  it('derives the public key from the private key when only that is given', () => {
    const { privateKeyPem } = rsaKeyPair();
    const protector = createProtector({
      mode: 'encrypt',
      peppers: [PEPPER_1],
      cipher: { algorithm: 'rsa-oaep', keys: [{ id: 'r1', privateKeyPem }], activeKey: 'r1' },
    });
    expect(protector.reveal(protector.protect(TOKEN))).toBe(TOKEN);
  });

  it('refuses PKCS#1 v1.5, unknown transformations, weak or mismatched keys and non-PEM input, without echoing key material', () => {
    const pair = rsaKeyPair();
    const rsa = (extra: object) => ({
      mode: 'encrypt',
      peppers: [PEPPER_1],
      cipher: { algorithm: 'rsa-oaep', keys: [{ id: 'r1', ...pair }], activeKey: 'r1', ...extra },
    });
    expect(misconfiguration(rsa({ transformation: 'RSA/ECB/PKCS1Padding' })).message).toContain('PKCS#1 v1.5');
    expect(misconfiguration(rsa({ transformation: 'AES/GCM/NoPadding' })).field).toBe('protection.cipher.transformation');
    const small = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const weak = misconfiguration({
      mode: 'encrypt',
      peppers: [PEPPER_1],
      cipher: { algorithm: 'rsa-oaep', keys: [{ id: 'r1', publicKeyPem: small.publicKey }], activeKey: 'r1' },
    });
    expect(weak.message).toContain('2048');
    const mismatched = misconfiguration({
      mode: 'encrypt',
      peppers: [PEPPER_1],
      cipher: {
        algorithm: 'rsa-oaep',
        keys: [{ id: 'r1', publicKeyPem: pair.publicKeyPem, privateKeyPem: small.privateKey }],
        activeKey: 'r1',
      },
    });
    expect(mismatched.field).toBe('protection.cipher.keys[0].privateKeyPem');
    expect(mismatched.message).not.toContain('BEGIN');
    const garbage = misconfiguration({
      mode: 'encrypt',
      peppers: [PEPPER_1],
      cipher: {
        algorithm: 'rsa-oaep',
        keys: [{ id: 'r1', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }],
        activeKey: 'r1',
      },
    });
    expect(garbage.field).toBe('protection.cipher.keys[0].publicKeyPem');
  });
});

describe('lookups never decrypt', () => {
  it('derives lookup keys without touching the sealed value', () => {
    const protector = createProtector(aes());
    const stored = protector.protect(TOKEN);
    expect(protector.lookupKeys(TOKEN)).toEqual([stored.key]);
    expect(stored.key).toMatch(/^hmac-sha256:p1\$[0-9a-f]{64}$/);
  });
});

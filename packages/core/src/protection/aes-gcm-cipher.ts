import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MisconfigurationError } from '../errors.js';
import { decodeKeyMaterial, requireUniqueIds, validateKeyId } from './key-material.js';
import { decryptionFailed, formatSealedValue, parseSealedValue } from './sealed-value.js';
import type { ValueCipher } from './value-cipher.js';

/** Scheme tag of AES-256-GCM sealed values (the JWA name). */
export const AES_GCM_SCHEME = 'a256gcm';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** One AES-256 key of the ring. */
export interface AesKey {
  /** 1..16 characters of [A-Za-z0-9_-]; written into every value it seals. */
  id: string;
  /** Exactly 32 bytes: a Buffer, or standard Base64 as returned by `generateAesKey()`. */
  key: Buffer | string;
}

/**
 * AES-256-GCM with a key ring: the active key seals, every key of the ring opens. A fresh random
 * 96-bit nonce per value; payload = nonce | ciphertext | 16-byte tag. Random nonces are safe for about
 * 2^32 values per key: rotate long before that.
 */
export class AesGcmCipher implements ValueCipher {
  readonly algorithm = 'aes-256-gcm' as const;
  readonly canOpen = true;
  readonly activeKeyId: string;
  readonly #keys: Map<string, Buffer>;

  constructor(option: string, keys: unknown, activeKey: unknown) {
    if (!Array.isArray(keys) || keys.length === 0)
      throw new MisconfigurationError(`${option}.keys`, 'must list at least one key { id, key } (create one with generateAesKey())');
    const ids = keys.map((entry, index) => {
      if (entry === null || typeof entry !== 'object') throw new MisconfigurationError(`${option}.keys[${index}]`, 'must be { id, key }');
      return validateKeyId(`${option}.keys[${index}].id`, (entry as AesKey).id);
    });
    requireUniqueIds(`${option}.keys`, ids);
    this.#keys = new Map();
    keys.forEach((entry: AesKey, index) => {
      const material = decodeKeyMaterial(`${option}.keys[${index}].key`, entry.key);
      if (material.length !== KEY_BYTES)
        throw new MisconfigurationError(
          `${option}.keys[${index}].key`,
          `must be exactly ${KEY_BYTES} bytes for AES-256 (got ${material.length})`,
        );
      this.#keys.set(ids[index]!, material);
    });
    if (typeof activeKey !== 'string' || !this.#keys.has(activeKey))
      throw new MisconfigurationError(`${option}.activeKey`, `must be the id of one of the configured keys (${ids.join(', ')})`);
    this.activeKeyId = activeKey;
  }

  seal(plaintext: string, associatedData: string): string {
    const payload = sealAesGcm(this.#keys.get(this.activeKeyId)!, Buffer.from(plaintext, 'utf8'), associatedData);
    return formatSealedValue(AES_GCM_SCHEME, this.activeKeyId, payload);
  }

  open(sealed: string, associatedData: string): string {
    const parsed = parseSealedValue(sealed);
    if (!parsed || parsed.scheme !== AES_GCM_SCHEME) throw decryptionFailed('not an AES-256-GCM sealed value');
    const key = this.#keys.get(parsed.keyId);
    if (!key) throw decryptionFailed('unknown key id', parsed.keyId);
    return openAesGcm(key, parsed.payload, associatedData, parsed.keyId);
  }

  recognizes(sealed: string): boolean {
    const parsed = parseSealedValue(sealed);
    return parsed !== null && parsed.scheme === AES_GCM_SCHEME && this.#keys.has(parsed.keyId);
  }

  isCurrent(sealed: string): boolean {
    const parsed = parseSealedValue(sealed);
    return parsed !== null && parsed.scheme === AES_GCM_SCHEME && parsed.keyId === this.activeKeyId;
  }
}

/** Seals with a raw AES-256 key: nonce | ciphertext | tag. Shared with the RSA hybrid form. */
export function sealAesGcm(key: Buffer, plaintext: Buffer, associatedData: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Opens nonce | ciphertext | tag; any failure is a `DECRYPTION_FAILED` error naming only the key id. */
export function openAesGcm(key: Buffer, payload: Buffer, associatedData: string, keyId: string): string {
  if (payload.length <= NONCE_BYTES + TAG_BYTES) throw decryptionFailed('sealed value is truncated', keyId);
  const nonce = payload.subarray(0, NONCE_BYTES);
  const tag = payload.subarray(payload.length - TAG_BYTES);
  const body = payload.subarray(NONCE_BYTES, payload.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch (error) {
    throw decryptionFailed('authentication failed (tampered, truncated, moved to another row, or the wrong key)', keyId, error);
  }
}

import { randomBytes } from 'node:crypto';
import { MisconfigurationError } from '../errors.js';

/** Key ids, pepper ids: short, safe inside a lookup-key tag and a sealed value's header. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Secret key material given as a Buffer or as standard Base64 (what the generators return). Base64 is
 * parsed strictly, so a passphrase typed by mistake fails at start-up instead of decoding into fewer,
 * weaker bytes. Never echoes the material.
 */
export function decodeKeyMaterial(option: string, material: unknown): Buffer {
  if (Buffer.isBuffer(material)) return Buffer.from(material);
  if (material instanceof Uint8Array) return Buffer.from(material);
  if (typeof material === 'string') {
    if (material.length === 0 || !STRICT_BASE64.test(material))
      throw new MisconfigurationError(
        option,
        'must be a Buffer or a standard Base64 string (e.g. from generateAesKey() / generatePepper())',
      );
    return Buffer.from(material, 'base64');
  }
  throw new MisconfigurationError(option, 'must be a Buffer or a standard Base64 string');
}

/** Validates a key or pepper id. */
export function validateKeyId(option: string, id: unknown): string {
  if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id))
    throw new MisconfigurationError(option, 'must be 1..16 characters of [A-Za-z0-9_-]');
  return id;
}

/** Checks that ids in a ring are unique; names the first duplicate's option. */
export function requireUniqueIds(option: string, ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const [index, id] of ids.entries()) {
    if (seen.has(id)) throw new MisconfigurationError(`${option}[${index}].id`, `duplicate id "${id}"`);
    seen.add(id);
  }
}

/** A new 256-bit AES key from the CSPRNG, standard Base64 (44 characters). */
export function generateAesKey(): string {
  return randomBytes(32).toString('base64');
}

/** A new 256-bit pepper (HMAC key) from the CSPRNG, standard Base64 (44 characters). */
export function generatePepper(): string {
  return randomBytes(32).toString('base64');
}

import { ErrorCode, TokenStoreError } from '../errors.js';
import { KEY_ID_PATTERN } from './key-material.js';

/**
 * A sealed value as stored: `<scheme>.<keyId>.<Base64 payload>`, e.g. `a256gcm.k2.q0…`. The scheme
 * names the algorithm (JWA-style names), the key id names the key of the ring that sealed it, so a
 * row can always be opened after the active key or the configured algorithm changed.
 */
export interface SealedValue {
  scheme: string;
  keyId: string;
  payload: Buffer;
}

const SCHEME_PATTERN = /^[a-z0-9+-]{1,32}$/;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function formatSealedValue(scheme: string, keyId: string, payload: Buffer): string {
  return `${scheme}.${keyId}.${payload.toString('base64')}`;
}

/** The parts of a sealed value, or `null` when it is not one (never throws). */
export function parseSealedValue(sealed: string): SealedValue | null {
  const first = sealed.indexOf('.');
  const second = sealed.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1) return null;
  const scheme = sealed.slice(0, first);
  const keyId = sealed.slice(first + 1, second);
  const body = sealed.slice(second + 1);
  if (!SCHEME_PATTERN.test(scheme) || !KEY_ID_PATTERN.test(keyId) || body.length === 0 || !STRICT_BASE64.test(body)) return null;
  return { scheme, keyId, payload: Buffer.from(body, 'base64') };
}

/** The typed error for every way opening can fail. Names the key id at most, never material or values. */
export function decryptionFailed(reason: string, keyId?: string, cause?: unknown): TokenStoreError {
  const which = keyId === undefined ? '' : ` (key "${keyId}")`;
  return new TokenStoreError(
    ErrorCode.DecryptionFailed,
    `cannot open sealed value${which}: ${reason}`,
    cause === undefined ? {} : { cause },
  );
}

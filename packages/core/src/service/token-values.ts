import { createHash, randomBytes, randomFillSync, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Confirmation, encodeConfirmation } from '../confirmation.js';
import { oneShotHash } from '../protection/lookup-keys.js';

const TOKEN_BYTES = 32;
// CSPRNG output is fetched 128 tokens at a time (as node:crypto's randomUUID does for UUIDs): one
// randomFillSync call costs several microseconds whatever its size, more than the rest of an issue.
const POOL_BYTES = TOKEN_BYTES * 128;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** A new 256-bit token value from the CSPRNG, base64url without padding (43 characters). */
export function generateTokenValue(): string {
  if (poolOffset + TOKEN_BYTES > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += TOKEN_BYTES;
  const value = pool.toString('base64url', start, poolOffset);
  pool.fill(0, start, poolOffset); // bytes handed out do not linger in memory
  return value;
}

/** A new 128-bit consumer key, base64url (22 characters). */
export function generateConsumerKey(): string {
  return randomBytes(16).toString('base64url');
}

export function generateGrantId(): string {
  return randomUUID();
}

/** Constant-time string equality that does not leak length (both sides are digested first). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** SHA-256 of the UTF-8 of `value`: one-shot where Node has it (a client authentication does two). */
function sha256(value: string): Buffer {
  return oneShotHash ? Buffer.from(oneShotHash('sha256', value, 'latin1'), 'latin1') : createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The reuse key for (consumer key, user, user type, scope set), and the sender constraint when the
 * token is bound: a token bound to one key is never handed back to a request proving another (or
 * none). Scopes must already be normalised. A digest, so it is fixed-length for every backend's
 * index; it is not secret. Unbound tokens keep the key they always had.
 */
export function computeReuseKey(
  consumerKey: string,
  userId: string,
  userType: string,
  scopes: readonly string[],
  confirmation?: Confirmation,
): string {
  const parts: unknown[] = [consumerKey, userId, userType, scopes];
  if (confirmation !== undefined) parts.push(encodeConfirmation(confirmation));
  return createHash('sha256').update(JSON.stringify(parts), 'utf8').digest('hex');
}

/** RFC 7636 code_verifier: 43..128 characters of [A-Z a-z 0-9 - . _ ~]. */
export const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export function pkceChallenge(verifier: string, method: 'S256' | 'plain'): string {
  return method === 'plain' ? verifier : createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

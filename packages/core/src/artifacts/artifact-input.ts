import { InvalidInputError } from '../errors.js';
import { MAX_LOOKUP_KEY_LENGTH } from '../protection/protector.js';
import { MAX_IDENTIFIER_LENGTH } from '../validation.js';
import type { StoredArtifact } from './artifact-store.js';

/**
 * The checks every {@link ArtifactStore} makes on what reaches it (next to `store-input.ts`), so every
 * backend refuses the same bad argument with the same typed error and changes nothing.
 */

/** Longest model name: oidc-provider's are PascalCase identifiers (`BackchannelAuthenticationRequest`). */
export const MAX_ARTIFACT_MODEL_LENGTH = 64;
/** Largest stored payload, in characters of JSON (sealed payloads are about 4/3 of their plaintext). */
export const MAX_ARTIFACT_PAYLOAD_LENGTH = 512 * 1024;

const MODEL_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Throws `INVALID_INPUT` (field `model`) unless `model` is a model name such as `AccessToken`. */
export function checkArtifactModel(model: unknown, backend: string): asserts model is string {
  if (typeof model !== 'string' || model.length > MAX_ARTIFACT_MODEL_LENGTH || !MODEL_NAME.test(model))
    throw new InvalidInputError('model', `must be a model name of letters, digits and _ (at most ${MAX_ARTIFACT_MODEL_LENGTH})`, {
      backend,
    });
}

/** Throws `INVALID_INPUT` (field `field`) unless `key` is a lookup key of 1..{@link MAX_LOOKUP_KEY_LENGTH} characters. */
export function checkLookupKey(field: string, key: unknown, backend: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_LOOKUP_KEY_LENGTH)
    throw new InvalidInputError(field, `must be a lookup key of 1 to ${MAX_LOOKUP_KEY_LENGTH} characters`, { backend });
}

/** Throws `INVALID_INPUT` (field `grantId`) unless `grantId` is 1..255 characters. */
export function checkGrantId(grantId: unknown, backend: string): asserts grantId is string {
  if (typeof grantId !== 'string' || grantId.length === 0 || grantId.length > MAX_IDENTIFIER_LENGTH)
    throw new InvalidInputError('grantId', `must be a string of 1 to ${MAX_IDENTIFIER_LENGTH} characters`, { backend });
}

/** Throws `INVALID_INPUT` (field `field`) unless `at` is an instant in epoch milliseconds. */
export function checkInstant(field: string, at: unknown, backend: string): asserts at is number {
  if (!Number.isSafeInteger(at) || (at as number) < 0)
    throw new InvalidInputError(field, 'must be an instant in epoch milliseconds', { backend });
}

/** Throws `INVALID_INPUT` naming the first bad field of `row`. */
export function checkArtifactRow(row: unknown, backend: string): asserts row is StoredArtifact {
  if (typeof row !== 'object' || row === null) throw new InvalidInputError('row', 'must be an object', { backend });
  const r = row as Record<string, unknown>;
  checkArtifactModel(r.model, backend);
  checkLookupKey('key', r.key, backend);
  if (r.value !== null && typeof r.value !== 'string') throw new InvalidInputError('value', 'must be a string or null', { backend });
  if (typeof r.payload !== 'string' || r.payload.length === 0 || r.payload.length > MAX_ARTIFACT_PAYLOAD_LENGTH)
    throw new InvalidInputError('payload', `must be a string of 1 to ${MAX_ARTIFACT_PAYLOAD_LENGTH} characters`, { backend });
  if (typeof r.sealed !== 'boolean') throw new InvalidInputError('sealed', 'must be a boolean', { backend });
  if (r.grantId !== null) checkGrantId(r.grantId, backend);
  if (r.uidKey !== null) checkLookupKey('uidKey', r.uidKey, backend);
  if (r.userCodeKey !== null) checkLookupKey('userCodeKey', r.userCodeKey, backend);
  if (r.expiresAt !== null) checkInstant('expiresAt', r.expiresAt, backend);
  if (r.consumedAt !== null) checkInstant('consumedAt', r.consumedAt, backend);
  checkInstant('updatedAt', r.updatedAt, backend);
}

/**
 * Throws `INVALID_INPUT` unless `expected` and `next` are rows and `next` keeps `expected`'s model and
 * key (what {@link ArtifactStore.replaceArtifact} takes).
 */
export function checkArtifactReplacement(expected: unknown, next: unknown, backend: string): void {
  checkArtifactRow(expected, backend);
  checkArtifactRow(next, backend);
  if (
    (next as StoredArtifact).model !== (expected as StoredArtifact).model ||
    (next as StoredArtifact).key !== (expected as StoredArtifact).key
  )
    throw new InvalidInputError('next', 'must keep the model and key of the row it replaces', { backend });
}

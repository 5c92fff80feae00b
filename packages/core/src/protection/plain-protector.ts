import { createHash } from 'node:crypto';
import { ErrorCode, TokenStoreError } from '../errors.js';
import { MAX_LOOKUP_KEY_LENGTH, type ProtectedValue, type SchemeAwareProtector } from './protector.js';
import { TAG_DOLLAR_LIMIT } from './scheme-tag.js';

/** Tag of a plain-mode key derived from a value too long to index (a long caller-supplied JWT). */
export const PLAIN_DIGEST_TAG = 'sha256-plain$';

/**
 * `plain` mode: the lookup key is the value itself (values longer than {@link MAX_LOOKUP_KEY_LENGTH}
 * are keyed by their SHA-256 digest so every backend can index them) and the value is kept as is.
 */
export class PlainProtector implements SchemeAwareProtector {
  readonly mode = 'plain' as const;
  readonly recoverable = true;

  protect(value: string): ProtectedValue {
    return { key: plainLookupKey(value), value };
  }

  lookupKeys(value: string): string[] {
    return [plainLookupKey(value)];
  }

  reveal(stored: ProtectedValue): string {
    if (stored.value !== null) return stored.value;
    throw new TokenStoreError(ErrorCode.DecryptionFailed, 'stored row holds no recoverable value');
  }

  isCurrent(stored: ProtectedValue): boolean {
    return stored.value !== null && stored.key === plainLookupKey(stored.value);
  }

  owns(stored: ProtectedValue): boolean {
    return this.isCurrent(stored);
  }
}

/**
 * The plain lookup key of a value. A value that looks like a tagged key (a `$` among its first
 * characters) is digested too: otherwise, during a plain → hash migration, someone who read a hashed
 * key out of the database could present that key as a "token" and have the plain fallback find the row.
 */
export function plainLookupKey(value: string): string {
  const dollar = value.indexOf('$');
  const looksTagged = dollar > 0 && dollar < TAG_DOLLAR_LIMIT;
  if (value.length <= MAX_LOOKUP_KEY_LENGTH && !looksTagged) return value;
  return PLAIN_DIGEST_TAG + createHash('sha256').update(value, 'utf8').digest('hex');
}

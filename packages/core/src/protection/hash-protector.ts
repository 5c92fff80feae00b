import { ErrorCode, TokenStoreError } from '../errors.js';
import type { LookupKeyScheme } from './lookup-keys.js';
import type { ProtectedValue, SchemeAwareProtector } from './protector.js';

/**
 * `hash` mode: the row keeps only a one-way lookup key (HMAC-SHA-256 under a pepper, or WSO2's plain
 * SHA-256) and no value, so a stolen table yields no usable token. Reuse is impossible (seed 000).
 */
export class HashProtector implements SchemeAwareProtector {
  readonly mode = 'hash' as const;
  readonly recoverable = false;
  /** Active scheme first, then those of older peppers. */
  readonly #schemes: readonly LookupKeyScheme[];

  constructor(schemes: readonly LookupKeyScheme[]) {
    this.#schemes = schemes;
  }

  protect(value: string): ProtectedValue {
    return { key: this.#schemes[0]!.derive(value), value: null };
  }

  lookupKeys(value: string): string[] {
    return this.#schemes.map((scheme) => scheme.derive(value));
  }

  reveal(): string {
    throw new TokenStoreError(ErrorCode.DecryptionFailed, 'hash mode keeps no recoverable value (only a one-way digest)');
  }

  isCurrent(stored: ProtectedValue): boolean {
    return stored.value === null && this.#schemes[0]!.matchesTag(stored.key);
  }

  owns(stored: ProtectedValue): boolean {
    return stored.value === null && this.#schemes.some((scheme) => scheme.matchesTag(stored.key));
  }
}

import { ErrorCode, TokenStoreError } from '../errors.js';
import type { PepperRing } from './lookup-keys.js';
import type { ProtectedValue, SchemeAwareProtector } from './protector.js';
import type { ValueCipher } from './value-cipher.js';

/**
 * `encrypt` mode: the row is found by a peppered HMAC lookup key, and the value is kept sealed beside
 * it, bound to that key as associated data. Lookups never decrypt; only `reveal` (token reuse,
 * rewrap) does.
 */
export class EncryptProtector implements SchemeAwareProtector {
  readonly mode = 'encrypt' as const;
  readonly recoverable: boolean;
  readonly #peppers: PepperRing;
  readonly #cipher: ValueCipher;

  constructor(peppers: PepperRing, cipher: ValueCipher) {
    this.#peppers = peppers;
    this.#cipher = cipher;
    this.recoverable = cipher.canOpen;
  }

  protect(value: string): ProtectedValue {
    const key = this.#peppers.active.derive(value);
    return { key, value: this.#cipher.seal(value, key) };
  }

  seal(value: string, key: string): string {
    return this.#cipher.seal(value, key);
  }

  lookupKeys(value: string): string[] {
    return this.#peppers.schemes.map((scheme) => scheme.derive(value));
  }

  reveal(stored: ProtectedValue): string {
    if (stored.value === null) throw new TokenStoreError(ErrorCode.DecryptionFailed, 'stored row holds no sealed value (it was hashed)');
    return this.#cipher.open(stored.value, stored.key);
  }

  isCurrent(stored: ProtectedValue): boolean {
    return stored.value !== null && this.#peppers.active.matchesTag(stored.key) && this.#cipher.isCurrent(stored.value);
  }

  owns(stored: ProtectedValue): boolean {
    return stored.value !== null && this.#peppers.matchesAnyTag(stored.key) && this.#cipher.recognizes(stored.value);
  }
}

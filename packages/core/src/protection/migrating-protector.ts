import { ErrorCode, TokenStoreError } from '../errors.js';
import type { ProtectedValue, SchemeAwareProtector } from './protector.js';

/**
 * The migration read chain: writes in the primary mode; finds, reveals and recognises rows written by
 * any mode of the chain. Lookup keys come primary first, so the service can count fallback hits.
 */
export class MigratingProtector implements SchemeAwareProtector {
  readonly mode: SchemeAwareProtector['mode'];
  /** Reuse needs every row to be recoverable, so a chain that still reads hash-only rows is not. */
  readonly recoverable: boolean;
  readonly rehashOnRead: boolean;
  readonly primary: SchemeAwareProtector;
  readonly fallbacks: readonly SchemeAwareProtector[];

  constructor(primary: SchemeAwareProtector, fallbacks: readonly SchemeAwareProtector[], rehashOnRead: boolean) {
    this.primary = primary;
    this.fallbacks = fallbacks;
    this.mode = primary.mode;
    this.recoverable = primary.recoverable && fallbacks.every((fallback) => fallback.recoverable);
    this.rehashOnRead = rehashOnRead;
  }

  protect(value: string): ProtectedValue {
    return this.primary.protect(value);
  }

  seal(value: string, key: string): string {
    if (!this.primary.seal)
      throw new TokenStoreError(ErrorCode.Misconfiguration, `protection mode "${this.primary.mode}" does not seal values`);
    return this.primary.seal(value, key);
  }

  lookupKeys(value: string): string[] {
    const keys = this.primary.lookupKeys(value);
    for (const fallback of this.fallbacks) for (const key of fallback.lookupKeys(value)) if (!keys.includes(key)) keys.push(key);
    return keys;
  }

  reveal(stored: ProtectedValue): string {
    for (const member of [this.primary, ...this.fallbacks]) if (member.owns(stored)) return member.reveal(stored);
    if (stored.value === null) return this.primary.reveal(stored);
    throw new TokenStoreError(
      ErrorCode.DecryptionFailed,
      'stored row was written by a protection mode, key or pepper that is not in the configuration or its fallback chain',
    );
  }

  isCurrent(stored: ProtectedValue): boolean {
    return this.primary.isCurrent(stored);
  }

  owns(stored: ProtectedValue): boolean {
    return [this.primary, ...this.fallbacks].some((member) => member.owns(stored));
  }
}

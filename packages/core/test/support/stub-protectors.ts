import { createHash } from 'node:crypto';
import { ErrorCode, type ProtectedValue, type ProtectionMode, type Protector, TokenStoreError } from '@tokenstore/core';

function digest(tag: string, value: string): string {
  return `${tag}$${createHash('sha256').update(value).digest('hex')}`;
}

/**
 * Stands in for `hash` mode: one-way lookup keys, nothing recoverable. Enough for service policy
 * tests; the real protectors are tested on their own.
 */
export class OneWayStubProtector implements Protector {
  readonly recoverable = false;
  /** `hash` by default; another mode stands for a chain or key set that cannot recover every row. */
  constructor(readonly mode: ProtectionMode = 'hash') {}
  protect(value: string): ProtectedValue {
    return { key: digest('stub-hash', value), value: null };
  }
  lookupKeys(value: string): string[] {
    return [digest('stub-hash', value)];
  }
  reveal(): string {
    throw new TokenStoreError(ErrorCode.DecryptionFailed, 'stub protector keeps no value');
  }
  isCurrent(stored: ProtectedValue): boolean {
    return stored.key.startsWith('stub-hash$');
  }
}

/**
 * A migration in progress: new rows are keyed `stub-new$…`, lookups also try the older `stub-old$…`
 * keys, so a row written before the switch is found through the fallback chain.
 */
export class FallbackStubProtector implements Protector {
  readonly mode = 'plain' as const;
  readonly recoverable = true;
  protect(value: string): ProtectedValue {
    return { key: digest('stub-new', value), value };
  }
  /** How a row written before the switch was keyed. */
  legacyKey(value: string): string {
    return digest('stub-old', value);
  }
  lookupKeys(value: string): string[] {
    return [digest('stub-new', value), this.legacyKey(value)];
  }
  reveal(stored: ProtectedValue): string {
    if (stored.value === null) throw new TokenStoreError(ErrorCode.DecryptionFailed, 'no value');
    return stored.value;
  }
  isCurrent(stored: ProtectedValue): boolean {
    return stored.key.startsWith('stub-new$');
  }
}

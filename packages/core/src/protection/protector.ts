/**
 * How token values, codes and secrets are kept at rest. The service derives a lookup key and a
 * stored value through a Protector; stores only ever see those.
 */
export type ProtectionMode = 'plain' | 'hash' | 'encrypt';

/** What a row keeps of a value. */
export interface ProtectedValue {
  /** Lookup key: what the store indexes. */
  key: string;
  /** Plaintext (`plain`), sealed value (`encrypt`), or `null` (`hash`). */
  value: string | null;
}

export interface Protector {
  readonly mode: ProtectionMode;
  /** True when the plaintext can be recovered from a row (`plain`, `encrypt`); token reuse needs it. */
  readonly recoverable: boolean;
  /**
   * When true, the service moves a row it found through a fallback lookup key to the primary form on
   * the spot (it holds the plaintext at that moment). Off unless configured; see `createProtector`.
   */
  readonly rehashOnRead?: boolean;
  /** The primary (current) stored form of `value`. */
  protect(value: string): ProtectedValue;
  /**
   * Lookup keys to try for `value`, primary first, then the keys of older modes or peppers that the
   * migration fallback chain still accepts.
   */
  lookupKeys(value: string): string[];
  /** Recovers the plaintext of a stored row; throws a typed error when it cannot. */
  reveal(stored: ProtectedValue): string;
  /** True when `stored` is already in the primary form (nothing for rewrap to do). */
  isCurrent(stored: ProtectedValue): boolean;
  /**
   * `encrypt` mode only: `value` sealed and bound to the lookup key `key`, so that
   * `reveal({ key, value: sealed })` opens it (artifact payloads are kept this way).
   */
  seal?(value: string, key: string): string;
}

/**
 * A protector that can tell the rows its configuration wrote (under its current or older keys and
 * peppers) from anyone else's. The migration chain routes `reveal` with it.
 */
export interface SchemeAwareProtector extends Protector {
  owns(stored: ProtectedValue): boolean;
}

/** Longest lookup key a store must index; longer plain values are keyed by their SHA-256 digest. */
export const MAX_LOOKUP_KEY_LENGTH = 512;

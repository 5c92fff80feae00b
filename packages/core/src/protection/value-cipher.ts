/**
 * Seals values for `encrypt` mode. The associated data (the row's lookup key) is bound into every
 * ciphertext, so a sealed value copied into another row fails to open.
 */
export interface ValueCipher {
  readonly algorithm: 'aes-256-gcm' | 'rsa-oaep';
  /** False when the ring cannot decrypt (an RSA ring with public keys only). */
  readonly canOpen: boolean;
  seal(plaintext: string, associatedData: string): string;
  /** Throws a `DECRYPTION_FAILED` error on any tampering, truncation or unknown key. */
  open(sealed: string, associatedData: string): string;
  /** True when `sealed` has a scheme of this cipher and names a key of its ring (it is not opened). */
  recognizes(sealed: string): boolean;
  /** True when `sealed` was made with the active key and the configured algorithm. */
  isCurrent(sealed: string): boolean;
}

import type { AesKey } from './aes-gcm-cipher.js';
import type { Pepper } from './lookup-keys.js';
import type { RsaKey } from './rsa-oaep-cipher.js';

/** `plain`: the value is its own lookup key and is stored as is. */
export interface PlainProtectionOptions {
  mode: 'plain';
}

/** `hash`: only a one-way lookup key is stored (seed 000). Token reuse is impossible in this mode. */
export interface HashProtectionOptions {
  mode: 'hash';
  /**
   * `hmac-sha256` (default): HMAC-SHA-256 under a pepper, keys tagged `hmac-sha256:<pepperId>$`.
   * `sha256`: unpeppered SHA-256 as WSO2 stores it, keys tagged `sha256$` (takes no peppers).
   */
  algorithm?: 'hmac-sha256' | 'sha256';
  /** Required for `hmac-sha256`. Several peppers = a rotation in progress. */
  peppers?: Pepper[];
  /** Id of the pepper new keys are made with; may be omitted when there is only one. */
  activePepper?: string;
}

/** AES-256-GCM key ring: `activeKey` seals, every key opens. */
export interface AesGcmCipherOptions {
  algorithm: 'aes-256-gcm';
  keys: AesKey[];
  activeKey: string;
}

/** RSA-OAEP key ring from PEM key pairs (seed 001's keystore setup). */
export interface RsaOaepCipherOptions {
  algorithm: 'rsa-oaep';
  /** A Java cipher transformation. Default `RSA/ECB/OAEPwithSHA1andMGF1Padding` (WSO2's default). */
  transformation?: string;
  keys: RsaKey[];
  activeKey: string;
}

/** `encrypt`: peppered HMAC lookup key plus the value sealed beside it (seed 001). */
export interface EncryptProtectionOptions {
  mode: 'encrypt';
  peppers: Pepper[];
  /** Id of the pepper new keys are made with; may be omitted when there is only one. */
  activePepper?: string;
  cipher: AesGcmCipherOptions | RsaOaepCipherOptions;
}

/** One protection mode and its keys. */
export type ProtectionModeOptions = PlainProtectionOptions | HashProtectionOptions | EncryptProtectionOptions;

/** What a migration window adds to the current mode. */
export interface MigrationOptions {
  /**
   * Older modes that rows may still be stored in (the migration read chain). Lookups try the current
   * mode's keys first, then each fallback's; reveal and rewrap handle rows of every mode listed. Drop
   * the list once a rewrap finished and the `protection:fallback` events stopped.
   */
  fallback?: ProtectionModeOptions[];
  /**
   * When a token or code is found through a fallback key, rewrite its row in the current form right
   * away (the service holds the plaintext then). The only way to move rows that are hash-only under an
   * old pepper. Off by default: it turns a read into a write. Client secrets are never rewritten on read.
   */
  rehashOnRead?: boolean;
}

/**
 * Protection at rest, as given to `createProtector()`:
 * `{ mode: 'plain' }`, `{ mode: 'hash', peppers, … }` or `{ mode: 'encrypt', peppers, cipher, … }`,
 * optionally with a `fallback` chain for a migration.
 */
export type ProtectionOptions = ProtectionModeOptions & MigrationOptions;

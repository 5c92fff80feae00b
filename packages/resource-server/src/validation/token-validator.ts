import type { CacheOutcome } from '../events.js';
import type { TokenAuth } from '../token-auth.js';

/** What validating one token found: its record (or `null`: not an active access token) and where the answer came from. */
export interface ValidationResult {
  auth: TokenAuth | null;
  cache: CacheOutcome | 'negative';
}

/** One way of validating a presented token (local or remote). `digest` is base64url(SHA-256(token)): the cache key. */
export interface TokenValidator {
  validate(token: string, digest: string): Promise<ValidationResult>;
}

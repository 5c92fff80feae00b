import { randomBytes } from 'node:crypto';

/**
 * Server-provided DPoP nonces (RFC 9449 §8): a random nonce that changes every `rotateSeconds`; the
 * current one and the one before it are accepted, so a client that just learnt a nonce is not refused
 * at a rotation. In this process's memory: several nodes need a shared source (or sticky sessions).
 */
export class DpopNonces {
  readonly #rotateMs: number;
  readonly #now: () => number;
  #current = '';
  #previous = '';
  #rotatedAt = Number.NEGATIVE_INFINITY;

  constructor(rotateSeconds: number, now: () => number) {
    this.#rotateMs = rotateSeconds * 1000;
    this.#now = now;
  }

  /** The nonce to hand out now (`DPoP-Nonce` header). */
  current(): string {
    const now = this.#now();
    if (now - this.#rotatedAt >= this.#rotateMs) {
      // Two windows without a request: the previous nonce is too old to keep.
      this.#previous = now - this.#rotatedAt >= 2 * this.#rotateMs ? '' : this.#current;
      this.#current = randomBytes(16).toString('base64url');
      this.#rotatedAt = now;
    }
    return this.#current;
  }

  accepts(nonce: unknown): boolean {
    const current = this.current();
    return typeof nonce === 'string' && nonce !== '' && (nonce === current || nonce === this.#previous);
  }
}

import { LRUCache } from 'lru-cache';

/**
 * Where DPoP proof identifiers (`jti`) are remembered for as long as a proof is acceptable, so a
 * replayed proof is refused (RFC 9449 §11.1). One method, so any shared store fits: Redis `SET NX PX`,
 * a SQL insert on a unique key, a Cassandra `INSERT … IF NOT EXISTS USING TTL`.
 *
 * Several service or gateway nodes behind one load balancer need **one shared store**: with a store
 * per process a proof replayed to another node is accepted there once.
 */
export interface ReplayStore {
  /**
   * Remembers `id` until `expiresAt` (epoch ms). `true` when it was not known (first use), `false`
   * when it was remembered already and has not expired (a replay). Must be atomic: of two concurrent
   * calls with one id, one gets `true`.
   */
  remember(id: string, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * The default {@link ReplayStore}: this process's memory, bounded by entries (least recently used
 * evicted). An identifier evicted before its proof expired could be replayed once, so size it for the
 * proofs one process sees in a proof window (default 100 000). Fits one process only.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #seen: LRUCache<string, number>;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#seen = new LRUCache({ max: options.maxEntries ?? 100_000 });
    this.#now = options.now ?? Date.now;
  }

  remember(id: string, expiresAt: number): boolean {
    const known = this.#seen.get(id);
    if (known !== undefined && known > this.#now()) return false;
    this.#seen.set(id, expiresAt);
    return true;
  }
}

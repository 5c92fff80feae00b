import { type ArtifactService, checkArtifactModel, MisconfigurationError } from '@tokenstore/core';
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

/** Where {@link artifactReplayStore} keeps proof identifiers: a model of their own among the artifacts. */
export const DPOP_PROOF_MODEL = 'DPoPProof';

/**
 * A {@link ReplayStore} shared by every node on one token store: proof identifiers are kept as
 * provider artifacts of the model `DPoPProof` (`ArtifactService.insertOnce`, an insert on the
 * store's unique key: atomic on memory, SQL and Cassandra), with their expiry as the artifact's, so
 * the background purger removes them. Protection applies: in `hash`/`encrypt` mode only a lookup key
 * of the identifier is stored. Pass the service's artifacts: `artifactReplayStore(service.artifacts)`.
 */
export function artifactReplayStore(
  artifacts: ArtifactService,
  options: { model?: string; now?: () => number } = {},
): ReplayStore & { readonly model: string } {
  if (!artifacts || typeof artifacts.insertOnce !== 'function')
    throw new MisconfigurationError('artifacts', 'must be an ArtifactService (tokenService.artifacts)');
  const model = options.model ?? DPOP_PROOF_MODEL;
  checkArtifactModel(model, 'resource-server');
  const now = options.now ?? (() => artifacts.clock.now());
  return {
    model,
    remember(id: string, expiresAt: number): Promise<boolean> {
      // At least a second: a proof accepted at the edge of its window is still remembered while it could be replayed.
      const seconds = Math.max(1, Math.ceil((expiresAt - now()) / 1000));
      return artifacts.insertOnce(model, id, {}, seconds);
    },
  };
}

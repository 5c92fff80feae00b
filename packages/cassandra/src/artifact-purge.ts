import { isArtifactPurgeable, type PurgeCriteria } from '@tokenstore/core';
import { ARTIFACT_PURGE_KIND, parseArtifactIndexKey } from './artifact-rows.js';
import type { ArtifactRows } from './artifacts.js';
import type { OperationConsistency } from './consistency.js';
import type { CassandraExecutor } from './executor.js';
import type { DueEntry, PurgeIndexReader } from './purge-index.js';
import { type PurgeWalk, walkPurgeIndex } from './purge-walk.js';

/**
 * `artifacts.purgeArtifacts`: the purge index's `artifact` / `expiry` buckets walked oldest first by the
 * walk the token purge uses (`walkPurgeIndex`), each due row deleted if the row itself says it is
 * purgeable, with its lookup entries. An entry whose row is gone (TTL), was replaced by a version
 * that expires later, or never expires any more is just dropped.
 */
export class ArtifactPurge {
  readonly #x: CassandraExecutor;
  readonly #index: PurgeIndexReader;
  readonly #rows: ArtifactRows;

  constructor(executor: CassandraExecutor, parts: { index: PurgeIndexReader; rows: ArtifactRows }) {
    this.#x = executor;
    this.#index = parts.index;
    this.#rows = parts.rows;
  }

  async purge(criteria: PurgeCriteria): Promise<number> {
    const levels = this.#x.levels('purge');
    const walk: PurgeWalk = {
      kind: ARTIFACT_PURGE_KIND,
      reason: 'expiry',
      cutoff: criteria.expiredBefore,
      limit: criteria.limit,
      concurrency: this.#x.concurrency,
      levels,
    };
    return walkPurgeIndex(this.#index, walk, (entry) => this.#purgeRow(entry, criteria, levels));
  }

  async #purgeRow(entry: DueEntry, criteria: PurgeCriteria, levels: OperationConsistency): Promise<boolean> {
    const ref = parseArtifactIndexKey(entry.key);
    if (!ref) return false;
    // The row carries a TTL: if a lagging replica hides it, the TTL still removes it (no Paxos read).
    const { current, hollow } = await this.#rows.readRaw(ref.model, ref.key, levels, false);
    if (!current) {
      if (hollow) await this.#rows.deleteHollow(ref.model, ref.key, levels);
      return false;
    }
    if (!isArtifactPurgeable(current.row, criteria)) return false;
    return (await this.#rows.deleteVersion(current, levels)) === 'deleted';
  }
}

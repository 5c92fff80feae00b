import { isArtifactPurgeable, type PurgeCriteria } from '@tokenstore/core';
import { ARTIFACT_PURGE_KIND, parseArtifactIndexKey } from './artifact-rows.js';
import type { ArtifactRows } from './artifacts.js';
import type { OperationConsistency } from './consistency.js';
import type { CassandraExecutor } from './executor.js';
import type { DueEntry, PurgeIndexReader } from './purge-index.js';

/**
 * `artifacts.purgeArtifacts`: the purge index's `artifact` / `expiry` buckets walked oldest first, as
 * the token purge walks its own (see `Purge`), each due row deleted if the row itself says it is
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
    const cutoff = criteria.expiredBefore;
    let deleted = 0;
    for (const bucket of await this.#index.buckets(ARTIFACT_PURGE_KIND, 'expiry', cutoff, levels)) {
      if (deleted >= criteria.limit) return deleted;
      const result = await this.#purgeBucket(bucket, criteria, criteria.limit - deleted, levels);
      deleted += result.deleted;
      // As for tokens: a drained bucket no new event can fall into any more is forgotten.
      if (result.drained && bucket + 2 * this.#index.bucketMs <= cutoff)
        await this.#index.dropBucket(ARTIFACT_PURGE_KIND, 'expiry', bucket, levels);
    }
    return deleted;
  }

  async #purgeBucket(
    bucket: number,
    criteria: PurgeCriteria,
    budget: number,
    levels: OperationConsistency,
  ): Promise<{ deleted: number; drained: boolean }> {
    const pageSize = Math.min(1000, Math.max(budget, 100));
    let deleted = 0;
    for (;;) {
      const entries = await this.#index.due(ARTIFACT_PURGE_KIND, 'expiry', bucket, criteria.expiredBefore, pageSize, levels);
      if (entries.length === 0) return { deleted, drained: true };
      let processed = 0;
      while (processed < entries.length && deleted < budget) {
        // Never more in flight than rows left in the budget, so the limit is never exceeded.
        const chunk = entries.slice(processed, processed + Math.min(this.#x.concurrency, budget - deleted));
        const removed = await Promise.all(chunk.map((entry) => this.#purgeRow(entry, criteria, levels)));
        deleted += removed.filter(Boolean).length;
        processed += chunk.length;
      }
      await this.#index.removeUpTo(ARTIFACT_PURGE_KIND, 'expiry', bucket, entries[processed - 1]!, levels);
      if (deleted >= budget) return { deleted, drained: processed === entries.length && entries.length < pageSize };
      if (entries.length < pageSize) return { deleted, drained: true };
    }
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

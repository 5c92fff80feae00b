import { isPurgeable, type PurgeCriteria, type TokenKind } from '@tokenstore/core';
import type { OperationConsistency } from './consistency.js';
import type { CassandraExecutor } from './executor.js';
import { PURGE_REASONS, type PurgeIndexReader, type PurgeReason } from './purge-index.js';
import type { RowAccess } from './row-access.js';

/** `purge`: the purge index walked bucket by bucket, each due row deleted if the row itself says so. */
export class Purge {
  readonly #x: CassandraExecutor;
  readonly #index: PurgeIndexReader;
  readonly #rows: RowAccess;

  constructor(executor: CassandraExecutor, parts: { index: PurgeIndexReader; rows: RowAccess }) {
    this.#x = executor;
    this.#index = parts.index;
    this.#rows = parts.rows;
  }

  /**
   * Deletes at most `criteria.limit` purgeable rows of `kind`, found through the purge index (buckets
   * up to the cut-offs, oldest first), together with their lookup entries. The row is the truth: an
   * index entry whose row is gone (TTL) or no longer purgeable is just dropped.
   */
  async purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number> {
    const levels = this.#x.levels('purge');
    const bucketMs = this.#index.bucketMs;
    let deleted = 0;
    for (const reason of PURGE_REASONS) {
      const cutoff = reason === 'expiry' ? criteria.expiredBefore : criteria.inactiveBefore;
      for (const bucket of await this.#index.buckets(kind, reason, cutoff, levels)) {
        if (deleted >= criteria.limit) return deleted;
        const result = await this.#purgeBucket(kind, reason, bucket, cutoff, criteria, criteria.limit - deleted, levels);
        deleted += result.deleted;
        // A drained bucket that no new event can fall into any more is forgotten; one bucket of slack
        // keeps it while writers with slightly late clocks may still add to it.
        if (result.drained && bucket + 2 * bucketMs <= cutoff) await this.#index.dropBucket(kind, reason, bucket, levels);
      }
    }
    return deleted;
  }

  async #purgeBucket(
    kind: TokenKind,
    reason: PurgeReason,
    bucket: number,
    cutoff: number,
    criteria: PurgeCriteria,
    budget: number,
    levels: OperationConsistency,
  ): Promise<{ deleted: number; drained: boolean }> {
    const pageSize = Math.min(1000, Math.max(budget, 100));
    let deleted = 0;
    for (;;) {
      const entries = await this.#index.due(kind, reason, bucket, cutoff, pageSize, levels);
      if (entries.length === 0) return { deleted, drained: true };
      let processed = 0;
      while (processed < entries.length && deleted < budget) {
        // Never more in flight than rows left in the budget, so the limit is never exceeded.
        const chunk = entries.slice(processed, processed + Math.min(this.#x.concurrency, budget - deleted));
        const removed = await Promise.all(chunk.map((entry) => this.#purgeRow(kind, reason, entry.key, criteria, levels)));
        deleted += removed.filter(Boolean).length;
        processed += chunk.length;
      }
      const last = entries[processed - 1]!;
      await this.#index.removeUpTo(kind, reason, bucket, last, levels);
      if (deleted >= budget) return { deleted, drained: processed === entries.length && entries.length < pageSize };
      if (entries.length < pageSize) return { deleted, drained: true };
    }
  }

  /** Deletes the row if it is purgeable per `criteria` (the row decides, not the index entry). */
  async #purgeRow(kind: TokenKind, reason: PurgeReason, key: string, criteria: PurgeCriteria, levels: OperationConsistency) {
    // A row behind an expiry entry carries a TTL: if a lagging replica hides it, TTL still removes it,
    // so the (Paxos) read that would confirm its absence is not worth its cost there.
    const current = await this.#rows.readForUpdate(kind, key, levels, reason === 'inactive');
    if (!current) return false;
    const row = current.row;
    if (!isPurgeable(row, criteria)) return false;
    return this.#rows.deleteRow(kind, row, current.changeId, levels);
  }
}

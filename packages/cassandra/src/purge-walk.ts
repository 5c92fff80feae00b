import type { OperationConsistency } from './consistency.js';
import type { DueEntry, PurgeIndexKind, PurgeIndexReader, PurgeReason } from './purge-index.js';

/** What one walk of the purge index covers: one kind and reason, up to a cut-off, at most `limit` rows. */
export interface PurgeWalk {
  kind: PurgeIndexKind;
  reason: PurgeReason;
  cutoff: number;
  limit: number;
  /** Rows deleted at most at once (the executor's concurrency). */
  concurrency: number;
  levels: OperationConsistency;
}

/**
 * Walks the purge index's buckets of `walk.kind` / `walk.reason` up to the cut-off, oldest first, and
 * hands each due entry to `purgeRow`, which deletes the row if the row itself says it is purgeable
 * (the row is the truth; an entry whose row is gone or no longer purgeable is just dropped). Visited
 * entries are removed; a drained bucket that no new event can fall into any more is forgotten. The
 * token purge and the artifact purge share it. Returns how many rows `purgeRow` deleted, never more
 * than `walk.limit`.
 */
export async function walkPurgeIndex(
  index: PurgeIndexReader,
  walk: PurgeWalk,
  purgeRow: (entry: DueEntry) => Promise<boolean>,
): Promise<number> {
  let deleted = 0;
  for (const bucket of await index.buckets(walk.kind, walk.reason, walk.cutoff, walk.levels)) {
    if (deleted >= walk.limit) return deleted;
    const result = await walkBucket(index, walk, bucket, walk.limit - deleted, purgeRow);
    deleted += result.deleted;
    // One bucket of slack keeps a drained bucket while writers with slightly late clocks may still add to it.
    if (result.drained && bucket + 2 * index.bucketMs <= walk.cutoff) await index.dropBucket(walk.kind, walk.reason, bucket, walk.levels);
  }
  return deleted;
}

async function walkBucket(
  index: PurgeIndexReader,
  walk: PurgeWalk,
  bucket: number,
  budget: number,
  purgeRow: (entry: DueEntry) => Promise<boolean>,
): Promise<{ deleted: number; drained: boolean }> {
  const pageSize = Math.min(1000, Math.max(budget, 100));
  let deleted = 0;
  for (;;) {
    const entries = await index.due(walk.kind, walk.reason, bucket, walk.cutoff, pageSize, walk.levels);
    if (entries.length === 0) return { deleted, drained: true };
    let processed = 0;
    while (processed < entries.length && deleted < budget) {
      // Never more in flight than rows left in the budget, so the limit is never exceeded.
      const chunk = entries.slice(processed, processed + Math.min(walk.concurrency, budget - deleted));
      const removed = await Promise.all(chunk.map(purgeRow));
      deleted += removed.filter(Boolean).length;
      processed += chunk.length;
    }
    await index.removeUpTo(walk.kind, walk.reason, bucket, entries[processed - 1]!, walk.levels);
    if (deleted >= budget) return { deleted, drained: processed === entries.length && entries.length < pageSize };
    if (entries.length < pageSize) return { deleted, drained: true };
  }
}

import { isPurgeable, type PurgeCriteria, type TokenKind } from '@tokenstore/core';
import type { OperationConsistency } from './consistency.js';
import type { CassandraExecutor } from './executor.js';
import { PURGE_REASONS, type PurgeIndexReader, type PurgeReason } from './purge-index.js';
import { walkPurgeIndex } from './purge-walk.js';
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
    let deleted = 0;
    for (const reason of PURGE_REASONS) {
      if (deleted >= criteria.limit) break;
      const cutoff = reason === 'expiry' ? criteria.expiredBefore : criteria.inactiveBefore;
      const walk = { kind, reason, cutoff, limit: criteria.limit - deleted, concurrency: this.#x.concurrency, levels };
      deleted += await walkPurgeIndex(this.#index, walk, (entry) => this.#purgeRow(kind, reason, entry.key, criteria, levels));
    }
    return deleted;
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

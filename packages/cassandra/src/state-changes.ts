import { randomUUID } from 'node:crypto';
import type { StoredAccessToken, StoredTokenBase, TokenKind } from '@tokenstore/core';
import type { OperationConsistency } from './consistency.js';
import type { CassandraExecutor } from './executor.js';
import type { LookupPartitions } from './lookups.js';
import type { PurgeIndexWriter } from './purge-index.js';
import type { ReuseSlots } from './reuse-slots.js';
import type { RowAccess, RowForUpdate } from './row-access.js';
import { tokenFromRow, tokenParams, uuidText } from './token-rows.js';
import { remainingTtl, retainedTtl, type TtlPolicy } from './ttl.js';

/**
 * Conditional state changes of token rows (compareAndSetState, revocations, rotations), and the longer
 * TTL a row gets when it leaves ACTIVE ({@link StateChanges.retain}).
 */
export class StateChanges {
  readonly #x: CassandraExecutor;
  readonly #ttl: TtlPolicy;
  readonly #rows: RowAccess;
  readonly #lookups: LookupPartitions;
  readonly #index: PurgeIndexWriter;
  readonly #slots: ReuseSlots;

  constructor(
    executor: CassandraExecutor,
    ttl: TtlPolicy,
    parts: { rows: RowAccess; lookups: LookupPartitions; index: PurgeIndexWriter; slots: ReuseSlots },
  ) {
    this.#x = executor;
    this.#ttl = ttl;
    this.#rows = parts.rows;
    this.#lookups = parts.lookups;
    this.#index = parts.index;
    this.#slots = parts.slots;
  }

  /** The conditional state change shared by compareAndSetState and revocations. */
  async changeState<K extends TokenKind>(
    kind: K,
    current: RowForUpdate<K>,
    from: StoredTokenBase['state'],
    to: StoredTokenBase['state'],
    at: number,
    levels: OperationConsistency,
  ): Promise<boolean> {
    const key = current.row.key;
    // The index entry goes first: if the change is applied it is already there for the purge.
    if (to !== 'ACTIVE') await this.#index.writeInactiveEntry(kind, key, at, at, levels);
    const ttl = to === 'ACTIVE' ? current.ttl : retainedTtl(current.ttl, this.#ttl);
    const changeId = randomUUID();
    const outcome = await this.#x.conditional(
      this.#x.cql.tokens[kind].changeState,
      [ttl, to, new Date(at), changeId, key, from],
      levels,
      () => this.#rows.resolveChange(kind, key, changeId, levels, (row) => row.state === from),
    );
    if (!outcome.applied) return false;
    if (ttl !== current.ttl) await this.retain(kind, key, changeId, current.ttl, ttl, levels);
    if (kind === 'accessToken' && from === 'ACTIVE' && to !== 'ACTIVE') {
      const access = current.row as StoredAccessToken;
      if (access.exclusive) await this.#slots.release(access, levels);
    }
    return true;
  }

  /**
   * After a change away from ACTIVE applied as `changeId`, gives the whole row and its lookup entries
   * the longer `ttl` it now needs ({@link retainedTtl}): TTLs are per cell, so the changed cells alone
   * would not keep the row. Only the winner of the change pays for it (racing losers add no Paxos
   * round). The row is read again at serial consistency and rewritten as it is, change_id included,
   * `IF change_id = <changeId>`: no stale value is written back, and a row changed since is left to
   * its new writer. Best effort: the change is applied, and failing now would make the caller retry
   * a change that already happened; the row then keeps its shorter TTL (purge still keeps it).
   */
  async retain(
    kind: TokenKind,
    key: string,
    changeId: string,
    previousTtl: number,
    ttl: number,
    levels: OperationConsistency,
  ): Promise<void> {
    const tables = this.#x.cql.tokens[kind];
    const readSerial = async () => (await this.#x.execute(tables.selectForUpdate, [key], { consistency: levels.codes.serial })).rows?.[0];
    try {
      const raw = await readSerial();
      const row = tokenFromRow(kind, raw);
      if (!row || uuidText(raw?.change_id) !== changeId) return;
      await this.#lookups.write(kind, row, ttl, levels);
      await this.#x.conditional(tables.retain, [ttl, ...tokenParams(kind, row).slice(1), changeId, key, changeId], levels, async () => {
        const now = await readSerial();
        if (!tokenFromRow(kind, now) || uuidText(now?.change_id) !== changeId) return { outcome: 'not-applied', current: now };
        // Same content and change_id either way: the TTL tells whether the rewrite happened.
        const kept = remainingTtl(now?.row_ttl);
        return (ttl === 0 ? kept === 0 : kept > previousTtl) ? { outcome: 'applied' } : { outcome: 'retry' };
      });
    } catch {
      // See above: the state change stands; only its longer retention is lost.
    }
  }
}

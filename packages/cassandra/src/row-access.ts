import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  type InsertResult,
  type StoredAccessToken,
  type StoredRowByKind,
  type StoredTokenBase,
  type TokenKind,
} from '@tokenstore/core';
import type { ConditionalResult, Resolution } from './conditional.js';
import type { OperationConsistency } from './consistency.js';
import { BACKEND } from './errors.js';
import type { CassandraExecutor } from './executor.js';
import type { LookupPartitions } from './lookups.js';
import type { PurgeIndexWriter } from './purge-index.js';
import type { ReuseSlots } from './reuse-slots.js';
import { tokenFromRow, tokenParams, uuidText } from './token-rows.js';
import { entryTtl, inactiveEntryTtl, remainingTtl, rowTtl, type TtlPolicy } from './ttl.js';

/** A row read for a conditional change: the row, its remaining TTL (0 = none) and its change id. */
export interface RowForUpdate<K extends TokenKind> {
  row: StoredRowByKind[K];
  ttl: number;
  changeId: string;
}

const SERIAL_LEVELS = new Set(['SERIAL', 'LOCAL_SERIAL']);

/**
 * Token rows with everything that goes with them: read for a conditional change, inserted (lookup
 * and purge-index entries first, then the row IF NOT EXISTS, then the reuse slot) and deleted (the
 * version that was read, then its side entries).
 */
export class RowAccess {
  readonly #x: CassandraExecutor;
  readonly #ttl: TtlPolicy;
  readonly #lookups: LookupPartitions;
  readonly #index: PurgeIndexWriter;
  readonly #slots: ReuseSlots;

  constructor(
    executor: CassandraExecutor,
    ttl: TtlPolicy,
    parts: { lookups: LookupPartitions; index: PurgeIndexWriter; slots: ReuseSlots },
  ) {
    this.#x = executor;
    this.#ttl = ttl;
    this.#lookups = parts.lookups;
    this.#index = parts.index;
    this.#slots = parts.slots;
  }

  /**
   * Reads a row with its change id and remaining TTL. A row missing at the configured read level
   * (which may be ONE) is looked for again at serial consistency before the store says it is not there,
   * unless `confirmMissing` is false (the caller loses nothing if a lagging replica hid the row).
   */
  async readForUpdate<K extends TokenKind>(
    kind: K,
    key: string,
    levels: OperationConsistency,
    confirmMissing = true,
  ): Promise<RowForUpdate<K> | null> {
    const statement = this.#x.cql.tokens[kind].selectForUpdate;
    let raw = (await this.#x.execute(statement, [key], { consistency: levels.codes.read })).rows?.[0];
    if (confirmMissing && !tokenFromRow(kind, raw) && !SERIAL_LEVELS.has(levels.read))
      raw = (await this.#x.execute(statement, [key], { consistency: levels.codes.serial })).rows?.[0];
    const row = tokenFromRow(kind, raw);
    if (!row || !raw) return null;
    return { row, ttl: remainingTtl(raw.row_ttl), changeId: uuidText(raw.change_id) };
  }

  /** Resolution of an unknown outcome of a change that wrote `changeId`. */
  async resolveChange<K extends TokenKind>(
    kind: K,
    key: string,
    changeId: string,
    levels: OperationConsistency,
    conditionStillHolds: (row: StoredRowByKind[K]) => boolean,
  ): Promise<Resolution> {
    const raw = (await this.#x.execute(this.#x.cql.tokens[kind].selectForUpdate, [key], { consistency: levels.codes.serial })).rows?.[0];
    const row = tokenFromRow(kind, raw);
    if (!row) return { outcome: 'not-applied' };
    if (uuidText(raw?.change_id) === changeId) return { outcome: 'applied' };
    return conditionStillHolds(row) ? { outcome: 'retry' } : { outcome: 'not-applied', current: raw };
  }

  /**
   * Inserts a token row: lookup and index entries first (so the row is reachable from them as soon as
   * it exists), then the row with INSERT ... IF NOT EXISTS, then, for an exclusive access token, the
   * reuse slot.
   */
  async insertRow<K extends TokenKind>(
    kind: K,
    row: StoredRowByKind[K],
    levels: OperationConsistency,
  ): Promise<{ result: InsertResult; changeId: string }> {
    const ttl = rowTtl(row.expiresAt, row.issuedAt, this.#ttl);
    const changeId = randomUUID();
    const written = await this.writeRow(kind, row, ttl, row.issuedAt, levels, changeId);
    if (!written.applied) {
      await this.#restoreLookupsOf(kind, row, levels).catch(() => undefined);
      throw new ConflictError(`a row of ${kind} with this key already exists`, { backend: BACKEND });
    }
    const access = kind === 'accessToken' ? (row as StoredAccessToken) : undefined;
    if (access?.exclusive && access.state === 'ACTIVE') {
      const discard = () => this.deleteRow('accessToken', access, changeId, levels, false);
      return { result: await this.#slots.claim(access, ttl, levels, discard), changeId };
    }
    return { result: { inserted: true }, changeId };
  }

  /** Side entries, then the row (conditional). `now` undefined: entries take their TTL from the row's. */
  async writeRow<K extends TokenKind>(
    kind: K,
    row: StoredRowByKind[K],
    ttl: number,
    now: number | undefined,
    levels: OperationConsistency,
    changeId: string = randomUUID(),
  ): Promise<ConditionalResult> {
    await this.#writeSideEntries(kind, row, ttl, now, levels);
    const tables = this.#x.cql.tokens[kind];
    return this.#x.conditional(tables.insert, [...tokenParams(kind, row), changeId, ttl], levels, async () => {
      const raw = (await this.#x.execute(tables.selectForUpdate, [row.key], { consistency: levels.codes.serial })).rows?.[0];
      if (!tokenFromRow(kind, raw)) return { outcome: 'retry' };
      return uuidText(raw?.change_id) === changeId ? { outcome: 'applied' } : { outcome: 'not-applied', current: raw };
    });
  }

  /**
   * Deletes a row if it is still the version that was read (`IF change_id = ?`), then its lookup and
   * index entries and the reuse slot it holds. `true` if the row was deleted by this call.
   */
  async deleteRow(
    kind: TokenKind,
    row: StoredTokenBase,
    changeId: string,
    levels: OperationConsistency,
    holdsSlot = true,
  ): Promise<boolean> {
    const tables = this.#x.cql.tokens[kind];
    const outcome = await this.#x.conditional(tables.deleteIfUnchanged, [row.key, changeId], levels, async () => {
      const raw = (await this.#x.execute(tables.selectForUpdate, [row.key], { consistency: levels.codes.serial })).rows?.[0];
      if (!tokenFromRow(kind, raw)) return { outcome: 'applied' };
      return uuidText(raw?.change_id) === changeId ? { outcome: 'retry' } : { outcome: 'not-applied', current: raw };
    });
    if (!outcome.applied) return false;
    await this.#deleteSideEntries(kind, row, levels, holdsSlot);
    return true;
  }

  async #writeSideEntries(kind: TokenKind, row: StoredTokenBase, ttl: number, now: number | undefined, levels: OperationConsistency) {
    const writes: Array<Promise<unknown>> = [this.#lookups.write(kind, row, ttl, levels)];
    if (row.expiresAt !== null)
      writes.push(this.#index.writeIndexEntry(kind, 'expiry', row.expiresAt, row.key, entryTtl(ttl, this.#ttl), now, levels));
    if (row.state !== 'ACTIVE') {
      const entry = now === undefined ? entryTtl(ttl, this.#ttl) : inactiveEntryTtl(row.stateChangedAt, now, this.#ttl);
      writes.push(this.#index.writeIndexEntry(kind, 'inactive', row.stateChangedAt, row.key, entry, now, levels));
    }
    await Promise.all(writes);
  }

  /** A duplicate insert wrote lookup entries for a key that belongs to another row: see {@link LookupPartitions.restore}. */
  async #restoreLookupsOf(kind: TokenKind, ours: StoredTokenBase, levels: OperationConsistency): Promise<void> {
    const existing = await this.readForUpdate(kind, ours.key, levels);
    if (!existing) return;
    await this.#lookups.restore(kind, ours, existing, levels);
  }

  async #deleteSideEntries(kind: TokenKind, row: StoredTokenBase, levels: OperationConsistency, holdsSlot: boolean): Promise<void> {
    const work: Array<Promise<unknown>> = this.#lookups.remove(kind, row, levels);
    if (row.expiresAt !== null) work.push(this.#index.removeEntry(kind, 'expiry', row.expiresAt, row.key, levels));
    if (row.state !== 'ACTIVE') work.push(this.#index.removeEntry(kind, 'inactive', row.stateChangedAt, row.key, levels));
    if (kind === 'accessToken' && holdsSlot) {
      const access = row as StoredAccessToken;
      if (access.exclusive) work.push(this.#slots.release(access, levels));
    }
    await Promise.all(work);
  }
}

import { randomUUID } from 'node:crypto';
import { ConflictError, type StoredAccessToken, type StoredRefreshToken, type StoredRowByKind, type TokenKind } from '@tokenstore/core';
import { CHANGE_ATTEMPTS } from './concurrency.js';
import type { OperationConsistency } from './consistency.js';
import { BACKEND } from './errors.js';
import type { CassandraExecutor } from './executor.js';
import type { PurgeIndexWriter } from './purge-index.js';
import type { ReuseSlots } from './reuse-slots.js';
import type { RowAccess, RowForUpdate } from './row-access.js';
import { entryTtl, type TtlPolicy } from './ttl.js';

/** `replaceKey` (the rewrap job): a re-sealed row under its new lookup key, or in place under the same key. */
export class KeyReplacement {
  readonly #x: CassandraExecutor;
  readonly #ttl: TtlPolicy;
  readonly #rows: RowAccess;
  readonly #index: PurgeIndexWriter;
  readonly #slots: ReuseSlots;

  constructor(executor: CassandraExecutor, ttl: TtlPolicy, parts: { rows: RowAccess; index: PurgeIndexWriter; slots: ReuseSlots }) {
    this.#x = executor;
    this.#ttl = ttl;
    this.#rows = parts.rows;
    this.#index = parts.index;
    this.#slots = parts.slots;
  }

  /**
   * Writes the row under its new key, then deletes the old one. Not atomic: in between both rows exist.
   * That is safe for the rewrap job, which is idempotent: a crash leaves the old row to be found again
   * by the next scan, and a second replaceKey finds the new row present and just deletes the old one.
   * A state change that hits the old row meanwhile is carried over to the new row before the delete
   * (the delete is conditional on the version that was copied).
   */
  async replaceKey<K extends TokenKind>(kind: K, oldKey: string, row: StoredRowByKind[K]): Promise<boolean> {
    const levels = this.#x.levels('replaceKey');
    let old = await this.#rows.readForUpdate(kind, oldKey, levels);
    if (!old) return false;
    const tables = this.#x.cql.tokens[kind];
    if (row.key === oldKey) {
      // Same lookup key, new sealed value (e.g. encryption key rotation): an in-place update.
      const changeId = randomUUID();
      const outcome = await this.#x.conditional(tables.replaceValue, [old.ttl, row.value, changeId, oldKey], levels, () =>
        this.#rows.resolveChange(kind, oldKey, changeId, levels, () => true),
      );
      return outcome.applied;
    }
    const copy = withStateOf(kind, row, old.row);
    // Not applied: a row with the new key exists already (an earlier, interrupted rewrap).
    await this.#rows.writeRow(kind, copy, old.ttl, undefined, levels);
    if (kind === 'accessToken') {
      const previous = old.row as StoredAccessToken;
      if (previous.exclusive && previous.state === 'ACTIVE')
        await this.#slots.handOver(previous.reuseKey, oldKey, row.key, old.ttl, levels);
    }
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const removed = await this.#rows.deleteRow(kind, old.row, old.changeId, levels);
      if (removed) return true;
      old = await this.#rows.readForUpdate(kind, oldKey, levels);
      if (!old) return true; // deleted meanwhile (a concurrent rewrap of the same row)
      // The old row changed after it was copied (e.g. it was revoked): carry that over first.
      await this.#copyState(kind, row.key, old, levels);
    }
    throw new ConflictError('the row kept changing while its key was replaced; retry', { backend: BACKEND });
  }

  /** Carries the mutable fields of `source` (the old row) over to the row keyed `key`. */
  async #copyState<K extends TokenKind>(kind: K, key: string, source: RowForUpdate<K>, levels: OperationConsistency): Promise<void> {
    const row = source.row;
    const changeId = randomUUID();
    const extra =
      kind === 'refreshToken'
        ? [
            (row as StoredRefreshToken).rotatedAt === null ? null : new Date((row as StoredRefreshToken).rotatedAt!),
            (row as StoredRefreshToken).reuseCount,
          ]
        : [];
    if (row.state !== 'ACTIVE')
      await this.#index.writeIndexEntry(kind, 'inactive', row.stateChangedAt, key, entryTtl(source.ttl, this.#ttl), undefined, levels);
    await this.#x.conditional(
      this.#x.cql.tokens[kind].copyState,
      [source.ttl, row.state, new Date(row.stateChangedAt), ...extra, changeId, key],
      levels,
      () => this.#rows.resolveChange(kind, key, changeId, levels, () => true),
    );
  }
}

/** `row` (new key and value) with the mutable fields of `current` (the old row as it is now). */
function withStateOf<K extends TokenKind>(kind: K, row: StoredRowByKind[K], current: StoredRowByKind[K]): StoredRowByKind[K] {
  const merged = { ...row, state: current.state, stateChangedAt: current.stateChangedAt };
  if (kind === 'refreshToken') {
    const old = current as StoredRefreshToken;
    return { ...(merged as StoredRefreshToken), rotatedAt: old.rotatedAt, reuseCount: old.reuseCount } as StoredRowByKind[K];
  }
  return merged;
}

import { randomUUID } from 'node:crypto';
import { ConflictError, type StoredArtifact } from '@tokenstore/core';
import { ARTIFACT_PURGE_KIND, type ArtifactCql, artifactFromRow, artifactIndexKey, artifactValueParams } from './artifact-rows.js';
import type { CassandraRow } from './client.js';
import { CHANGE_ATTEMPTS, forEachLimited } from './concurrency.js';
import type { Resolution } from './conditional.js';
import type { OperationConsistency } from './consistency.js';
import { BACKEND } from './errors.js';
import type { CassandraExecutor } from './executor.js';
import type { PurgeIndexWriter } from './purge-index.js';
import { textOf, uuidText } from './token-rows.js';
import { entryTtl, remainingTtl, rowTtl, type TtlPolicy } from './ttl.js';

/** An artifact read for a conditional change: the row, its remaining TTL (0 = none) and its change id. */
export interface ArtifactForUpdate {
  row: StoredArtifact;
  ttl: number;
  changeId: string;
}

/** A lookup table of artifacts: by uid or by user code. */
export type ArtifactLookup = 'byUid' | 'byUserCode';

const SERIAL_LEVELS = new Set(['SERIAL', 'LOCAL_SERIAL']);
const LOOKUP_PAGE_SIZE = 1000;

/**
 * Provider artifacts on Cassandra (`008_artifacts.cql`): rows by (model, lookup key) written USING TTL
 * from their expiry, lookup entries by uid, user code and grant written first at the lookup level,
 * purge-index entries for expiring rows, and every change a lightweight transaction carrying a
 * `change_id`, so an unknown outcome is resolved by reading the row back at serial consistency.
 * The facade ({@link CassandraStore.artifacts}) checks the input; this collaborator persists.
 */
export class ArtifactRows {
  readonly #x: CassandraExecutor;
  readonly #ttl: TtlPolicy;
  readonly #index: PurgeIndexWriter;
  readonly #cql: ArtifactCql;

  constructor(executor: CassandraExecutor, ttl: TtlPolicy, index: PurgeIndexWriter) {
    this.#x = executor;
    this.#ttl = ttl;
    this.#index = index;
    this.#cql = executor.cql.artifacts;
  }

  /**
   * Side entries first (so the row is reachable from them as soon as it exists), then the row:
   * `INSERT … IF NOT EXISTS`, else `UPDATE … IF EXISTS` of every column; entries of the replaced
   * version that the new one no longer has are removed after.
   */
  async upsert(row: StoredArtifact, levels: OperationConsistency): Promise<void> {
    const ttl = rowTtl(row.expiresAt, row.updatedAt, this.#ttl);
    await this.writeSideEntries(row, ttl, levels);
    const { model, key } = row;
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const changeId = randomUUID();
      const inserted = await this.#x.conditional(
        this.#cql.insert,
        [model, key, ...artifactValueParams(row, true), changeId, ttl],
        levels,
        async () => {
          const raw = await this.readSerial(model, key, levels);
          if (!raw) return { outcome: 'retry' };
          return uuidText(raw.change_id) === changeId ? { outcome: 'applied' } : { outcome: 'not-applied', current: raw };
        },
      );
      if (inserted.applied) return;
      const previous = artifactFromRow(inserted.current);
      const replaced = await this.#x.conditional(
        this.#cql.replace,
        [ttl, ...artifactValueParams(row, false), changeId, model, key],
        levels,
        async () => {
          const raw = await this.readSerial(model, key, levels);
          if (!raw) return { outcome: 'not-applied' };
          return uuidText(raw.change_id) === changeId ? { outcome: 'applied' } : { outcome: 'retry' };
        },
      );
      if (replaced.applied) {
        if (previous) await this.removeStaleEntries(previous, row, levels);
        return;
      }
      // The row was deleted between the two: insert again.
    }
    throw new ConflictError('artifact upsert: the row kept changing under it; retry', { backend: BACKEND });
  }

  /** The row at the operation's read level (no serial confirmation: a miss costs no Paxos round). */
  async get(model: string, key: string, levels: OperationConsistency): Promise<StoredArtifact | null> {
    const result = await this.#x.execute(this.#cql.select, [model, key], { consistency: levels.codes.read });
    return artifactFromRow(result.rows?.[0]);
  }

  /** The latest written row of `model` that still claims `lookupKey` in the lookup table. */
  async findThrough(
    lookup: ArtifactLookup,
    model: string,
    lookupKey: string,
    levels: OperationConsistency,
  ): Promise<StoredArtifact | null> {
    const result = await this.#x.execute(this.#cql[lookup].select, [model, lookupKey], {
      consistency: levels.codes.lookup,
      fetchSize: LOOKUP_PAGE_SIZE,
    });
    const keys = (result.rows ?? []).flatMap((entry) => textOf(entry.artifact_key) ?? []);
    const rows = await Promise.all(keys.map((key) => this.get(model, key, levels)));
    let latest: StoredArtifact | null = null;
    for (const row of rows) {
      const claimed = lookup === 'byUid' ? row?.uidKey : row?.userCodeKey;
      if (row && claimed === lookupKey && (latest === null || row.updatedAt > latest.updatedAt)) latest = row;
    }
    return latest;
  }

  /**
   * `UPDATE … IF consumed_at = null AND change_id = <read>`: of concurrent consumers exactly one is
   * applied; a row replaced in between (new change_id, not consumed) is read again and tried again.
   */
  async consume(model: string, key: string, at: number, levels: OperationConsistency): Promise<boolean> {
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const current = await this.readForUpdate(model, key, levels);
      if (!current || current.row.consumedAt !== null) return false;
      const changeId = randomUUID();
      const outcome = await this.#x.conditional(
        this.#cql.consume,
        [current.ttl, new Date(at), changeId, model, key, current.changeId],
        levels,
        () =>
          this.#resolve(model, key, changeId, current.changeId, levels, (raw) => raw.consumed_at === null || raw.consumed_at === undefined),
      );
      if (outcome.applied) return true;
      const now = outcome.current;
      if (!now || (now.consumed_at !== null && now.consumed_at !== undefined)) return false;
    }
    return false;
  }

  /** Deletes the row if it is still the version read, then its side entries. `true` if this call deleted it. */
  async delete(model: string, key: string, levels: OperationConsistency): Promise<boolean> {
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const current = await this.readForUpdate(model, key, levels);
      if (!current) return false;
      const outcome = await this.deleteVersion(current, levels);
      if (outcome !== 'changed') return outcome === 'deleted';
    }
    return false;
  }

  /** Every row of every model the grant's lookup partition names whose row still has that grant. */
  async deleteOfGrant(grantId: string, levels: OperationConsistency): Promise<number> {
    const entries: Array<{ model: string; key: string }> = [];
    let pageState: string | undefined;
    do {
      const result = await this.#x.execute(this.#cql.byGrant.select, [grantId], {
        consistency: levels.codes.lookup,
        fetchSize: LOOKUP_PAGE_SIZE,
        ...(pageState === undefined ? {} : { pageState }),
      });
      for (const entry of result.rows ?? []) {
        const model = textOf(entry.model);
        const key = textOf(entry.artifact_key);
        if (model !== null && key !== null) entries.push({ model, key });
      }
      pageState = result.pageState ?? undefined;
    } while (pageState !== undefined);
    let deleted = 0;
    await forEachLimited(entries, this.#x.concurrency, async ({ model, key }) => {
      for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
        const current = await this.readForUpdate(model, key, levels);
        if (!current || current.row.grantId !== grantId) {
          // A stale hint: the row is gone or belongs to another grant now.
          await this.#x.execute(this.#cql.byGrant.remove, [grantId, model, key], { consistency: levels.codes.write });
          return;
        }
        const outcome = await this.deleteVersion(current, levels);
        if (outcome === 'deleted') deleted++;
        if (outcome !== 'changed') return;
      }
    });
    return deleted;
  }

  /**
   * The row with its change id and remaining TTL. A row missing at the read level (which may be ONE)
   * is looked for again at serial consistency unless `confirmMissing` is false.
   */
  async readForUpdate(model: string, key: string, levels: OperationConsistency, confirmMissing = true): Promise<ArtifactForUpdate | null> {
    return (await this.readRaw(model, key, levels, confirmMissing)).current;
  }

  /** {@link readForUpdate}, telling also whether a hollow row (a primary key without live cells) is there. */
  async readRaw(
    model: string,
    key: string,
    levels: OperationConsistency,
    confirmMissing: boolean,
  ): Promise<{ current: ArtifactForUpdate | null; hollow: boolean }> {
    let raw = (await this.#x.execute(this.#cql.selectForUpdate, [model, key], { consistency: levels.codes.read })).rows?.[0];
    if (confirmMissing && !artifactFromRow(raw) && !SERIAL_LEVELS.has(levels.read)) raw = await this.readSerial(model, key, levels);
    const row = artifactFromRow(raw);
    if (!row || !raw) return { current: null, hollow: raw !== undefined };
    return { current: { row, ttl: remainingTtl(raw.row_ttl), changeId: uuidText(raw.change_id) }, hollow: false };
  }

  /** `DELETE … IF change_id = <read>`, then the side entries. `changed`: another version is there now. */
  async deleteVersion(current: ArtifactForUpdate, levels: OperationConsistency): Promise<'deleted' | 'gone' | 'changed'> {
    const { model, key } = current.row;
    const outcome = await this.#x.conditional(this.#cql.deleteIfUnchanged, [model, key, current.changeId], levels, async () => {
      const raw = await this.readSerial(model, key, levels);
      if (!artifactFromRow(raw)) return { outcome: 'applied' };
      return uuidText(raw?.change_id) === current.changeId ? { outcome: 'retry' } : { outcome: 'not-applied', current: raw };
    });
    // Not applied: the server answers with the current change_id when there is a row, with nothing when there is none.
    if (!outcome.applied) return outcome.current?.change_id !== undefined ? 'changed' : 'gone';
    await this.removeSideEntries(current.row, levels);
    return 'deleted';
  }

  /**
   * Deletes a hollow row (see `artifactFromRow`: an expiring version replaced a never-expiring one, whose
   * primary key outlives the cells) if it is still hollow.
   */
  async deleteHollow(model: string, key: string, levels: OperationConsistency): Promise<void> {
    await this.#x.conditional(this.#cql.deleteHollow, [model, key], levels, async () => ({ outcome: 'applied' }));
  }

  async removeSideEntries(row: StoredArtifact, levels: OperationConsistency): Promise<void> {
    const plain = { consistency: levels.codes.write };
    const work: Array<Promise<unknown>> = [];
    if (row.uidKey !== null) work.push(this.#x.execute(this.#cql.byUid.remove, [row.model, row.uidKey, row.key], plain));
    if (row.userCodeKey !== null) work.push(this.#x.execute(this.#cql.byUserCode.remove, [row.model, row.userCodeKey, row.key], plain));
    if (row.grantId !== null) work.push(this.#x.execute(this.#cql.byGrant.remove, [row.grantId, row.model, row.key], plain));
    if (row.expiresAt !== null)
      work.push(this.#index.removeEntry(ARTIFACT_PURGE_KIND, 'expiry', row.expiresAt, artifactIndexKey(row.model, row.key), levels));
    await Promise.all(work);
  }

  /** Lookup entries at the lookup level, never the user's write level (a revocation must find them), and the purge entry. */
  async writeSideEntries(row: StoredArtifact, ttl: number, levels: OperationConsistency): Promise<void> {
    const lookup = { consistency: levels.codes.lookup };
    const work: Array<Promise<unknown>> = [];
    if (row.uidKey !== null) work.push(this.#x.execute(this.#cql.byUid.insert, [row.model, row.uidKey, row.key, ttl], lookup));
    if (row.userCodeKey !== null)
      work.push(this.#x.execute(this.#cql.byUserCode.insert, [row.model, row.userCodeKey, row.key, ttl], lookup));
    if (row.grantId !== null) work.push(this.#x.execute(this.#cql.byGrant.insert, [row.grantId, row.model, row.key, ttl], lookup));
    if (row.expiresAt !== null)
      work.push(
        this.#index.writeIndexEntry(
          ARTIFACT_PURGE_KIND,
          'expiry',
          row.expiresAt,
          artifactIndexKey(row.model, row.key),
          entryTtl(ttl, this.#ttl),
          row.updatedAt,
          levels,
        ),
      );
    await Promise.all(work);
  }

  /** Entries of `previous` that `row` does not have: of a replaced version once the new one is in (its own were written before it). */
  async removeStaleEntries(previous: StoredArtifact, row: StoredArtifact, levels: OperationConsistency): Promise<void> {
    await this.removeSideEntries(
      {
        ...previous,
        uidKey: previous.uidKey === row.uidKey ? null : previous.uidKey,
        userCodeKey: previous.userCodeKey === row.userCodeKey ? null : previous.userCodeKey,
        grantId: previous.grantId === row.grantId ? null : previous.grantId,
        expiresAt: previous.expiresAt === row.expiresAt ? null : previous.expiresAt,
      },
      levels,
    );
  }

  /** The row for update at serial consistency (completing any Paxos round in flight): what decides an unknown outcome. */
  async readSerial(model: string, key: string, levels: OperationConsistency): Promise<CassandraRow | undefined> {
    return (await this.#x.execute(this.#cql.selectForUpdate, [model, key], { consistency: levels.codes.serial })).rows?.[0];
  }

  /** Resolution of an unknown outcome of a change that wrote `changeId` over version `expected`. */
  async #resolve(
    model: string,
    key: string,
    changeId: string,
    expected: string,
    levels: OperationConsistency,
    conditionStillHolds: (raw: CassandraRow) => boolean,
  ): Promise<Resolution> {
    const raw = await this.readSerial(model, key, levels);
    if (!raw || !artifactFromRow(raw)) return { outcome: 'not-applied' };
    const found = uuidText(raw.change_id);
    if (found === changeId) return { outcome: 'applied' };
    return found === expected && conditionStillHolds(raw) ? { outcome: 'retry' } : { outcome: 'not-applied', current: raw };
  }
}

import { randomUUID } from 'node:crypto';
import { ConflictError, type ScanPage, type ScanRequest, type StoredArtifact, sameArtifactVersion } from '@tokenstore/core';
import { type ArtifactCql, artifactFromRow, artifactValueParams } from './artifact-rows.js';
import type { ArtifactForUpdate, ArtifactRows } from './artifacts.js';
import { CHANGE_ATTEMPTS } from './concurrency.js';
import type { Resolution } from './conditional.js';
import type { OperationConsistency } from './consistency.js';
import { BACKEND, cursorRefusal } from './errors.js';
import type { CassandraExecutor } from './executor.js';
import { uuidText } from './token-rows.js';
import { rowTtl, type TtlPolicy } from './ttl.js';

/**
 * The rewrap job's artifact primitives on Cassandra (`scanArtifacts`, `insertArtifact`,
 * `replaceArtifact`, `deleteArtifactIf`; see core's `rewrapArtifact`). A collaborator of its own
 * rather than more methods of {@link ArtifactRows}, which already holds the provider's primitives and
 * would pass 400 lines with these: this one shares the executor and the TTL policy, and goes through
 * `ArtifactRows` for what both need (the read for update, the versioned delete, the side entries).
 *
 * Every change is a lightweight transaction on the row, as in `ArtifactRows`:
 * - insert: `INSERT … IF NOT EXISTS` (a hollow row counts as absent: deleted, then inserted);
 * - replace: `UPDATE … IF change_id = <read>` once the version read is the version expected;
 * - delete: `DELETE … IF change_id = <read>` likewise.
 * Side entries (lookups by uid, user code and grant, the purge-index entry) are written before the row
 * so that the row is reachable from them as soon as it exists; when the change does not land, the
 * entries this call wrote that the stored row does not have are taken back and those it shares get
 * the stored row's TTL again.
 */
export class ArtifactMoves {
  readonly #x: CassandraExecutor;
  readonly #ttl: TtlPolicy;
  readonly #rows: ArtifactRows;
  readonly #cql: ArtifactCql;

  constructor(executor: CassandraExecutor, ttl: TtlPolicy, rows: ArtifactRows) {
    this.#x = executor;
    this.#ttl = ttl;
    this.#rows = rows;
    this.#cql = executor.cql.artifacts;
  }

  /**
   * One page of the whole table in token order; the cursor is the driver's page state. Hollow rows are
   * left out, so a page may hold fewer rows than the limit (even none) before the end.
   */
  async scan(request: ScanRequest, levels: OperationConsistency): Promise<ScanPage<StoredArtifact>> {
    const { cursor, limit } = request;
    const result = await this.#x
      .execute(this.#cql.scan, [], {
        consistency: levels.codes.read,
        fetchSize: limit,
        ...(cursor === null ? {} : { pageState: cursor }),
      })
      .catch((error: unknown) => {
        throw cursorRefusal(error, cursor);
      });
    const rows = (result.rows ?? []).flatMap((raw) => artifactFromRow(raw) ?? []);
    return { rows, cursor: result.pageState ?? null };
  }

  /** Side entries, then `INSERT … IF NOT EXISTS`: `true` if inserted; `false` (entries taken back) if a row is there. */
  async insert(row: StoredArtifact, levels: OperationConsistency): Promise<boolean> {
    const ttl = rowTtl(row.expiresAt, row.updatedAt, this.#ttl);
    await this.#rows.writeSideEntries(row, ttl, levels);
    const { model, key } = row;
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const changeId = randomUUID();
      const inserted = await this.#x.conditional(
        this.#cql.insert,
        [model, key, ...artifactValueParams(row, true), changeId, ttl],
        levels,
        async () => {
          const raw = await this.#rows.readSerial(model, key, levels);
          if (!raw) return { outcome: 'retry' };
          return uuidText(raw.change_id) === changeId ? { outcome: 'applied' } : { outcome: 'not-applied', current: raw };
        },
      );
      if (inserted.applied) return true;
      if (!artifactFromRow(inserted.current)) {
        // A hollow row (its cells expired, its primary key lives on) is no artifact: clear it and insert.
        await this.#rows.deleteHollow(model, key, levels);
        continue;
      }
      const stored = await this.#rows.readForUpdate(model, key, levels);
      // Gone since the insert was refused: insert again.
      if (!stored) continue;
      await this.#withdrawEntries(row, stored, levels);
      return false;
    }
    throw new ConflictError('artifact insert: the row kept changing under it; retry', { backend: BACKEND });
  }

  /**
   * `UPDATE … IF change_id = <read>` of every column once the row read is the version `expected` is;
   * the side entries of `next` first, those of the replaced version that `next` lacks after. A change
   * landing between the read and the transaction is read and compared again.
   */
  async replace(expected: StoredArtifact, next: StoredArtifact, levels: OperationConsistency): Promise<boolean> {
    const { model, key } = next;
    const ttl = rowTtl(next.expiresAt, next.updatedAt, this.#ttl);
    let wroteEntries = false;
    let current: ArtifactForUpdate | null = null;
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      current = await this.#rows.readForUpdate(model, key, levels);
      if (!current || !sameArtifactVersion(current.row, expected)) break;
      if (!wroteEntries) {
        await this.#rows.writeSideEntries(next, ttl, levels);
        wroteEntries = true;
      }
      const read = current;
      const changeId = randomUUID();
      const outcome = await this.#x.conditional(
        this.#cql.replaceIfUnchanged,
        [ttl, ...artifactValueParams(next, false), changeId, model, key, read.changeId],
        levels,
        () => this.#resolve(model, key, changeId, read.changeId, levels),
      );
      if (outcome.applied) {
        await this.#rows.removeStaleEntries(read.row, next, levels);
        return true;
      }
      current = null;
    }
    if (wroteEntries) await this.#withdrawEntries(next, current ?? (await this.#rows.readForUpdate(model, key, levels)), levels);
    return false;
  }

  /** `DELETE … IF change_id = <read>` (then the side entries) once the row read is the version `expected` is. */
  async deleteIf(expected: StoredArtifact, levels: OperationConsistency): Promise<boolean> {
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const current = await this.#rows.readForUpdate(expected.model, expected.key, levels);
      if (!current || !sameArtifactVersion(current.row, expected)) return false;
      const outcome = await this.#rows.deleteVersion(current, levels);
      if (outcome !== 'changed') return outcome === 'deleted';
    }
    return false;
  }

  /**
   * Takes back the side entries of `ours` (written by a change that did not land) that the stored row
   * does not have; those it shares were written again with `ours`' TTL, so they get the stored row's.
   */
  async #withdrawEntries(ours: StoredArtifact, stored: ArtifactForUpdate | null, levels: OperationConsistency): Promise<void> {
    if (!stored) {
      await this.#rows.removeSideEntries(ours, levels);
      return;
    }
    const theirs = stored.row;
    await this.#rows.removeStaleEntries(ours, theirs, levels);
    const shared: StoredArtifact = {
      ...theirs,
      uidKey: theirs.uidKey === ours.uidKey ? theirs.uidKey : null,
      userCodeKey: theirs.userCodeKey === ours.userCodeKey ? theirs.userCodeKey : null,
      grantId: theirs.grantId === ours.grantId ? theirs.grantId : null,
      expiresAt: theirs.expiresAt === ours.expiresAt ? theirs.expiresAt : null,
    };
    await this.#rows.writeSideEntries(shared, stored.ttl, levels);
  }

  /** Resolution of an unknown outcome of a replace that wrote `changeId` over the version with change id `expected`. */
  async #resolve(model: string, key: string, changeId: string, expected: string, levels: OperationConsistency): Promise<Resolution> {
    const raw = await this.#rows.readSerial(model, key, levels);
    if (!raw || !artifactFromRow(raw)) return { outcome: 'not-applied' };
    const found = uuidText(raw.change_id);
    if (found === changeId) return { outcome: 'applied' };
    return found === expected ? { outcome: 'retry' } : { outcome: 'not-applied', current: raw };
  }
}

import {
  type ArtifactStore,
  artifactCursor,
  ConflictError,
  checkArtifactModel,
  checkArtifactReplacement,
  checkArtifactRow,
  checkGrantId,
  checkInstant,
  checkLookupKey,
  checkPurgeCriteria,
  checkScanRequest,
  type PurgeCriteria,
  parseArtifactCursor,
  type ScanPage,
  type ScanRequest,
  type StoredArtifact,
  type StoreGate,
} from '@tokenstore/core';
import type { RawRow, RowCodec } from './schema/row-codec.js';
import type { SqlExecutor } from './sql-executor.js';
import type { ArtifactStatements } from './statements/artifact-statements.js';

/** How often an upsert is sent again after a MERGE lost the race to insert the same new key. */
const UPSERT_ATTEMPTS = 4;

export interface SqlArtifactsParts {
  backend: string;
  gate: StoreGate;
  sql: SqlExecutor;
  codec: RowCodec;
  statements: ArtifactStatements;
}

/**
 * `SqlStore.artifacts`: provider artifacts in `tokenstore_artifact`, each primitive one statement.
 * Upsert is the dialect's upsert idiom; consumption is `UPDATE … WHERE consumed_at IS NULL` decided by
 * its row count (the row lock makes exactly one caller match); deletion by grant is one statement
 * through the grant index, across every model; purge deletes bounded batches through the expiry index.
 * The rewrap primitives are one conditional statement each (`WHERE updated_at = … AND consumed_at …`),
 * and the scan pages through the primary key.
 */
export class SqlArtifacts implements ArtifactStore {
  readonly #backend: string;
  readonly #gate: StoreGate;
  readonly #sql: SqlExecutor;
  readonly #codec: RowCodec;
  readonly #statements: ArtifactStatements;

  constructor(parts: SqlArtifactsParts) {
    this.#backend = parts.backend;
    this.#gate = parts.gate;
    this.#sql = parts.sql;
    this.#codec = parts.codec;
    this.#statements = parts.statements;
  }

  async upsertArtifact(row: StoredArtifact): Promise<void> {
    this.#gate.check();
    checkArtifactRow(row, this.#backend);
    const upsert = this.#statements.upsert.bind(this.#codec.artifactValues(row));
    for (let attempt = 0; attempt < UPSERT_ATTEMPTS; attempt++) {
      // A MERGE that found no row while another inserted the same key reports a duplicate: the next
      // attempt finds that row and replaces it.
      const outcome = await this.#sql.runAllowingDuplicate(upsert);
      if (!('duplicate' in outcome)) return;
    }
    throw new ConflictError('artifact.upsert: the row kept being inserted concurrently; retry', { backend: this.#backend });
  }

  async getArtifact(model: string, key: string): Promise<StoredArtifact | null> {
    this.#checkRef(model, 'key', key);
    const { rows } = await this.#sql.run(this.#statements.selectByKey.bind({ model, key }));
    return rows[0] ? this.#codec.artifactFromRow(rows[0]) : null;
  }

  async findArtifactByUid(model: string, uidKey: string): Promise<StoredArtifact | null> {
    this.#checkRef(model, 'uidKey', uidKey);
    return this.#latest((await this.#sql.run(this.#statements.selectByUid.bind({ model, uidKey }))).rows);
  }

  async findArtifactByUserCode(model: string, userCodeKey: string): Promise<StoredArtifact | null> {
    this.#checkRef(model, 'userCodeKey', userCodeKey);
    return this.#latest((await this.#sql.run(this.#statements.selectByUserCode.bind({ model, userCodeKey }))).rows);
  }

  async consumeArtifact(model: string, key: string, at: number): Promise<boolean> {
    this.#checkRef(model, 'key', key);
    checkInstant('at', at, this.#backend);
    // The conditional update is the decision: the first caller's update matches, the others' find
    // consumed_at set once they get the row lock.
    return (await this.#sql.run(this.#statements.consume.bind({ model, key, at }))).rowCount === 1;
  }

  async deleteArtifact(model: string, key: string): Promise<boolean> {
    this.#checkRef(model, 'key', key);
    return (await this.#sql.run(this.#statements.deleteByKey.bind({ model, key }))).rowCount === 1;
  }

  async deleteArtifactsOfGrant(grantId: string): Promise<number> {
    this.#gate.check();
    checkGrantId(grantId, this.#backend);
    return (await this.#sql.run(this.#statements.deleteOfGrant.bind({ grantId }))).rowCount;
  }

  /** One batch, one statement (its own short transaction): at most `limit` expired rows. */
  async purgeArtifacts(criteria: PurgeCriteria): Promise<number> {
    this.#gate.check();
    checkPurgeCriteria(criteria, this.#backend);
    const purge = this.#statements.purge.bind({ expiredBefore: criteria.expiredBefore, limit: criteria.limit });
    return (await this.#sql.run(purge)).rowCount;
  }

  async scanArtifacts(request: ScanRequest): Promise<ScanPage<StoredArtifact>> {
    this.#gate.check();
    checkScanRequest(request, this.#backend, (cursor) => parseArtifactCursor(cursor) !== null);
    // Model names start with a letter, so model '0' sorts before all of them (see selectArtifactPage).
    const after =
      request.cursor === null ? { model: '0', key: '0' } : (parseArtifactCursor(request.cursor) as { model: string; key: string });
    const { rows } = await this.#sql.run(this.#statements.page.bind({ ...after, limit: request.limit }));
    const page = rows.map((raw) => this.#codec.artifactFromRow(raw));
    const last = page[page.length - 1];
    return { rows: page, cursor: page.length < request.limit || last === undefined ? null : artifactCursor(last) };
  }

  async insertArtifact(row: StoredArtifact): Promise<boolean> {
    this.#gate.check();
    checkArtifactRow(row, this.#backend);
    const outcome = await this.#sql.runAllowingDuplicate(this.#statements.insert.bind(this.#codec.artifactValues(row)));
    return !('duplicate' in outcome);
  }

  async replaceArtifact(expected: StoredArtifact, next: StoredArtifact): Promise<boolean> {
    this.#gate.check();
    checkArtifactReplacement(expected, next, this.#backend);
    const statement = expected.consumedAt === null ? this.#statements.replaceIf.unconsumed : this.#statements.replaceIf.consumed;
    const args = { ...this.#codec.artifactValues(next), ...versionOf(expected) };
    return (await this.#sql.run(statement.bind(args))).rowCount === 1;
  }

  async deleteArtifactIf(expected: StoredArtifact): Promise<boolean> {
    this.#gate.check();
    checkArtifactRow(expected, this.#backend);
    const statement = expected.consumedAt === null ? this.#statements.deleteIf.unconsumed : this.#statements.deleteIf.consumed;
    return (await this.#sql.run(statement.bind({ model: expected.model, key: expected.key, ...versionOf(expected) }))).rowCount === 1;
  }

  #checkRef(model: string, field: string, key: string): void {
    this.#gate.check();
    checkArtifactModel(model, this.#backend);
    checkLookupKey(field, key, this.#backend);
  }

  /** The latest written of the rows claiming a uid or user code (normally there is one). */
  #latest(rows: readonly RawRow[]): StoredArtifact | null {
    let latest: StoredArtifact | null = null;
    for (const raw of rows) {
      const row = this.#codec.artifactFromRow(raw);
      if (latest === null || row.updatedAt > latest.updatedAt) latest = row;
    }
    return latest;
  }
}

/** The version a conditional statement compares. */
function versionOf(row: StoredArtifact): { expectedUpdatedAt: number; expectedConsumedAt?: number } {
  return { expectedUpdatedAt: row.updatedAt, ...(row.consumedAt === null ? {} : { expectedConsumedAt: row.consumedAt }) };
}

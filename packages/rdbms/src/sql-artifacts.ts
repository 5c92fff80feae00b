import {
  type ArtifactStore,
  ConflictError,
  checkArtifactModel,
  checkArtifactRow,
  checkGrantId,
  checkInstant,
  checkLookupKey,
  checkPurgeCriteria,
  type PurgeCriteria,
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

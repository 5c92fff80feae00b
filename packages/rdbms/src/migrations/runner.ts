import { setTimeout as sleep } from 'node:timers/promises';
import { BackendUnavailableError, ErrorCode, TokenStoreError } from '@tokenstore/core';
import type { SqlDialect } from '../dialects/dialect.js';
import type { SqlConnection, SqlDriver } from '../dialects/driver.js';
import { DEFAULT_RETRY } from '../options.js';
import { SCHEMA_VERSION_TABLE } from '../schema/tables.js';
import { SqlExecutor } from '../sql-executor.js';
import { StatementTemplate } from '../statements/sql-statement.js';
import { defaultMigrationsDirectory, type MigrationFile, readMigrationFiles } from './migration-files.js';

export interface MigrationRunnerOptions {
  dialect: SqlDialect;
  driver: SqlDriver;
  /** Folder holding `<dialect>/NNN_*.sql`; default: the files shipped with this package. */
  directory?: string | undefined;
  /** How long to wait for another runner's lock before giving up. Default 120000 ms. */
  lockTimeoutMs?: number;
}

export interface MigrationResult {
  /** Files applied by this run, in order (empty when the schema was up to date). */
  applied: string[];
  /** Highest version applied in the database after the run. */
  version: number;
}

const LOCK_POLL_MS = 100;

/**
 * Applies `sql/<dialect>/NNN_*.sql` in version order and records each in `tokenstore_schema_version`.
 * Safe to run twice (applied versions are skipped) and from several processes at once: runners
 * take the dialect's session lock first, so one applies while the others wait and then find
 * nothing to do. Where the dialect has transactional DDL a file and its version row commit
 * together; elsewhere (MySQL) statements commit one by one, so the files use `IF NOT EXISTS`
 * and a failed file can be fixed and re-run. A file changed after it was applied is an error.
 */
export class MigrationRunner {
  readonly #dialect: SqlDialect;
  readonly #driver: SqlDriver;
  readonly #directory: string;
  readonly #lockTimeoutMs: number;
  readonly #sql: SqlExecutor;

  constructor(options: MigrationRunnerOptions) {
    this.#dialect = options.dialect;
    this.#driver = options.driver;
    this.#directory = options.directory ?? defaultMigrationsDirectory();
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 120_000;
    this.#sql = new SqlExecutor(options.dialect, options.driver, DEFAULT_RETRY);
  }

  async run(): Promise<MigrationResult> {
    const files = await readMigrationFiles(this.#directory, this.#dialect.name);
    try {
      return await this.#sql.withConnection(async (connection) => {
        await this.#lock(connection);
        try {
          return await this.#applyPending(connection, files);
        } finally {
          await connection.query(this.#dialect.migrationLock.release, []).catch(() => undefined);
        }
      });
    } catch (error) {
      throw this.#sql.toStoreError(error, 'migration');
    }
  }

  async #lock(connection: SqlConnection): Promise<void> {
    const { prepare } = this.#dialect.migrationLock;
    if (prepare !== undefined) await connection.query(prepare, []);
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (;;) {
      const { rows } = await connection.query(this.#dialect.migrationLock.tryAcquire, []);
      const acquired = rows[0]?.acquired;
      if (acquired === true || acquired === 1 || acquired === '1' || acquired === 1n) return;
      if (Date.now() >= deadline)
        throw new BackendUnavailableError(`another migration runner held the schema lock for ${this.#lockTimeoutMs} ms`, {
          backend: this.#dialect.name,
        });
      await sleep(LOCK_POLL_MS);
    }
  }

  async #applyPending(connection: SqlConnection, files: MigrationFile[]): Promise<MigrationResult> {
    await connection.query(this.#dialect.createSchemaVersionTable(SCHEMA_VERSION_TABLE), []);
    const { rows } = await connection.query(`SELECT version, checksum FROM ${SCHEMA_VERSION_TABLE}`, []);
    const applied = new Map(rows.map((row) => [Number(row.version), String(row.checksum)]));
    for (const file of files) {
      const checksum = applied.get(file.version);
      if (checksum !== undefined && checksum !== file.checksum)
        throw new TokenStoreError(
          ErrorCode.Misconfiguration,
          `schema file ${file.name} changed after it was applied; add a new numbered file instead of editing an applied one`,
          { backend: this.#dialect.name, field: 'migrationsDirectory' },
        );
    }
    const record = new StatementTemplate<{ version: number; name: string; checksum: string; appliedAt: number }>(
      this.#dialect,
      'migration.record',
      `INSERT INTO ${SCHEMA_VERSION_TABLE} (version, name, checksum, applied_at) VALUES (:version, :name, :checksum, :appliedAt)`,
    );
    const done: string[] = [];
    for (const file of files.filter((candidate) => !applied.has(candidate.version))) {
      const version = record.bind({ version: file.version, name: file.name, checksum: file.checksum, appliedAt: Date.now() });
      const transactional = this.#dialect.capabilities.supportsTransactionalDdl;
      if (transactional) await this.#driver.beginTransaction(connection);
      try {
        for (const statement of file.statements) await connection.query(statement, []);
        await connection.query(version.sql, version.params);
        if (transactional) await this.#driver.commitTransaction(connection);
      } catch (error) {
        if (transactional) await this.#driver.rollbackTransaction(connection).catch(() => undefined);
        if (this.#dialect.classifyError(error).kind === 'connection') throw error;
        throw new TokenStoreError(ErrorCode.BackendError, `schema file ${file.name} failed`, {
          backend: this.#dialect.name,
          cause: error,
        });
      }
      done.push(file.name);
    }
    const versions = [...applied.keys(), ...files.filter((file) => done.includes(file.name)).map((file) => file.version)];
    return { applied: done, version: versions.length === 0 ? 0 : Math.max(...versions) };
  }
}

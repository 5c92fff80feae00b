import type {
  ClassifiedDriverError,
  DialectCapabilities,
  DialectColumnTypes,
  ExplainSupport,
  LeaseStatements,
  MigrationLockStatements,
  PurgeTarget,
  SqlDialect,
} from '../dialect.js';
import {
  insertInto,
  PURGE_EXPIRY_BRANCH_FILTER,
  PURGE_RETIRED_BRANCH_FILTER,
  schemaVersionTableDdl,
  standardLeaseStatements,
} from '../standard-sql.js';
import { classifyPostgresError } from './postgres-errors.js';

/** The advisory lock key of the migration runner: the ASCII bytes of "tokenstr" as a bigint. */
const MIGRATION_LOCK_KEY = '8390042714203452530';

/**
 * PostgreSQL 12+ (driver `pg`). Atomicity idioms: a partial unique index for one ACTIVE exclusive
 * token per reuse key (`INSERT … ON CONFLICT … DO NOTHING` against it), `FOR UPDATE SKIP LOCKED`
 * purge batches, `DELETE … RETURNING` for archive-and-delete in one statement, advisory locks for
 * migrations, transactional DDL.
 */
export class PostgresDialect implements SqlDialect {
  readonly name = 'postgres';
  readonly driverPackage = 'pg';
  readonly capabilities: DialectCapabilities = {
    supportsReturning: true,
    supportsOutput: false,
    supportsTransactionalDdl: true,
    supportsSkipLocked: true,
    supportsPartialIndexes: true,
  };
  readonly columnTypes: DialectColumnTypes = {
    // "C" collation: byte-wise comparison, the fastest B-tree order for opaque ASCII keys.
    lookupKey: 'VARCHAR(512) COLLATE "C"',
    identifier: 'VARCHAR(255)',
    text: 'TEXT',
    epochMillis: 'BIGINT',
    integer: 'INTEGER',
    boolean: 'BOOLEAN',
  };

  placeholder(index: number): string {
    return `$${index}`;
  }

  booleanParameter(value: boolean): unknown {
    return value;
  }

  insertIfAbsent(table: string, columns: readonly string[], conflictColumns: readonly string[]): string {
    return `${insertInto(table, columns)} ON CONFLICT (${conflictColumns.join(', ')}) DO NOTHING`;
  }

  insertExclusiveAccessToken(table: string, columns: readonly string[]): string {
    // The conflict target names the partial unique index by its columns and predicate, so only a
    // taken reuse slot is skipped (row count 0); a duplicate token key still raises 23505.
    return `${insertInto(table, columns)} ON CONFLICT (reuse_key) WHERE state = 'ACTIVE' AND is_exclusive DO NOTHING`;
  }

  findActiveAccessToken(table: string, columns: readonly string[]): string {
    // Literal predicate (not parameters) so the planner can prove the partial index applies.
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE reuse_key = :reuseKey AND state = 'ACTIVE' AND is_exclusive`;
  }

  selectPage(table: string, columns: readonly string[]): string {
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE row_id > :after ORDER BY row_id LIMIT :limit`;
  }

  purgeBatch(target: PurgeTarget): string {
    return `${purgeableRows(target.table, 'ctid')}
DELETE FROM ${target.table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM doomed))`;
  }

  purgeAndArchiveBatch(target: PurgeTarget): string {
    const columns = target.columns.join(', ');
    return `${purgeableRows(target.table, 'ctid')},
deleted AS (DELETE FROM ${target.table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM doomed)) RETURNING ${columns})
INSERT INTO ${target.auditTable} (${columns}, archived_at) SELECT ${columns}, CAST(:now AS BIGINT) FROM deleted`;
  }

  selectPurgeableKeys(target: PurgeTarget): string {
    return `${purgeableRows(target.table, 'token_key')}
SELECT token_key FROM doomed`;
  }

  upsert(table: string, columns: readonly string[], keyColumns: readonly string[]): string {
    const updated = columns.filter((column) => !keyColumns.includes(column));
    return `${insertInto(table, columns)} ON CONFLICT (${keyColumns.join(', ')}) DO UPDATE SET ${updated.map((column) => `${column} = EXCLUDED.${column}`).join(', ')}`;
  }

  selectArtifactPage(table: string, columns: readonly string[]): string {
    // A row-value comparison, which PostgreSQL answers with one range scan of the primary key in order.
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE (model, artifact_key) > (:model, :key) ORDER BY model, artifact_key LIMIT :limit`;
  }

  purgeExpiredArtifacts(table: string): string {
    // The batch through the partial expiry index, then deleted by physical row id (a TID scan): the
    // primary key is composite, and a join back to the table could be planned as a sequential scan.
    return `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM ${table} WHERE expires_at <= :expiredBefore ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED
))`;
  }

  leaseStatements(table: string): LeaseStatements {
    return standardLeaseStatements(table, this.insertIfAbsent(table, ['lease_name', 'holder', 'expires_at'], ['lease_name']));
  }

  readonly migrationLock: MigrationLockStatements = {
    tryAcquire: `SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS acquired`,
    release: `SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}) AS released`,
  };

  createSchemaVersionTable(table: string): string {
    return schemaVersionTableDdl(table, this.columnTypes);
  }

  readonly explain: ExplainSupport = {
    statement: (sql) => `EXPLAIN ${sql}`,
    findFullScans(planRows, tables) {
      const scans: string[] = [];
      for (const row of planRows) {
        const line = String(row['QUERY PLAN'] ?? '');
        const match = /Seq Scan on (\w+)/.exec(line);
        if (match && tables.includes(match[1]!)) scans.push(line.trim());
      }
      return scans;
    },
  };

  classifyError(error: unknown): ClassifiedDriverError {
    return classifyPostgresError(error);
  }
}

/**
 * The CTEs that pick one batch: each criterion through its own index (expiry; the partial index of
 * retired rows), filtered by the other window (see {@link PURGE_EXPIRY_BRANCH_FILTER}), oldest first,
 * skipping rows another transaction holds, at most `:limit` in all; `column` of each row (its
 * physical address `ctid` to delete by, or its `token_key`).
 *
 * `ctid = ANY (ARRAY(…))` then deletes by physical address (a TID scan): no descent of the
 * primary-key index on the random token_key per row, and no join the planner could turn into a
 * sequential scan. The rows are locked (`FOR UPDATE`) by the same statement, so nothing moves them
 * between the pick and the delete.
 */
function purgeableRows(table: string, column: 'ctid' | 'token_key'): string {
  return `WITH expired AS (
  SELECT ${column} FROM ${table} WHERE expires_at <= :expiredBefore AND ${PURGE_EXPIRY_BRANCH_FILTER} ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED
), retired AS (
  SELECT ${column} FROM ${table} WHERE state <> 'ACTIVE' AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER} ORDER BY state_changed_at LIMIT :limit FOR UPDATE SKIP LOCKED
), doomed AS (
  SELECT ${column} FROM expired UNION SELECT ${column} FROM retired LIMIT :limit
)`;
}

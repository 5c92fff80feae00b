import { ROW_ID_KEYED_TABLES } from '../../schema/tables.js';
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
import { insertInto, PURGE_RETIRED_BRANCH_FILTER, schemaVersionTableDdl, standardLeaseStatements } from '../standard-sql.js';
import { classifyMysqlError } from './mysql-errors.js';

const RETIRED_STATES = "'INACTIVE', 'REVOKED', 'EXPIRED'";

/**
 * MySQL 8.0+ and MariaDB 10.6+ (driver `mysql2`). Neither has partial indexes, so one ACTIVE
 * exclusive token per reuse key is a unique index over a stored generated column
 * (`active_reuse_key`, NULL unless ACTIVE and exclusive; a unique index admits many NULLs). Purge
 * deletes through a derived table of row ids found through the (state, expires_at) and retired-state indexes
 * (MySQL cannot `DELETE … LIMIT` a subquery of the same table). DDL is not transactional.
 */
export class MysqlDialect implements SqlDialect {
  readonly name = 'mysql';
  readonly driverPackage = 'mysql2';
  readonly capabilities: DialectCapabilities = {
    // MariaDB 10.5 has DELETE … RETURNING, MySQL does not; the dialect serves both.
    supportsReturning: false,
    supportsOutput: false,
    supportsTransactionalDdl: false,
    supportsSkipLocked: true,
    supportsPartialIndexes: false,
  };
  readonly columnTypes: DialectColumnTypes = {
    lookupKey: 'VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin',
    identifier: 'VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
    text: 'TEXT',
    epochMillis: 'BIGINT',
    integer: 'INT',
    boolean: 'BOOLEAN',
  };

  placeholder(): string {
    return '?';
  }

  booleanParameter(value: boolean): unknown {
    return value ? 1 : 0;
  }

  insertIfAbsent(table: string, columns: readonly string[]): string {
    // IGNORE also downgrades other errors to warnings, so it is only used where the values cannot
    // fail otherwise (the lease row).
    return insertInto(table, columns).replace(/^INSERT INTO/, 'INSERT IGNORE INTO');
  }

  insertExclusiveAccessToken(table: string, columns: readonly string[]): string {
    // A taken slot raises ER_DUP_ENTRY on the active_reuse_key index; the store resolves it.
    return insertInto(table, columns);
  }

  findActiveAccessToken(table: string, columns: readonly string[]): string {
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE active_reuse_key = :reuseKey`;
  }

  selectPage(table: string, columns: readonly string[]): string {
    // A page walks the row_id index in order and stops at :limit (the primary key of the token tables
    // since 007_cluster_on_row_id.sql, the unique <table>_row_id index of the others); without the hint
    // the optimiser reads the whole table and sorts it when `row_id > :after` matches most rows.
    const index = ROW_ID_KEYED_TABLES.includes(table) ? 'PRIMARY' : `${table}_row_id`;
    return `SELECT ${columns.join(', ')} FROM ${table} FORCE INDEX (${index}) WHERE row_id > :after ORDER BY row_id LIMIT :limit`;
  }

  purgeBatch(target: PurgeTarget): string {
    // The derived table of row ids is materialised (it has a LIMIT), then joined on the primary key
    // (row_id, the clustered key since 007_cluster_on_row_id.sql); STRAIGHT_JOIN keeps that order so
    // the token table is never scanned to probe the derived table. Rows written together sit on the
    // same pages, so a batch deletes neighbours instead of one random page per row.
    return `DELETE ${target.table} FROM (
  SELECT row_id FROM (${purgeableRows(target.table, 'row_id', '')}) AS candidates LIMIT :limit
) AS doomed STRAIGHT_JOIN ${target.table} ON ${target.table}.row_id = doomed.row_id`;
  }

  purgeAndArchiveBatch(): undefined {
    return undefined;
  }

  selectPurgeableKeys(target: PurgeTarget): string {
    return `${purgeableRows(target.table, 'token_key', ' FOR UPDATE SKIP LOCKED')} LIMIT :limit`;
  }

  upsert(table: string, columns: readonly string[], keyColumns: readonly string[]): string {
    // VALUES(column): MariaDB has no `AS new` row alias (MySQL 8.0.19+), and MySQL still accepts VALUES().
    const updated = columns.filter((column) => !keyColumns.includes(column));
    return `${insertInto(table, columns)} ON DUPLICATE KEY UPDATE ${updated.map((column) => `${column} = VALUES(${column})`).join(', ')}`;
  }

  selectArtifactPage(table: string, columns: readonly string[]): string {
    // The expanded keyset predicate is two ranges of the primary key, read in order up to :limit.
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE (model > :model OR (model = :model AND artifact_key > :key)) ORDER BY model, artifact_key LIMIT :limit`;
  }

  purgeExpiredArtifacts(table: string): string {
    // As purgeBatch: a materialised derived table of keys from one range scan of the expiry index,
    // joined on the primary key in that order.
    return `DELETE ${table} FROM (
  SELECT model, artifact_key FROM ${table} FORCE INDEX (${table}_expires_at) WHERE expires_at <= :expiredBefore ORDER BY expires_at LIMIT :limit
) AS doomed STRAIGHT_JOIN ${table} ON ${table}.model = doomed.model AND ${table}.artifact_key = doomed.artifact_key`;
  }

  leaseStatements(table: string): LeaseStatements {
    return standardLeaseStatements(table, this.insertIfAbsent(table, ['lease_name', 'holder', 'expires_at']));
  }

  readonly migrationLock: MigrationLockStatements = {
    // GET_LOCK names are server-wide: qualify with the database so two schemas migrate independently.
    tryAcquire: "SELECT GET_LOCK(CONCAT('tokenstore_migrations.', DATABASE()), 0) AS acquired",
    release: "SELECT RELEASE_LOCK(CONCAT('tokenstore_migrations.', DATABASE())) AS released",
  };

  createSchemaVersionTable(table: string): string {
    return schemaVersionTableDdl(table, this.columnTypes, ' ENGINE=InnoDB');
  }

  readonly explain: ExplainSupport = {
    statement: (sql) => `EXPLAIN ${sql}`,
    findFullScans(planRows, tables) {
      return planRows
        .filter((row) => row.type === 'ALL' && row.select_type !== 'INSERT' && tables.includes(String(row.table)))
        .map((row) => `type ALL on ${String(row.table)} (${String(row.select_type)})`);
    },
  };

  classifyError(error: unknown): ClassifiedDriverError {
    return classifyMysqlError(error);
  }
}

/**
 * `column` (the row id to delete by, or the token key to archive by) of a union of two index range
 * scans, each at most `:limit` rows: ACTIVE rows expired at or before `:expiredBefore`, in expiry
 * order, through the `<table>_state (state, expires_at)` index of 004 — which holds the row id, so
 * picking them reads no table row (bench/purge-profile.ts: 108 → 83 µs per purged row on MariaDB
 * with a 128 MB buffer pool) — and rows retired (non-ACTIVE) before the retention cut-off, filtered by
 * the expired window. Together they are exactly `PURGEABLE_ROW`: a retired row that expired is in
 * the second branch, so the first needs no `PURGE_EXPIRY_BRANCH_FILTER`. `FORCE INDEX` because with
 * most rows expired the optimiser would otherwise prefer a table scan; each range stops after
 * `:limit` rows.
 */
function purgeableRows(table: string, column: 'row_id' | 'token_key', locking: string): string {
  return `(SELECT ${column} FROM ${table} FORCE INDEX (${table}_state) WHERE state = 'ACTIVE' AND expires_at <= :expiredBefore ORDER BY expires_at LIMIT :limit${locking})
UNION
(SELECT ${column} FROM ${table} FORCE INDEX (${table}_retired) WHERE state IN (${RETIRED_STATES}) AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER} LIMIT :limit${locking})`;
}

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
  errorProperty,
  insertInto,
  isNetworkError,
  PURGE_EXPIRY_BRANCH_FILTER,
  PURGE_RETIRED_BRANCH_FILTER,
  schemaVersionTableDdl,
  standardLeaseStatements,
} from '../standard-sql.js';

/** Server error numbers (MySQL and MariaDB agree on these). */
const UNIQUE_VIOLATIONS = new Set([1062, 1586, 1022]); // ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME, ER_DUP_KEY
const RETRYABLE_ERRORS = new Set([1213, 1205]); // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
const MISSING_SCHEMA_ERRORS = new Set([1146, 1054]); // ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR
/** Server shutdown, killed connection, too many connections, client timeouts (MySQL 4031, MariaDB 1927). */
const CONNECTION_ERRORS = new Set([1040, 1053, 1077, 1152, 1153, 1158, 1159, 1160, 1161, 1927, 2002, 2003, 2006, 2013, 4031]);
const CONNECTION_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR']);
/** mysql2's own errors without a code. */
const MYSQL2_CONNECTION_MESSAGES = ['Pool is closed', 'connection is in closed state'];
const RETIRED_STATES = "'INACTIVE', 'REVOKED', 'EXPIRED'";

/**
 * MySQL 8.0+ and MariaDB 10.6+ (driver `mysql2`). Neither has partial indexes, so one ACTIVE
 * exclusive token per reuse key is a unique index over a stored generated column
 * (`active_reuse_key`, NULL unless ACTIVE and exclusive; a unique index admits many NULLs). Purge
 * deletes through a derived table of keys found through the expiry and retired-state indexes
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
    // A page walks the row_id index in order and stops at :limit; without the hint the optimiser
    // reads the whole table and sorts it when `row_id > :after` matches most rows (the first page).
    return `SELECT ${columns.join(', ')} FROM ${table} FORCE INDEX (${table}_row_id) WHERE row_id > :after ORDER BY row_id LIMIT :limit`;
  }

  purgeBatch(target: PurgeTarget): string {
    // The derived table is materialised (it has a LIMIT), then joined on the primary key; STRAIGHT_JOIN
    // keeps that order so the token table is never scanned to probe the derived table.
    return `DELETE ${target.table} FROM (
  SELECT token_key FROM (${purgeableKeys(target.table, '')}) AS candidates LIMIT :limit
) AS doomed STRAIGHT_JOIN ${target.table} ON ${target.table}.token_key = doomed.token_key`;
  }

  purgeAndArchiveBatch(): undefined {
    return undefined;
  }

  selectPurgeableKeys(target: PurgeTarget): string {
    return `${purgeableKeys(target.table, ' FOR UPDATE SKIP LOCKED')} LIMIT :limit`;
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
    const errno = errorProperty(error, 'errno');
    const rawCode = errorProperty(error, 'code');
    const code = typeof rawCode === 'string' ? rawCode : undefined;
    if (typeof errno === 'number' && UNIQUE_VIOLATIONS.has(errno))
      return { kind: 'unique-violation', code, constraint: duplicateKeyName(error) };
    if (typeof errno === 'number' && RETRYABLE_ERRORS.has(errno)) return { kind: 'retryable', code };
    if (typeof errno === 'number' && MISSING_SCHEMA_ERRORS.has(errno)) return { kind: 'missing-schema', code };
    if (
      (typeof errno === 'number' && CONNECTION_ERRORS.has(errno)) ||
      (code !== undefined && CONNECTION_CODES.has(code)) ||
      errorProperty(error, 'fatal') === true ||
      isNetworkError(error)
    )
      return { kind: 'connection', code };
    const message = errorProperty(error, 'message');
    if (typeof message === 'string' && MYSQL2_CONNECTION_MESSAGES.some((text) => message.includes(text)))
      return { kind: 'connection', code };
    return { kind: 'other', code };
  }
}

/**
 * A union of two index range scans, each at most `:limit` rows: expired rows in expiry order, and
 * rows retired (non-ACTIVE) before the retention cut-off, each filtered by the other window (see
 * {@link PURGE_EXPIRY_BRANCH_FILTER}). `FORCE INDEX` because with most rows
 * expired the optimiser would otherwise prefer a table scan; each range stops after `:limit` rows.
 */
function purgeableKeys(table: string, locking: string): string {
  return `(SELECT token_key FROM ${table} FORCE INDEX (${table}_expires_at) WHERE expires_at <= :expiredBefore AND ${PURGE_EXPIRY_BRANCH_FILTER} ORDER BY expires_at LIMIT :limit${locking})
UNION
(SELECT token_key FROM ${table} FORCE INDEX (${table}_retired) WHERE state IN (${RETIRED_STATES}) AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER} LIMIT :limit${locking})`;
}

/**
 * The index named in "Duplicate entry '…' for key 'table.index'" (MySQL 8) or "… for key 'index'"
 * (MariaDB). Only the name is kept: the rest of the message holds the duplicate value.
 */
function duplicateKeyName(error: unknown): string | undefined {
  const message = errorProperty(error, 'message');
  if (typeof message !== 'string') return undefined;
  const match = /for key '([^']+)'$/.exec(message);
  if (!match) return undefined;
  const name = match[1]!;
  return name.slice(name.lastIndexOf('.') + 1);
}

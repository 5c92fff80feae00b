import type {
  ClassifiedDriverError,
  DialectCapabilities,
  DialectColumnTypes,
  LeaseStatements,
  MigrationLockStatements,
  PurgeTarget,
  SqlDialect,
} from '../dialect.js';
import { PURGE_EXPIRY_BRANCH_FILTER, PURGE_RETIRED_BRANCH_FILTER, PURGEABLE_ROW, standardLeaseStatements } from '../standard-sql.js';
import { classifyDb2Error } from './db2-errors.js';

const RETIRED_STATES = "'INACTIVE', 'REVOKED', 'EXPIRED'";
const TEXT = 'CLOB(1M)';

/**
 * The type of every column an insert below names, as `sql/db2/001_tokens.sql` (and later files) declare it: DB2
 * cannot type a bare `?` in a select list (SQL0418N), so those inserts cast each one.
 */
const COLUMN_TYPES: Readonly<Record<string, string>> = {
  token_key: 'VARCHAR(512)',
  token_value: TEXT,
  consumer_key: 'VARCHAR(255)',
  user_id: 'VARCHAR(255)',
  user_type: 'VARCHAR(16)',
  scopes: TEXT,
  grant_id: 'VARCHAR(255)',
  grant_type: 'VARCHAR(255)',
  reuse_key: 'VARCHAR(128)',
  is_exclusive: 'SMALLINT',
  state: 'VARCHAR(16)',
  issued_at: 'BIGINT',
  expires_at: 'BIGINT',
  state_changed_at: 'BIGINT',
  // 006_confirmation.sql
  confirmation: 'VARCHAR(255)',
  lease_name: 'VARCHAR(64)',
  holder: 'VARCHAR(255)',
  // 005_artifacts.sql
  model: 'VARCHAR(64)',
  artifact_key: 'VARCHAR(512)',
  artifact_value: TEXT,
  payload: 'CLOB(2M)',
  is_sealed: 'SMALLINT',
  uid_key: 'VARCHAR(512)',
  user_code_key: 'VARCHAR(512)',
  consumed_at: 'BIGINT',
  updated_at: 'BIGINT',
};

/**
 * DB2 has no named session locks (every lock ends with its transaction, and the runner commits per
 * file), so the migration lock is a row: `holder` is the application id of the connection that took
 * it (`MON_GET_APPLICATION_ID()`, unique per connection). A runner that died without releasing it
 * blocks others until the row is {@link STALE_AFTER} old.
 */
export interface Db2MigrationLockStatements extends MigrationLockStatements {
  /**
   * Run once before the first `tryAcquire`, on any connection: creates the lock table and its one
   * row when they do not exist (idempotent, safe to run concurrently).
   */
  readonly prepare: string;
}

export const MIGRATION_LOCK_TABLE = 'tokenstore_migration_lock';
const LOCK_NAME = "'migrations'";
const STALE_AFTER = '10 MINUTES';

export const DB2_MIGRATION_LOCK: Db2MigrationLockStatements = {
  // 42710: the table exists; 23505: the row exists. EXECUTE IMMEDIATE because static SQL in the
  // block would be compiled against a table that may not exist yet.
  prepare: `BEGIN
  DECLARE CONTINUE HANDLER FOR SQLSTATE '42710' BEGIN END;
  DECLARE CONTINUE HANDLER FOR SQLSTATE '23505' BEGIN END;
  EXECUTE IMMEDIATE 'CREATE TABLE ${MIGRATION_LOCK_TABLE} (
    lock_name VARCHAR(64) NOT NULL,
    holder VARCHAR(255),
    acquired_at TIMESTAMP,
    CONSTRAINT ${MIGRATION_LOCK_TABLE}_pk PRIMARY KEY (lock_name)
  )';
  EXECUTE IMMEDIATE 'INSERT INTO ${MIGRATION_LOCK_TABLE} (lock_name) VALUES (''migrations'')';
END`,
  // One UPDATE, committed on its own (the runner's connection is in autocommit mode here); FINAL
  // TABLE returns the row it changed, so COUNT(*) is 1 when this connection holds the lock.
  tryAcquire: `SELECT COUNT(*) AS acquired FROM FINAL TABLE (
  UPDATE ${MIGRATION_LOCK_TABLE} SET holder = MON_GET_APPLICATION_ID(), acquired_at = CURRENT TIMESTAMP
  WHERE lock_name = ${LOCK_NAME}
  AND (holder IS NULL OR holder = MON_GET_APPLICATION_ID() OR acquired_at < CURRENT TIMESTAMP - ${STALE_AFTER})
)`,
  release: `SELECT COUNT(*) AS released FROM FINAL TABLE (
  UPDATE ${MIGRATION_LOCK_TABLE} SET holder = NULL, acquired_at = NULL
  WHERE lock_name = ${LOCK_NAME} AND holder = MON_GET_APPLICATION_ID()
)`,
};

/**
 * Db2 for Linux, UNIX and Windows 11.1+ (driver `ibm_db`). One ACTIVE exclusive token per reuse key
 * is a unique index `EXCLUDE NULL KEYS` over the generated column `active_reuse_key` (NULL unless
 * ACTIVE and exclusive). Inserts that must not race probe with `WITH RR`, whose next-key locks turn
 * a race into a deadlock the store retries, never a duplicate key DB2 could not name. Purge deletes
 * from a `FETCH FIRST` fullselect with `SKIP LOCKED DATA`; the archive variant moves rows in one
 * statement through `OLD TABLE (DELETE …)`. DDL is transactional.
 */
export class Db2Dialect implements SqlDialect {
  readonly name = 'db2';
  readonly driverPackage = 'ibm_db';
  readonly capabilities: DialectCapabilities = {
    // SELECT … FROM OLD TABLE (DELETE …): DB2's form of DELETE … RETURNING.
    supportsReturning: true,
    supportsOutput: false,
    supportsTransactionalDdl: true,
    supportsSkipLocked: true,
    supportsPartialIndexes: false,
  };
  readonly columnTypes: DialectColumnTypes = {
    // Databases are created with the IDENTITY (binary) collation by default: byte-wise comparison.
    lookupKey: 'VARCHAR(512)',
    // Bytes in a UTF-8 database; wider would exceed the index key limit of 4 KB pages in composite indexes.
    identifier: 'VARCHAR(255)',
    // VARCHAR(32672) would need 32 KB pages for rows holding several; sealed tokens and scope sets are long.
    text: TEXT,
    epochMillis: 'BIGINT',
    integer: 'INTEGER',
    boolean: 'SMALLINT',
  };

  placeholder(): string {
    return '?';
  }

  booleanParameter(value: boolean): unknown {
    return value ? 1 : 0;
  }

  insertIfAbsent(table: string, columns: readonly string[], conflictColumns: readonly string[]): string {
    // Not MERGE: two MERGEs can both find no match, and the second fails with a duplicate key.
    // The RR probe holds a next-key lock, so the second waits, or deadlocks and is retried.
    const conflict = conflictColumns.map((column) => `${column} = ${typedMarker(column)}`).join(' AND ');
    return `INSERT INTO ${table} (${columns.join(', ')})
SELECT ${columns.map(typedMarker).join(', ')} FROM SYSIBM.SYSDUMMY1
WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE ${conflict})
WITH RR`;
  }

  insertExclusiveAccessToken(table: string, columns: readonly string[]): string {
    // Row count 0 when the slot is taken. A duplicate token key still raises SQLSTATE 23505.
    return `INSERT INTO ${table} (${columns.join(', ')})
SELECT ${columns.map(typedMarker).join(', ')} FROM SYSIBM.SYSDUMMY1
WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE active_reuse_key = ${typedMarker('reuse_key')})
WITH RR`;
  }

  findActiveAccessToken(table: string, columns: readonly string[]): string {
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE active_reuse_key = :reuseKey`;
  }

  selectPage(table: string, columns: readonly string[]): string {
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE row_id > :after ORDER BY row_id FETCH FIRST :limit ROWS ONLY`;
  }

  purgeBatch(target: PurgeTarget): string {
    // Deleting from a fullselect with FETCH FIRST is DB2's bounded DELETE.
    return `DELETE FROM (
${purgeableRows(target.table, ['token_key'])}
)
SKIP LOCKED DATA`;
  }

  purgeAndArchiveBatch(target: PurgeTarget): string {
    // Two data-change statements in one: the CTE deletes (OLD TABLE yields the rows as they were),
    // the outer SELECT inserts them into the audit table. One result row per archived row, so the
    // driver's row count is the number moved. The DELETE inside OLD TABLE cannot carry SKIP LOCKED
    // DATA: it waits for rows hot-path transactions hold, for milliseconds.
    const columns = target.columns.join(', ');
    return `WITH deleted (${columns}) AS (
  SELECT ${columns} FROM OLD TABLE (
    DELETE FROM (
${purgeableRows(target.table, target.columns)}
    )
  )
)
SELECT token_key FROM NEW TABLE (
  INSERT INTO ${target.auditTable} (${columns}, archived_at) SELECT ${columns}, CAST(:now AS BIGINT) FROM deleted
)`;
  }

  selectPurgeableKeys(target: PurgeTarget): string {
    // RS + USE AND KEEP UPDATE LOCKS holds the selected rows until commit; SKIP LOCKED DATA passes over held ones.
    return `${purgeableRows(target.table, ['token_key'])}
WITH RS USE AND KEEP UPDATE LOCKS SKIP LOCKED DATA`;
  }

  upsert(table: string, columns: readonly string[], keyColumns: readonly string[]): string {
    // Every marker typed (SQL0418N otherwise). Two MERGEs of a new key can both find no match; the
    // second's duplicate key makes the store send it again.
    const updated = columns.filter((column) => !keyColumns.includes(column));
    return `MERGE INTO ${table} AS target
USING (VALUES (${keyColumns.map(typedMarker).join(', ')})) AS source (${keyColumns.join(', ')})
ON ${keyColumns.map((column) => `target.${column} = source.${column}`).join(' AND ')}
WHEN MATCHED THEN UPDATE SET ${updated.map((column) => `${column} = ${typedMarker(column)}`).join(', ')}
WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map(typedMarker).join(', ')})`;
  }

  selectArtifactPage(table: string, columns: readonly string[]): string {
    // The expanded keyset predicate over the primary key (portable; DB2 reads it as index ranges).
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE (model > :model OR (model = :model AND artifact_key > :key)) ORDER BY model, artifact_key FETCH FIRST :limit ROWS ONLY`;
  }

  purgeExpiredArtifacts(table: string): string {
    // Deleting from a fullselect with FETCH FIRST, as purgeBatch does; the expiry index excludes NULL keys.
    return `DELETE FROM (
  SELECT model, artifact_key FROM ${table} WHERE expires_at <= :expiredBefore FETCH FIRST :limit ROWS ONLY
)
SKIP LOCKED DATA`;
  }

  leaseStatements(table: string): LeaseStatements {
    return standardLeaseStatements(table, this.insertIfAbsent(table, ['lease_name', 'holder', 'expires_at'], ['lease_name']));
  }

  readonly migrationLock: Db2MigrationLockStatements = DB2_MIGRATION_LOCK;

  createSchemaVersionTable(table: string): string {
    // No CREATE TABLE IF NOT EXISTS: a compound statement that ignores SQLSTATE 42710 (exists).
    const types = this.columnTypes;
    return `BEGIN
  DECLARE CONTINUE HANDLER FOR SQLSTATE '42710' BEGIN END;
  EXECUTE IMMEDIATE 'CREATE TABLE ${table} (
    version ${types.integer} NOT NULL,
    name ${types.identifier} NOT NULL,
    checksum ${types.lookupKey} NOT NULL,
    applied_at ${types.epochMillis} NOT NULL,
    CONSTRAINT ${table}_pk PRIMARY KEY (version)
  )';
END`;
  }

  /** `undefined`: DB2's EXPLAIN needs the explain tables (SYSPROC.SYSINSTALLOBJECTS) and a second query. */
  readonly explain = undefined;

  classifyError(error: unknown): ClassifiedDriverError {
    return classifyDb2Error(error);
  }
}

/** `CAST(:column AS <type>)`, with the column's type from {@link COLUMN_TYPES}. */
function typedMarker(column: string): string {
  const type = COLUMN_TYPES[column];
  if (type === undefined) throw new TypeError(`db2 dialect: no type known for column ${column}`);
  return `CAST(:${column} AS ${type})`;
}

/**
 * At most `:limit` purgeable rows (their `columns`): keys found through the expiry index in expiry
 * order and through the (state, state_changed_at) index, each filtered by the other window (see
 * {@link PURGE_EXPIRY_BRANCH_FILTER}) and stopped after `:limit` rows,
 * then read by primary key with the criteria checked again.
 */
function purgeableRows(table: string, columns: readonly string[]): string {
  return `  SELECT ${columns.join(', ')} FROM ${table}
  WHERE token_key IN (
    SELECT token_key FROM (SELECT token_key FROM ${table} WHERE expires_at <= :expiredBefore AND ${PURGE_EXPIRY_BRANCH_FILTER} ORDER BY expires_at FETCH FIRST :limit ROWS ONLY) AS expired
    UNION ALL
    SELECT token_key FROM (SELECT token_key FROM ${table} WHERE state IN (${RETIRED_STATES}) AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER} FETCH FIRST :limit ROWS ONLY) AS retired
  )
  AND ${PURGEABLE_ROW}
  FETCH FIRST :limit ROWS ONLY`;
}

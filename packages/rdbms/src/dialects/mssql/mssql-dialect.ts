import { columnMarkers } from '../../statements/sql-statement.js';
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
import { classifyMssqlError } from './mssql-errors.js';

/** The `sp_getapplock` resource of the migration runner; app locks are scoped to the current database. */
const MIGRATION_LOCK = "N'tokenstore_migrations'";

/**
 * SQL Server 2016+ and Azure SQL (driver `mssql` over tedious). Atomicity idioms: a filtered unique
 * index for one ACTIVE exclusive token per reuse key (a plain unique index would treat its NULLs as
 * equal), `MERGE … WITH (HOLDLOCK)` and `INSERT … WHERE NOT EXISTS (… WITH (UPDLOCK, HOLDLOCK))` for
 * inserts that must not race, `READPAST` purge batches, `DELETE … OUTPUT … INTO` for
 * archive-and-delete in one statement, `sp_getapplock` for migrations, transactional DDL.
 *
 * Keys are `varchar … COLLATE Latin1_General_BIN2` (byte-wise comparison); the driver binds ASCII
 * strings as `varchar` so key lookups compare like types and seek (see `MssqlDriver`).
 */
export class MssqlDialect implements SqlDialect {
  readonly name = 'mssql';
  readonly driverPackage = 'mssql';
  readonly capabilities: DialectCapabilities = {
    supportsReturning: false,
    supportsOutput: true,
    supportsTransactionalDdl: true,
    supportsSkipLocked: true,
    supportsPartialIndexes: true,
  };
  readonly columnTypes: DialectColumnTypes = {
    lookupKey: 'varchar(512) COLLATE Latin1_General_BIN2',
    identifier: 'nvarchar(255) COLLATE Latin1_General_BIN2',
    text: 'nvarchar(max)',
    epochMillis: 'bigint',
    integer: 'int',
    boolean: 'bit',
  };

  placeholder(index: number): string {
    return `@p${index}`;
  }

  booleanParameter(value: boolean): unknown {
    // Bound as `bit`, the column's type.
    return value;
  }

  insertIfAbsent(table: string, columns: readonly string[], conflictColumns: readonly string[]): string {
    // HOLDLOCK makes the MERGE serializable on the conflict key: without it two sessions can both
    // see "not matched" and the second fails with a duplicate key instead of inserting nothing.
    const source = columns.map((column) => `:${column} AS ${column}`).join(', ');
    const match = conflictColumns.map((column) => `target.${column} = source.${column}`).join(' AND ');
    return `MERGE INTO ${table} WITH (HOLDLOCK) AS target
USING (SELECT ${source}) AS source
ON ${match}
WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((column) => `source.${column}`).join(', ')});`;
  }

  insertExclusiveAccessToken(table: string, columns: readonly string[]): string {
    // UPDLOCK + HOLDLOCK take a key-range update lock on the filtered index, so concurrent inserts
    // for one reuse key queue up and the later ones insert nothing (row count 0). Not MERGE: MERGE
    // has had wrong-result bugs with filtered indexes. A duplicate token key still raises 2627.
    return `INSERT INTO ${table} (${columns.join(', ')})
SELECT ${columnMarkers(columns)}
WHERE NOT EXISTS (
  SELECT 1 FROM ${table} WITH (UPDLOCK, HOLDLOCK) WHERE reuse_key = :reuse_key AND state = 'ACTIVE' AND is_exclusive = 1
)`;
  }

  findActiveAccessToken(table: string, columns: readonly string[]): string {
    // Literal predicate matching the filtered index's filter, so the optimiser can use it.
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE reuse_key = :reuseKey AND state = 'ACTIVE' AND is_exclusive = 1`;
  }

  selectPage(table: string, columns: readonly string[]): string {
    return `SELECT TOP (:limit) ${columns.join(', ')} FROM ${table} WHERE row_id > :after ORDER BY row_id`;
  }

  purgeBatch(target: PurgeTarget): string {
    return `DELETE TOP (:limit) FROM ${target.table} WITH (ROWLOCK, READPAST)
WHERE ${purgeableRows(target.table)}`;
  }

  purgeAndArchiveBatch(target: PurgeTarget): string {
    // OUTPUT … INTO requires the audit table to have no triggers, foreign keys or CHECK constraints.
    const deleted = target.columns.map((column) => `deleted.${column}`).join(', ');
    return `DELETE TOP (:limit) FROM ${target.table} WITH (ROWLOCK, READPAST)
OUTPUT ${deleted}, CAST(:now AS bigint) INTO ${target.auditTable} (${target.columns.join(', ')}, archived_at)
WHERE ${purgeableRows(target.table)}`;
  }

  selectPurgeableKeys(target: PurgeTarget): string {
    // UPDLOCK holds the selected rows until the transaction ends; READPAST passes over locked ones.
    const hints = 'WITH (UPDLOCK, ROWLOCK, READPAST)';
    return `SELECT TOP (:limit) token_key FROM (
${candidateKeys(target.table, hints, 'token_key')}
) AS candidates`;
  }

  upsert(table: string, columns: readonly string[], keyColumns: readonly string[]): string {
    // HOLDLOCK serialises the MERGE on the key, so concurrent upserts of a new key queue instead of
    // failing with a duplicate. Only the key is bound in the source; the other values go straight
    // into UPDATE SET and INSERT VALUES, typed by their target columns.
    const updated = columns.filter((column) => !keyColumns.includes(column));
    return `MERGE INTO ${table} WITH (HOLDLOCK) AS target
USING (SELECT ${keyColumns.map((column) => `:${column} AS ${column}`).join(', ')}) AS source
ON ${keyColumns.map((column) => `target.${column} = source.${column}`).join(' AND ')}
WHEN MATCHED THEN UPDATE SET ${updated.map((column) => `${column} = :${column}`).join(', ')}
WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columnMarkers(columns)});`;
  }

  selectArtifactPage(table: string, columns: readonly string[]): string {
    // No row-value comparison in T-SQL: the expanded keyset predicate, two seeks of the primary key.
    return `SELECT TOP (:limit) ${columns.join(', ')} FROM ${table} WHERE (model > :model OR (model = :model AND artifact_key > :key)) ORDER BY model, artifact_key`;
  }

  purgeExpiredArtifacts(table: string): string {
    // The literal IS NOT NULL matches the filtered expiry index's filter, so the optimiser can use it.
    return `DELETE TOP (:limit) FROM ${table} WITH (ROWLOCK, READPAST)
WHERE expires_at <= :expiredBefore AND expires_at IS NOT NULL`;
  }

  leaseStatements(table: string): LeaseStatements {
    return standardLeaseStatements(table, this.insertIfAbsent(table, ['lease_name', 'holder', 'expires_at'], ['lease_name']));
  }

  readonly migrationLock: MigrationLockStatements = {
    // A session-owned app lock outlives the runner's transactions; timeout 0 = try once.
    tryAcquire: `DECLARE @result int;
EXEC @result = sp_getapplock @Resource = ${MIGRATION_LOCK}, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 0;
SELECT CASE WHEN @result >= 0 THEN 1 ELSE 0 END AS acquired;`,
    // sp_releaseapplock raises an error when the lock is not held, so check first.
    release: `IF APPLOCK_MODE('public', ${MIGRATION_LOCK}, 'Session') <> 'NoLock'
  EXEC sp_releaseapplock @Resource = ${MIGRATION_LOCK}, @LockOwner = 'Session';`,
  };

  createSchemaVersionTable(table: string): string {
    // SQL Server has no CREATE TABLE IF NOT EXISTS.
    const types = this.columnTypes;
    return `IF OBJECT_ID(N'${table}', N'U') IS NULL
CREATE TABLE ${table} (
  version ${types.integer} NOT NULL,
  name ${types.identifier} NOT NULL,
  checksum ${types.lookupKey} NOT NULL,
  applied_at ${types.epochMillis} NOT NULL,
  CONSTRAINT ${table}_pk PRIMARY KEY (version)
)`;
  }

  /**
   * `undefined`: SQL Server shows an estimated plan only after `SET SHOWPLAN_XML ON`, which must be
   * the only statement of its batch and turns execution off for the whole session, and
   * `SET STATISTICS XML` runs the statement. Neither fits one statement with the same parameters.
   */
  readonly explain = undefined;

  classifyError(error: unknown): ClassifiedDriverError {
    return classifyMssqlError(error);
  }
}

/**
 * Rows purge may delete: each criterion through its own index (expiry; the filtered index of
 * retired rows), filtered by the other window (see {@link PURGE_EXPIRY_BRANCH_FILTER}), oldest first, at most `:limit` each, skipping rows another transaction holds,
 * then deleted by clustered primary key (row_id, since 007_cluster_on_row_id.sql: the candidates come
 * from the nonclustered indexes, whose entries carry it). The criteria are checked again on the rows deleted, so a row that
 * changed since it was picked is left alone.
 */
function purgeableRows(table: string): string {
  return `row_id IN (
${candidateKeys(table, 'WITH (ROWLOCK, READPAST)', 'row_id')}
)
AND ${PURGEABLE_ROW}`;
}

/** The two index range scans, each stopped after `:limit` rows (a TOP … ORDER BY needs its own derived table). */
function candidateKeys(table: string, hints: string, column: 'row_id' | 'token_key'): string {
  return `  SELECT ${column} FROM (
    SELECT TOP (:limit) ${column} FROM ${table} ${hints} WHERE expires_at <= :expiredBefore AND ${PURGE_EXPIRY_BRANCH_FILTER} ORDER BY expires_at
  ) AS expired
  UNION
  SELECT ${column} FROM (
    SELECT TOP (:limit) ${column} FROM ${table} ${hints} WHERE state <> 'ACTIVE' AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER} ORDER BY state_changed_at
  ) AS retired`;
}

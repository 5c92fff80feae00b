import { columnMarkers } from '../../statements/sql-statement.js';
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
  PURGEABLE_ROW,
  standardLeaseStatements,
} from '../standard-sql.js';
import { classifyOracleError } from './oracle-errors.js';

const RETIRED_STATES = "'INACTIVE', 'REVOKED', 'EXPIRED'";

/**
 * The migration runner's `DBMS_LOCK` user lock id: a hash of the schema name, so two schemas of one
 * instance migrate independently (user lock ids are instance-wide; 0…1073741823 are free for
 * applications). Needs `GRANT EXECUTE ON SYS.DBMS_LOCK` to the schema owner.
 */
const MIGRATION_LOCK_ID = "ORA_HASH('tokenstore_migrations.' || SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA'), 1073741823)";

/** Rows of one explained statement in PLAN_TABLE (a session-private temporary table since 10g). */
const STATEMENT_ID = 'tokenstore';

/**
 * Oracle's plan takes two statements on one connection: `EXPLAIN PLAN … FOR <sql>` writes the plan
 * to PLAN_TABLE and returns no rows; {@link planQuery} then reads it back.
 */
export interface OracleExplainSupport extends ExplainSupport {
  /**
   * Run after {@link ExplainSupport.statement} on the same connection, without parameters: the
   * plan lines of the latest explained statement (`operation`, `options`, `object_name`), the rows
   * {@link ExplainSupport.findFullScans} reads.
   */
  readonly planQuery: string;
}

export const ORACLE_EXPLAIN: OracleExplainSupport = {
  statement: (sql) => `EXPLAIN PLAN SET STATEMENT_ID = '${STATEMENT_ID}' FOR ${sql}`,
  planQuery: `SELECT id, operation, options, object_name FROM plan_table
WHERE plan_id = (SELECT MAX(plan_id) FROM plan_table WHERE statement_id = '${STATEMENT_ID}')
ORDER BY id`,
  findFullScans(planRows, tables) {
    // EXPLAIN PLAN itself returns no rows: an empty plan means planQuery was not run, and must not pass as "no scan".
    if (planRows.length === 0 || !planRows.every((row) => 'operation' in row))
      throw new TypeError('Oracle plans are read with explain.planQuery after explain.statement (PLAN_TABLE rows expected)');
    return planRows
      .filter(
        (row) =>
          row.operation === 'TABLE ACCESS' &&
          (row.options === 'FULL' || row.options === 'STORAGE FULL') &&
          tables.includes(String(row.object_name).toLowerCase()),
      )
      .map((row) => `TABLE ACCESS ${String(row.options)} on ${String(row.object_name).toLowerCase()}`);
  },
};

/**
 * Oracle Database 19c+ (driver `oracledb`, Thin mode). Oracle has no partial indexes: one ACTIVE
 * exclusive token per reuse key is a unique index over the virtual column `active_reuse_key`
 * (`CASE WHEN state = 'ACTIVE' AND is_exclusive = 1 THEN reuse_key END`), which works because
 * Oracle does not index a row whose key is entirely NULL. Insert-if-absent is an `INSERT` with the
 * `IGNORE_ROW_ON_DUPKEY_INDEX` hint. DDL commits implicitly, so the schema file is not transactional.
 *
 * Oracle stores the empty string as NULL: columns that may hold '' (scopes) are nullable.
 */
export class OracleDialect implements SqlDialect {
  readonly name = 'oracle';
  readonly driverPackage = 'oracledb';
  readonly capabilities: DialectCapabilities = {
    // RETURNING … INTO exists only into PL/SQL variables, one row per bind; not usable for a batch.
    supportsReturning: false,
    supportsOutput: false,
    supportsTransactionalDdl: false,
    // The purge DELETE waits for rows other transactions hold (a DELETE cannot SKIP LOCKED);
    // selectPurgeableKeys does skip them. Hot-path transactions hold rows for milliseconds.
    supportsSkipLocked: false,
    supportsPartialIndexes: false,
  };
  readonly columnTypes: DialectColumnTypes = {
    lookupKey: 'VARCHAR2(512 BYTE)',
    identifier: 'VARCHAR2(255 CHAR)',
    // Sealed 8 KiB tokens exceed VARCHAR2's 4000 bytes; VARCHAR2(32767) needs MAX_STRING_SIZE=EXTENDED,
    // an irreversible instance change most DBAs will not make for one application.
    text: 'CLOB',
    epochMillis: 'NUMBER(19)',
    integer: 'NUMBER(10)',
    boolean: 'NUMBER(1)',
  };

  placeholder(index: number): string {
    return `:${index}`;
  }

  booleanParameter(value: boolean): unknown {
    return value ? 1 : 0;
  }

  insertIfAbsent(table: string, columns: readonly string[], conflictColumns: readonly string[]): string {
    // Not MERGE: two sessions can both find no match and the second then fails with ORA-00001.
    // The hint makes the insert itself skip a row whose key exists (row count 0), race-free.
    return `INSERT /*+ IGNORE_ROW_ON_DUPKEY_INDEX(${table} (${conflictColumns.join(', ')})) */ INTO ${table} (${columns.join(', ')}) VALUES (${columnMarkers(columns)})`;
  }

  insertExclusiveAccessToken(table: string, columns: readonly string[]): string {
    // A taken slot raises ORA-00001 naming tokenstore_access_token_active_reuse; the store resolves it.
    return insertInto(table, columns);
  }

  findActiveAccessToken(table: string, columns: readonly string[]): string {
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE active_reuse_key = :reuseKey`;
  }

  selectPage(table: string, columns: readonly string[]): string {
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE row_id > :after ORDER BY row_id FETCH FIRST :limit ROWS ONLY`;
  }

  purgeBatch(target: PurgeTarget): string {
    // Keys first, then DELETE by primary key. FOR UPDATE SKIP LOCKED cannot be used here: Oracle
    // allows FOR UPDATE only on a top-level query, and not together with FETCH FIRST (ORA-02014).
    // The criteria are checked again on the rows deleted, so a row changed since it was picked stays.
    return `DELETE FROM ${target.table} WHERE token_key IN (
${candidateKeys(target.table)}
)
AND ${PURGEABLE_ROW}`;
  }

  purgeAndArchiveBatch(): undefined {
    return undefined;
  }

  selectPurgeableKeys(target: PurgeTarget): string {
    // FOR UPDATE on the outer query over the table itself is allowed (the row limit sits in the
    // subquery); SKIP LOCKED passes over rows other transactions hold, locking the rest until commit.
    return `SELECT token_key FROM ${target.table} WHERE token_key IN (
${candidateKeys(target.table)}
)
FOR UPDATE SKIP LOCKED`;
  }

  upsert(table: string, columns: readonly string[], keyColumns: readonly string[]): string {
    // Only the key is bound in the source (a CLOB cannot be bound in a select list); two MERGEs of a
    // new key can both find no match, and the second's ORA-00001 makes the store send it again.
    const updated = columns.filter((column) => !keyColumns.includes(column));
    return `MERGE INTO ${table} target
USING (SELECT ${keyColumns.map((column) => `:${column} AS ${column}`).join(', ')} FROM dual) source
ON (${keyColumns.map((column) => `target.${column} = source.${column}`).join(' AND ')})
WHEN MATCHED THEN UPDATE SET ${updated.map((column) => `target.${column} = :${column}`).join(', ')}
WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columnMarkers(columns)})`;
  }

  selectArtifactPage(table: string, columns: readonly string[]): string {
    // Oracle compares no row values with '>': the expanded keyset predicate over the primary key.
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE (model > :model OR (model = :model AND artifact_key > :key)) ORDER BY model, artifact_key FETCH FIRST :limit ROWS ONLY`;
  }

  purgeExpiredArtifacts(table: string): string {
    // ROWNUM stops the range scan of the expiry index after :limit rows (a DELETE cannot SKIP LOCKED).
    return `DELETE FROM ${table} WHERE expires_at <= :expiredBefore AND ROWNUM <= :limit`;
  }

  leaseStatements(table: string): LeaseStatements {
    return standardLeaseStatements(table, this.insertIfAbsent(table, ['lease_name', 'holder', 'expires_at'], ['lease_name']));
  }

  readonly migrationLock: MigrationLockStatements = {
    // DBMS_LOCK.REQUEST(id, X_MODE = 6, timeout 0); release_on_commit defaults to FALSE, so the lock
    // is the session's. Returns 0 granted, 4 already held by this session, 1 timeout.
    tryAcquire: `SELECT CASE DBMS_LOCK.REQUEST(${MIGRATION_LOCK_ID}, 6, 0) WHEN 0 THEN 1 WHEN 4 THEN 1 ELSE 0 END AS acquired FROM dual`,
    release: `SELECT DBMS_LOCK.RELEASE(${MIGRATION_LOCK_ID}) AS released FROM dual`,
  };

  createSchemaVersionTable(table: string): string {
    // No CREATE TABLE IF NOT EXISTS before 23ai: ignore ORA-00955 "name is already used".
    const types = this.columnTypes;
    return `BEGIN
  EXECUTE IMMEDIATE 'CREATE TABLE ${table} (
    version ${types.integer} NOT NULL,
    name ${types.identifier} NOT NULL,
    checksum ${types.lookupKey} NOT NULL,
    applied_at ${types.epochMillis} NOT NULL,
    CONSTRAINT ${table}_pk PRIMARY KEY (version)
  )';
EXCEPTION
  WHEN OTHERS THEN
    IF SQLCODE <> -955 THEN
      RAISE;
    END IF;
END;`;
  }

  readonly explain: OracleExplainSupport = ORACLE_EXPLAIN;

  classifyError(error: unknown): ClassifiedDriverError {
    return classifyOracleError(error);
  }
}

/**
 * At most `:limit` keys: expired rows in expiry order through the expiry index, and rows retired
 * before the retention cut-off through the (state, state_changed_at) index, each filtered by the
 * other window (see {@link PURGE_EXPIRY_BRANCH_FILTER}) and stopped after `:limit` rows.
 */
function candidateKeys(table: string): string {
  return `  SELECT token_key FROM (
    (SELECT token_key FROM ${table} WHERE expires_at <= :expiredBefore AND ${PURGE_EXPIRY_BRANCH_FILTER} ORDER BY expires_at FETCH FIRST :limit ROWS ONLY)
    UNION
    (SELECT token_key FROM ${table} WHERE state IN (${RETIRED_STATES}) AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER} FETCH FIRST :limit ROWS ONLY)
  )
  FETCH FIRST :limit ROWS ONLY`;
}

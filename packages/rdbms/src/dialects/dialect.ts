/**
 * Everything that differs between SQL databases. The store ({@link SqlStore}) is written once
 * against it and never asks which database it talks to: it reads capability flags and asks the
 * dialect for statement text. A dialect is made of focused parts, and each consumer depends on the
 * part it uses: {@link SqlCompiler} (placeholders and bind values), {@link DialectStatements} (the
 * statements whose syntax differs), {@link DialectSchema} (column types, the runner's own DDL),
 * {@link DialectLocking} (purge lease, migration lock), {@link DriverErrorClassifier} (what a driver
 * error means), plus {@link DialectCapabilities} and {@link ExplainSupport}.
 *
 * Adding a database: see "Adding a dialect" in the package README (a folder `src/dialects/<db>/`
 * with the same six files as every other dialect, one line in `src/dialects/registry.ts`, and
 * `sql/<db>/NNN_*.sql` creating the names in `src/schema/tables.ts`).
 *
 * ### Statement text
 * Methods return SQL text with **named markers** (`:key`, `:limit`, …), which the store compiles once
 * into the dialect's own placeholders through {@link SqlCompiler.placeholder} (a marker may appear
 * more than once; `::` casts and quoted text are left alone). Each method documents its markers.
 * Identifiers are lower-case and unquoted; `src/schema/tables.ts` avoids every reserved word of the
 * five databases (`token_key`, not `key`; `is_exclusive`, not `exclusive`).
 */
export interface SqlDialect extends SqlCompiler, DialectStatements, DialectSchema, DialectLocking, DriverErrorClassifier {
  /** Backend name in errors and events: `postgres`, `mysql`, `mssql`, `oracle`, `db2`. */
  readonly name: string;
  /** The npm package of the driver, named in `DriverUnavailableError` when it cannot be loaded. */
  readonly driverPackage: string;
  readonly capabilities: DialectCapabilities;
  /** How to show a statement's plan, for the test that fails on a table scan; `undefined` if unsupported. */
  readonly explain: ExplainSupport | undefined;
}

/**
 * How statement text with named markers and values become what the driver runs (kysely's query
 * compiler): `StatementTemplate` and `RowCodec` need nothing else of a dialect.
 */
export interface SqlCompiler {
  /** The `index`-th bind placeholder (1-based): `$1` (PostgreSQL), `?` (MySQL, DB2), `@p1` (SQL Server), `:1` (Oracle). */
  placeholder(index: number): string;

  /** A boolean as a bind value: `true` where the column is BOOLEAN, `1`/`0` where it is a number. */
  booleanParameter(value: boolean): unknown;
}

/**
 * The statements whose syntax differs between databases (upsert, row limits, locking hints, the
 * one-active-token index). Everything portable is written once in the statement catalog.
 */
export interface DialectStatements {
  /**
   * Insert-if-absent: inserts the row unless one with the same `conflictColumns` (the primary key)
   * exists, **without raising an error**; the row count says which happened (1 inserted, 0 present).
   * Markers: one per column, named after the column (`:lease_name`, …).
   * PostgreSQL `ON CONFLICT (…) DO NOTHING`; MySQL `INSERT IGNORE`; SQL Server/Oracle/DB2 `MERGE`.
   */
  insertIfAbsent(table: string, columns: readonly string[], conflictColumns: readonly string[]): string;

  /**
   * Inserts an exclusive access token unless an ACTIVE exclusive token holds its reuse key. The
   * statement may do either of two things when the slot is taken, and the store handles both:
   * insert nothing (row count 0), or raise a unique violation on {@link ACTIVE_REUSE_INDEX}.
   * A duplicate primary key must still raise a unique violation. Markers: one per column.
   */
  insertExclusiveAccessToken(table: string, columns: readonly string[]): string;

  /**
   * Selects `columns` of the ACTIVE exclusive access token holding a reuse key, through the
   * one-active-token index (partial index / generated column). Marker: `:reuseKey`.
   */
  findActiveAccessToken(table: string, columns: readonly string[]): string;

  /**
   * One page of a table in `row_id` order (keyset pagination): rows with `row_id > :after`, at most
   * `:limit` of them. This is where the dialect's row-limit syntax (`LIMIT`, `FETCH FIRST … ROWS
   * ONLY`, `TOP`) lives.
   */
  selectPage(table: string, columns: readonly string[]): string;

  /**
   * One purge batch as **one statement** (its own short transaction): deletes by primary key at
   * most `:limit` purgeable rows — ACTIVE ones expired at or before `:expiredBefore`; non-ACTIVE
   * ones whose state changed at or before `:inactiveBefore` and that expired at or before
   * `:expiredBefore` or never expire (see `PURGEABLE_ROW` in standard-sql.ts) — found through the
   * expiry and retired-state indexes (never a table scan), skipping rows other transactions hold where the database can. Its row
   * count is the number of rows deleted.
   */
  purgeBatch(target: PurgeTarget): string;

  /**
   * Archive variant of {@link purgeBatch} in one statement, for dialects with `supportsReturning`
   * or `supportsOutput`: copies the rows it deletes into `target.auditTable` (their `columns`
   * plus `archived_at = :now`). Row count = rows deleted. Other dialects return `undefined` and the
   * store runs {@link selectPurgeableKeys}, copy and delete-by-keys in one transaction instead.
   */
  purgeAndArchiveBatch(target: PurgeTarget): string | undefined;

  /**
   * The keys of at most `:limit` purgeable rows (same criteria and markers as {@link purgeBatch}),
   * locking them until the transaction ends (`FOR UPDATE`, with `SKIP LOCKED` where supported).
   * Returns one column, `token_key`.
   */
  selectPurgeableKeys(target: PurgeTarget): string;

  /**
   * Upsert in one statement: inserts the row, or replaces every column but `keyColumns` of the row
   * with the same key (provider artifacts). Markers: one per column, named after it. Where the
   * database can report a unique violation when two upserts of a new key race (a MERGE), the store
   * sends the statement again, and it then matches the row.
   * PostgreSQL `ON CONFLICT … DO UPDATE`; MySQL `ON DUPLICATE KEY UPDATE`; SQL Server, Oracle, DB2 `MERGE`.
   */
  upsert(table: string, columns: readonly string[], keyColumns: readonly string[]): string;

  /**
   * One purge batch of provider artifacts as one statement: deletes at most `:limit` rows whose
   * `expires_at <= :expiredBefore` (never a row without expiry), found through the
   * `<table>_expires_at` index, skipping rows other transactions hold where the database can. Row
   * count = rows deleted.
   */
  purgeExpiredArtifacts(table: string): string;

  /**
   * One page of provider artifacts in `(model, artifact_key)` order (keyset pagination over the primary
   * key; the rewrap job's scan): rows after `(:model, :key)`, at most `:limit`. The first page passes
   * model `0`, which sorts before every model name (they start with a letter), and key `0` (never an
   * empty string: Oracle reads '' as NULL).
   */
  selectArtifactPage(table: string, columns: readonly string[]): string;
}

/** What the migration runner needs to write DDL of its own. */
export interface DialectSchema {
  readonly columnTypes: DialectColumnTypes;

  /**
   * `CREATE TABLE` for {@link SCHEMA_VERSION_TABLE}, safe to run when it exists. Columns:
   * `version` (integer, primary key), `name`, `checksum` (64 hex chars), `applied_at` (epoch ms).
   */
  createSchemaVersionTable(table: string): string;
}

/** The two locks the store and the migration runner take in the database. */
export interface DialectLocking {
  /**
   * The purge lease, one row per lease name in {@link LEASE_TABLE} (`lease_name`, `holder`,
   * `expires_at`). See {@link LeaseStatements}.
   */
  leaseStatements(table: string): LeaseStatements;

  /** The lock that keeps two migration runners from applying files at once. */
  readonly migrationLock: MigrationLockStatements;
}

export interface DriverErrorClassifier {
  /**
   * What a driver error means, read from its error code only (never its message text, except to
   * extract an index name). The store maps: `unique-violation` → `ConflictError` (or a taken reuse
   * slot), `retryable` (deadlock, serialization failure, lock wait timeout) → bounded retry of the
   * whole operation, `connection` → `BackendUnavailableError`, `other` → `BACKEND_ERROR`.
   */
  classifyError(error: unknown): ClassifiedDriverError;
}

/** What the store may rely on; it branches on these, never on the dialect's name. */
export interface DialectCapabilities {
  /** `DELETE … RETURNING` (PostgreSQL; DB2 through `SELECT … FROM OLD TABLE`): archive-and-delete in one statement. */
  readonly supportsReturning: boolean;
  /** `DELETE … OUTPUT deleted.*` (SQL Server): archive-and-delete in one statement. */
  readonly supportsOutput: boolean;
  /** DDL runs inside a transaction and rolls back with it (PostgreSQL, SQL Server, DB2); MySQL and Oracle commit implicitly. */
  readonly supportsTransactionalDdl: boolean;
  /** `FOR UPDATE SKIP LOCKED` / `READPAST`: a purge batch passes over rows another transaction holds. */
  readonly supportsSkipLocked: boolean;
  /** `CREATE UNIQUE INDEX … WHERE` (PostgreSQL, SQL Server filtered indexes); others use a generated column. */
  readonly supportsPartialIndexes: boolean;
}

/** Column types the schema files use, per role; the runner builds its own table from them. */
export interface DialectColumnTypes {
  /** Lookup keys: ASCII, byte-wise comparison, up to 512 characters. */
  readonly lookupKey: string;
  /** Consumer keys, user ids, grant ids, grant types: up to 255 characters, exact (binary) comparison. */
  readonly identifier: string;
  /** Long text: sealed values (8 KiB tokens), scope lists, JSON lists. */
  readonly text: string;
  /** Epoch milliseconds. */
  readonly epochMillis: string;
  readonly integer: string;
  readonly boolean: string;
}

/** A token table and its archive, for purge statements. */
export interface PurgeTarget {
  readonly table: string;
  readonly auditTable: string;
  /** Columns copied to the audit table (the audit table also has `archived_at`). */
  readonly columns: readonly string[];
}

/**
 * The lease is taken in two steps that every database can express: `takeOver` (an UPDATE that
 * succeeds when this holder already has it or it expired), and when that touches no row,
 * `insertIfAbsent` (the first lease ever). Row counts tell whether the holder has it; no step
 * reads then writes, so two nodes never both win.
 */
export interface LeaseStatements {
  /** Markers `:holder`, `:expiresAt`, `:leaseName`, `:now`; row count 1 when taken or renewed. Must match a row even when its values do not change. */
  readonly takeOver: string;
  /** Markers `:lease_name`, `:holder`, `:expires_at`; row count 1 when inserted. */
  readonly insertIfAbsent: string;
  /** Markers `:leaseName`, `:holder`. */
  readonly release: string;
}

/**
 * A session-level named lock taken on the migration runner's own connection (PostgreSQL advisory
 * lock, MySQL `GET_LOCK`, SQL Server `sp_getapplock`, Oracle `DBMS_LOCK`, DB2 a lock table).
 */
export interface MigrationLockStatements {
  /**
   * Run once per migration run, before the first {@link tryAcquire}, on the runner's connection:
   * creates what the lock needs where the database has no named session locks (DB2's lock row).
   * Must be idempotent and safe to run from several runners at once. Absent when nothing is needed.
   */
  readonly prepare?: string;
  /** Tries once, without waiting; returns one row whose `acquired` column is truthy when taken. */
  readonly tryAcquire: string;
  readonly release: string;
}

export interface ExplainSupport {
  /** The statement that shows the plan of `sql` (same placeholders and parameters). */
  statement(sql: string): string;
  /**
   * Where {@link statement} writes the plan instead of returning it (Oracle's `EXPLAIN PLAN`): run
   * after it on the same connection, without parameters; its rows are the plan {@link findFullScans}
   * reads. Absent when {@link statement} returns the plan itself.
   */
  readonly planQuery?: string;
  /** Descriptions of every full scan of one of `tables` in a plan (its result rows); empty when none. */
  findFullScans(planRows: ReadonlyArray<Record<string, unknown>>, tables: readonly string[]): string[];
}

/**
 * `missing-schema`: a table or column of the schema does not exist (the schema was never applied, or
 * is older than the code): not a fault of the request, and no retry helps.
 */
export type DriverErrorKind = 'unique-violation' | 'retryable' | 'connection' | 'missing-schema' | 'other';

export interface ClassifiedDriverError {
  readonly kind: DriverErrorKind;
  /** The driver's error code or SQLSTATE (`23505`, `ER_DUP_ENTRY`, `ECONNRESET`), safe to show. */
  readonly code: string | undefined;
  /** For unique violations: the violated constraint or index name. */
  readonly constraint?: string | undefined;
}

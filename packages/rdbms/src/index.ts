export {
  type CreateSqlStoreFromDb2Pool,
  type CreateSqlStoreFromMssqlPool,
  type CreateSqlStoreFromMysqlPool,
  type CreateSqlStoreFromOraclePool,
  type CreateSqlStoreFromPostgresPool,
  type CreateSqlStoreFromUrl,
  type CreateSqlStoreOptions,
  createSqlStore,
} from './create-sql-store.js';
export * from './dialects/db2/index.js';
export type {
  ClassifiedDriverError,
  DialectCapabilities,
  DialectColumnTypes,
  DialectLocking,
  DialectSchema,
  DialectStatements,
  DriverErrorClassifier,
  DriverErrorKind,
  ExplainSupport,
  LeaseStatements,
  MigrationLockStatements,
  PurgeTarget,
  SqlCompiler,
  SqlDialect,
} from './dialects/dialect.js';
export type { QueryResult, SqlConnection, SqlDriver } from './dialects/driver.js';
export * from './dialects/mssql/index.js';
export * from './dialects/mysql/index.js';
export * from './dialects/oracle/index.js';
export * from './dialects/postgres/index.js';
export { DriverErrorSummary } from './driver-errors.js';
export { loadDriver, type ModuleImporter } from './drivers/load-driver.js';
export { type MigrationFile, readMigrationFiles } from './migrations/migration-files.js';
export { type MigrationResult, MigrationRunner, type MigrationRunnerOptions } from './migrations/runner.js';
export type { ResolvedSqlStoreOptions, RetryOptions, SqlStoreOptions, SqlStoreSettings } from './options.js';
export {
  ACTIVE_REUSE_INDEX,
  ALL_TABLES,
  ARTIFACT_COLUMNS,
  ARTIFACT_TABLE,
  AUDIT_TABLES,
  CLIENT_TABLE,
  LEASE_TABLE,
  SCHEMA_VERSION_TABLE,
  TOKEN_TABLES,
} from './schema/tables.js';
export { SqlStore } from './sql-store.js';
export type { SqlStatement } from './statements/sql-statement.js';
export { DEFAULT_EXAMPLES, StatementCatalog, type StatementExamples } from './statements/statement-catalog.js';
export { type DatabaseKind, type DatabaseUrl, parseDatabaseUrl } from './url.js';

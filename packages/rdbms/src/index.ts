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
export { Db2Dialect } from './dialects/db2/db2-dialect.js';
export {
  type Db2ConnectionSource,
  type Db2Database,
  Db2Driver,
  type Db2Pool,
  type Db2Statement,
} from './dialects/db2/db2-driver.js';
export type { Db2MigrationLockStatements } from './dialects/db2/db2-migration-lock.js';
export type {
  ClassifiedDriverError,
  DialectCapabilities,
  DialectColumnTypes,
  DriverErrorKind,
  ExplainSupport,
  LeaseStatements,
  MigrationLockStatements,
  PurgeTarget,
  SqlDialect,
} from './dialects/dialect.js';
export type { QueryResult, SqlConnection, SqlDriver } from './dialects/driver.js';
export { MssqlDialect } from './dialects/mssql/mssql-dialect.js';
export {
  MssqlDriver,
  type MssqlDriverOptions,
  type MssqlParameterTypes,
  type MssqlPool,
  type MssqlPooledConnection,
  type MssqlRequest,
  type MssqlResult,
} from './dialects/mssql/mssql-driver.js';
export { MysqlDialect } from './dialects/mysql/mysql-dialect.js';
export { MysqlDriver, type MysqlPool, type MysqlPoolConnection } from './dialects/mysql/mysql-driver.js';
export { OracleDialect } from './dialects/oracle/oracle-dialect.js';
export {
  type OracleConnection,
  type OracleConstants,
  OracleDriver,
  type OracleDriverOptions,
  type OracleExecuteResult,
  type OraclePool,
} from './dialects/oracle/oracle-driver.js';
export type { OracleExplainSupport } from './dialects/oracle/oracle-explain.js';
export { PostgresDialect } from './dialects/postgres/postgres-dialect.js';
export {
  PostgresDriver,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from './dialects/postgres/postgres-driver.js';
export { DriverErrorSummary } from './driver-errors.js';
export { loadDriver, type ModuleImporter } from './drivers/load-driver.js';
export { type MigrationFile, readMigrationFiles } from './migrations/migration-files.js';
export { type MigrationResult, MigrationRunner, type MigrationRunnerOptions } from './migrations/runner.js';
export { splitStatements } from './migrations/split-statements.js';
export type { ResolvedSqlStoreOptions, RetryOptions, SqlStoreOptions, SqlStoreSettings } from './options.js';
export {
  ACTIVE_REUSE_INDEX,
  ALL_TABLES,
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

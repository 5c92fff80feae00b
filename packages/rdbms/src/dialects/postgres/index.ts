/** PostgreSQL 12+ over `pg`: the part of it the package exports (`src/index.ts`). */
export { PostgresDialect } from './postgres-dialect.js';
export { PostgresDriver, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from './postgres-driver.js';

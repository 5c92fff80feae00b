import type { DialectDefinition } from '../registry.js';
import { PostgresDialect } from './postgres-dialect.js';
import { createPostgresPool, PostgresDriver, type PostgresPool } from './postgres-driver.js';

/** PostgreSQL's entry in `src/dialects/registry.ts` (`postgres://`, `postgresql://`). */
export const postgresDialectDefinition: DialectDefinition = {
  kind: 'postgres',
  names: ['postgres', 'postgresql'],
  createDialect: () => new PostgresDialect(),
  createDriver: (pool, options) => new PostgresDriver(pool as PostgresPool, options),
  createPool: createPostgresPool,
};

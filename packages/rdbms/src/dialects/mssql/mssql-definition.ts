import type { DialectDefinition } from '../registry.js';
import { MssqlDialect } from './mssql-dialect.js';
import { createMssqlPool, MssqlDriver, type MssqlPool } from './mssql-driver.js';

/** SQL Server's entry in `src/dialects/registry.ts` (`mssql://`, `sqlserver://`). */
export const mssqlDialectDefinition: DialectDefinition = {
  kind: 'mssql',
  names: ['mssql', 'sqlserver'],
  createDialect: () => new MssqlDialect(),
  createDriver: (pool, options) => new MssqlDriver(pool as MssqlPool, options),
  createPool: createMssqlPool,
};

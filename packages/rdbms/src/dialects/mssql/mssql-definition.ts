import type { DialectDefinition } from '../registry.js';
import { MssqlDialect } from './mssql-dialect.js';
import { createMssqlPool, MssqlDriver, type MssqlPool } from './mssql-driver.js';

/** SQL Server's entry for `src/dialects/registry.ts` (`mssql://`, `sqlserver://`, dialect `mssql`). */
export const mssqlDialectDefinition: DialectDefinition = {
  createDialect: () => new MssqlDialect(),
  createDriver: (pool, options) => new MssqlDriver(pool as MssqlPool, options),
  createPool: createMssqlPool,
};

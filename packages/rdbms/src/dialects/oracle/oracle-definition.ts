import type { DialectDefinition } from '../registry.js';
import { OracleDialect } from './oracle-dialect.js';
import { createOraclePool, OracleDriver, type OraclePool } from './oracle-driver.js';

/** Oracle's entry for `src/dialects/registry.ts` (`oracle://`, dialect `oracle`). */
export const oracleDialectDefinition: DialectDefinition = {
  createDialect: () => new OracleDialect(),
  createDriver: (pool, options) => new OracleDriver(pool as OraclePool, options),
  createPool: createOraclePool,
};

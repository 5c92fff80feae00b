import type { DialectDefinition } from '../registry.js';
import { OracleDialect } from './oracle-dialect.js';
import { createOraclePool, OracleDriver, type OraclePool } from './oracle-driver.js';

/** Oracle's entry in `src/dialects/registry.ts` (`oracle://`). */
export const oracleDialectDefinition: DialectDefinition = {
  kind: 'oracle',
  names: ['oracle'],
  createDialect: () => new OracleDialect(),
  createDriver: (pool, options) => new OracleDriver(pool as OraclePool, options),
  createPool: createOraclePool,
};

import type { DialectDefinition } from '../registry.js';
import { Db2Dialect } from './db2-dialect.js';
import { createDb2Pool, type Db2ConnectionSource, Db2Driver } from './db2-driver.js';

/**
 * DB2's entry in `src/dialects/registry.ts` (`db2://`). An injected `pool` is a
 * {@link Db2ConnectionSource}: ibm_db pools connections per connection string, so both are needed.
 */
export const db2DialectDefinition: DialectDefinition = {
  kind: 'db2',
  names: ['db2'],
  createDialect: () => new Db2Dialect(),
  createDriver: (pool, options) => new Db2Driver(pool as Db2ConnectionSource, options),
  createPool: createDb2Pool,
};

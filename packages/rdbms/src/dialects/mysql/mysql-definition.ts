import type { DialectDefinition } from '../registry.js';
import { MysqlDialect } from './mysql-dialect.js';
import { createMysqlPool, MysqlDriver, type MysqlPool } from './mysql-driver.js';

/** MySQL and MariaDB's entry in `src/dialects/registry.ts` (`mysql://`, `mariadb://`). */
export const mysqlDialectDefinition: DialectDefinition = {
  kind: 'mysql',
  names: ['mysql', 'mariadb'],
  createDialect: () => new MysqlDialect(),
  createDriver: (pool, options) => new MysqlDriver(pool as MysqlPool, options),
  createPool: createMysqlPool,
};

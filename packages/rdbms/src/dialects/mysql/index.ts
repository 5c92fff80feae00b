/** MySQL 8.0+ and MariaDB 10.6+ over `mysql2`: the part of it the package exports (`src/index.ts`). */
export { MysqlDialect } from './mysql-dialect.js';
export { MysqlDriver, type MysqlPool, type MysqlPoolConnection } from './mysql-driver.js';

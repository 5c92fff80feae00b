/** SQL Server 2016+ and Azure SQL over `mssql`: the part of it the package exports (`src/index.ts`). */
export { MssqlDialect } from './mssql-dialect.js';
export {
  MssqlDriver,
  type MssqlDriverOptions,
  type MssqlParameterTypes,
  type MssqlPool,
  type MssqlPooledConnection,
  type MssqlRequest,
  type MssqlResult,
} from './mssql-driver.js';

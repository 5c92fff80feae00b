/** Oracle Database 19c+ over `oracledb` (Thin mode): the part of it the package exports (`src/index.ts`). */
export { OracleDialect, type OracleExplainSupport } from './oracle-dialect.js';
export {
  type OracleConnection,
  type OracleConstants,
  OracleDriver,
  type OracleDriverOptions,
  type OracleExecuteResult,
  type OraclePool,
} from './oracle-driver.js';

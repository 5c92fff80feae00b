/** Db2 for Linux, UNIX and Windows 11.1+ over `ibm_db`: the part of it the package exports (`src/index.ts`). */
export { Db2Dialect, type Db2MigrationLockStatements } from './db2-dialect.js';
export { type Db2ConnectionSource, type Db2Database, Db2Driver, type Db2Pool, type Db2Statement } from './db2-driver.js';

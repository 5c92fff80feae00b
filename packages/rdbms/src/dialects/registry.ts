import { MisconfigurationError } from '@tokenstore/core';
import type { DatabaseKind, DatabaseUrl } from '../url.js';
import { db2DialectDefinition } from './db2/db2-definition.js';
import type { SqlDialect } from './dialect.js';
import type { SqlDriver } from './driver.js';
import { mssqlDialectDefinition } from './mssql/mssql-definition.js';
import { MysqlDialect } from './mysql/mysql-dialect.js';
import { createMysqlPool, MysqlDriver } from './mysql/mysql-driver.js';
import { oracleDialectDefinition } from './oracle/oracle-definition.js';
import { PostgresDialect } from './postgres/postgres-dialect.js';
import { createPostgresPool, PostgresDriver } from './postgres/postgres-driver.js';

/** How to build a store for one database: its dialect, its driver around a pool, a pool from a URL. */
export interface DialectDefinition {
  createDialect(): SqlDialect;
  /** `ownsPool`: the store created the pool and ends it on close. */
  createDriver(pool: unknown, options: { ownsPool: boolean }): SqlDriver;
  /** Loads the driver package lazily and creates a pool. */
  createPool(url: DatabaseUrl): Promise<unknown>;
}

/**
 * The dialects this package ships, one per {@link DatabaseKind}. Each driver package is loaded only
 * when a store for its database is created from a URL, so none of them is a hard dependency.
 */
const DIALECTS: Partial<Record<DatabaseKind, DialectDefinition>> = {
  postgres: {
    createDialect: () => new PostgresDialect(),
    createDriver: (pool, options) => new PostgresDriver(pool as ConstructorParameters<typeof PostgresDriver>[0], options),
    createPool: createPostgresPool,
  },
  mysql: {
    createDialect: () => new MysqlDialect(),
    createDriver: (pool, options) => new MysqlDriver(pool as ConstructorParameters<typeof MysqlDriver>[0], options),
    createPool: createMysqlPool,
  },
  mssql: mssqlDialectDefinition,
  oracle: oracleDialectDefinition,
  db2: db2DialectDefinition,
};

/** Names accepted for `dialect` in `createSqlStore`; `mariadb` is the MySQL dialect, `sqlserver` the SQL Server one. */
const DIALECT_ALIASES: Readonly<Record<string, DatabaseKind>> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  mssql: 'mssql',
  sqlserver: 'mssql',
  oracle: 'oracle',
  db2: 'db2',
};

export function resolveDatabaseKind(name: unknown): DatabaseKind {
  const kind = typeof name === 'string' ? DIALECT_ALIASES[name] : undefined;
  if (kind === undefined)
    throw new MisconfigurationError(
      'dialect',
      `must be one of ${Object.keys(DIALECT_ALIASES).join(', ')} (or a SqlDialect via new SqlStore)`,
    );
  return kind;
}

export function dialectDefinition(kind: DatabaseKind, option: 'url' | 'dialect'): DialectDefinition {
  const definition = DIALECTS[kind];
  if (!definition)
    throw new MisconfigurationError(
      option,
      `the ${kind} dialect is not available in this version of @tokenstore/rdbms (available: ${Object.keys(DIALECTS).join(', ')})`,
    );
  return definition;
}

import { MisconfigurationError } from '@tokenstore/core';
import type { DatabaseKind, DatabaseUrl } from '../url.js';
import { db2DialectDefinition } from './db2/db2-definition.js';
import type { SqlDialect } from './dialect.js';
import type { SqlDriver } from './driver.js';
import { mssqlDialectDefinition } from './mssql/mssql-definition.js';
import { mysqlDialectDefinition } from './mysql/mysql-definition.js';
import { oracleDialectDefinition } from './oracle/oracle-definition.js';
import { postgresDialectDefinition } from './postgres/postgres-definition.js';

/**
 * How to build a store for one database: its dialect, its driver around a pool, a pool from a URL.
 * Each dialect folder exports one as `<db>DialectDefinition` from `<db>-definition.ts`.
 */
export interface DialectDefinition {
  /** The database, as a URL names it (see `parseDatabaseUrl`). */
  readonly kind: DatabaseKind;
  /** Names accepted for `dialect` in `createSqlStore({ dialect, pool })`, the first one the canonical. */
  readonly names: readonly string[];
  createDialect(): SqlDialect;
  /** `ownsPool`: the store created the pool and ends it on close. */
  createDriver(pool: unknown, options: { ownsPool: boolean }): SqlDriver;
  /** Loads the driver package lazily and creates a pool. */
  createPool(url: DatabaseUrl): Promise<unknown>;
}

/**
 * The dialects this package ships, one per {@link DatabaseKind} (the type makes a missing one a
 * compile error). Each driver package is loaded only when a store for its database is created from
 * a URL, so none of them is a hard dependency.
 */
const DIALECTS: Readonly<Record<DatabaseKind, DialectDefinition>> = {
  postgres: postgresDialectDefinition,
  mysql: mysqlDialectDefinition,
  mssql: mssqlDialectDefinition,
  oracle: oracleDialectDefinition,
  db2: db2DialectDefinition,
};

/** Every accepted `dialect` name → its database; `mariadb` is the MySQL dialect, `sqlserver` the SQL Server one. */
const DIALECT_NAMES: ReadonlyMap<string, DatabaseKind> = new Map(
  Object.values(DIALECTS).flatMap((definition) => definition.names.map((name) => [name, definition.kind] as const)),
);

export function resolveDatabaseKind(name: unknown): DatabaseKind {
  const kind = typeof name === 'string' ? DIALECT_NAMES.get(name) : undefined;
  if (kind === undefined)
    throw new MisconfigurationError('dialect', `must be one of ${[...DIALECT_NAMES.keys()].join(', ')} (or a SqlDialect via new SqlStore)`);
  return kind;
}

export function dialectDefinition(kind: DatabaseKind): DialectDefinition {
  return DIALECTS[kind];
}

import { MisconfigurationError } from '@tokenstore/core';
import type { Db2ConnectionSource } from './dialects/db2/db2-driver.js';
import type { MssqlPool } from './dialects/mssql/mssql-driver.js';
import type { MysqlPool } from './dialects/mysql/mysql-driver.js';
import type { OraclePool } from './dialects/oracle/oracle-driver.js';
import type { PostgresPool } from './dialects/postgres/postgres-driver.js';
import { dialectDefinition, resolveDatabaseKind } from './dialects/registry.js';
import type { SqlStoreSettings } from './options.js';
import { SqlStore } from './sql-store.js';
import { parseDatabaseUrl } from './url.js';

interface CreateSettings extends SqlStoreSettings {
  /** Apply pending schema files before returning the store (see `SqlStore.migrate`). Default false. */
  migrate?: boolean;
}

/** Connect from a URL: the driver package is loaded now, and the store owns (and closes) its pool. */
export interface CreateSqlStoreFromUrl extends CreateSettings {
  /**
   * `postgres://`, `postgresql://`, `mysql://`, `mariadb://`, `mssql://` (`sqlserver://`), `oracle://`
   * or `db2://`. The matching driver package (`pg`, `mysql2`, `mssql`, `oracledb`, `ibm_db`) is
   * loaded now; a missing one fails with `DRIVER_UNAVAILABLE`. Extra parameters: `poolSize`, and for
   * PostgreSQL `schema`.
   */
  url: string;
}

/** Use a pool you created (`new pg.Pool(…)`); you close it after `store.close()`. */
export interface CreateSqlStoreFromPostgresPool extends CreateSettings {
  dialect: 'postgres' | 'postgresql';
  pool: PostgresPool;
}

/** Use a pool you created (`mysql.createPool(…)` from `mysql2/promise`); you close it after `store.close()`. */
export interface CreateSqlStoreFromMysqlPool extends CreateSettings {
  dialect: 'mysql' | 'mariadb';
  pool: MysqlPool;
}

/** Use a pool you created (`await new sql.ConnectionPool({…}).connect()` from `mssql`); you close it after `store.close()`. */
export interface CreateSqlStoreFromMssqlPool extends CreateSettings {
  dialect: 'mssql' | 'sqlserver';
  pool: MssqlPool;
}

/** Use a pool you created (`await oracledb.createPool({…})`); you close it after `store.close()`. */
export interface CreateSqlStoreFromOraclePool extends CreateSettings {
  dialect: 'oracle';
  pool: OraclePool;
}

/**
 * Use an `ibm_db` pool you created, with the connection string it opens (ibm_db pools per string):
 * `{ pool: new ibmdb.Pool({…}), connectionString: 'DATABASE=…;HOSTNAME=…;…' }`; you close it after `store.close()`.
 */
export interface CreateSqlStoreFromDb2Pool extends CreateSettings {
  dialect: 'db2';
  pool: Db2ConnectionSource;
}

export type CreateSqlStoreOptions =
  | CreateSqlStoreFromUrl
  | CreateSqlStoreFromPostgresPool
  | CreateSqlStoreFromMysqlPool
  | CreateSqlStoreFromMssqlPool
  | CreateSqlStoreFromOraclePool
  | CreateSqlStoreFromDb2Pool;

/**
 * Creates a {@link SqlStore} from a URL or an injected pool:
 *
 * ```ts
 * const store = await createSqlStore({ url: process.env.DATABASE_URL, migrate: true });
 * const store = await createSqlStore({ dialect: 'postgres', pool: new pg.Pool({ … }) });
 * ```
 */
export async function createSqlStore(options: CreateSqlStoreOptions): Promise<SqlStore> {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError('options', 'must be an object');
  const { migrate, ...settings } = options;
  if (migrate !== undefined && typeof migrate !== 'boolean') throw new MisconfigurationError('migrate', 'must be a boolean');
  const hasUrl = 'url' in settings && settings.url !== undefined;
  const hasPool = 'pool' in settings && settings.pool !== undefined;
  if (hasUrl && hasPool) throw new MisconfigurationError('url', 'give either url, or dialect and pool, not both');
  let store: SqlStore;
  if ('url' in settings && settings.url !== undefined) {
    const { url, ...rest } = settings;
    const parsed = parseDatabaseUrl(url);
    const definition = dialectDefinition(parsed.kind);
    const pool = await definition.createPool(parsed);
    store = new SqlStore({ ...rest, dialect: definition.createDialect(), driver: definition.createDriver(pool, { ownsPool: true }) });
  } else if ('pool' in settings) {
    const { pool, dialect, ...rest } = settings;
    if (pool === null || typeof pool !== 'object')
      throw new MisconfigurationError('pool', 'must be a connection pool of the dialect’s driver');
    const definition = dialectDefinition(resolveDatabaseKind(dialect));
    store = new SqlStore({ ...rest, dialect: definition.createDialect(), driver: definition.createDriver(pool, { ownsPool: false }) });
  } else {
    throw new MisconfigurationError('url', 'give either url, or dialect and pool');
  }
  if (migrate) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

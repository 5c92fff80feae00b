import { dialectDefinition } from '../../src/dialects/registry.js';
import { ALL_TABLES, type DatabaseKind, parseDatabaseUrl, type SqlDriver, SqlStore, type SqlStoreSettings } from '../../src/index.js';
import { isolatedDatabaseUrl, namespacedDatabaseName } from './isolated-database.js';

/** Runs raw SQL on the test database, with the dialect's own placeholders. */
export type RawQuery = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * The database of one test file, reached through the dialect's own pool and driver (as
 * `createSqlStore({ url })` creates them), for any dialect. On PostgreSQL and MySQL it is a schema or
 * database of its own (so files run in parallel without seeing each other's rows), dropped and
 * recreated on open so it always holds exactly the current schema files; elsewhere it is the
 * database the server URL names, used as it is.
 */
export class TestDatabase {
  readonly query: RawQuery;

  constructor(
    readonly backend: DatabaseKind,
    /** The schema or database name, where the backend isolates test files; else the requested name. */
    readonly name: string,
    /** A URL that selects this database, for `createSqlStore({ url })`. */
    readonly url: string,
    /** The driver's own pool (`pg.Pool`, `mysql2` pool, …), which stores borrow. */
    readonly pool: unknown,
    readonly driver: SqlDriver,
  ) {
    this.query = async (sql, params) => (await driver.query(sql, params ?? [])).rows;
  }

  /** Creates an empty schema/database `name` where the backend isolates (dropping any previous one); `migrate` applies the schema files. */
  static async open(
    backend: DatabaseKind,
    serverUrl: string,
    name: string,
    options: { migrate?: boolean; poolSize?: number } = {},
  ): Promise<TestDatabase> {
    if (isolates(backend)) await isolatedDatabaseUrl(backend, serverUrl, name);
    const database = await TestDatabase.connect(backend, serverUrl, name, options.poolSize);
    if (options.migrate ?? true) {
      const store = await database.createStore();
      try {
        await store.migrate();
      } finally {
        await store.close();
      }
    }
    return database;
  }

  /** A pool of its own onto an existing schema/database (a second "process"). */
  static async connect(backend: DatabaseKind, serverUrl: string, requested: string, poolSize = 10): Promise<TestDatabase> {
    const definition = dialectDefinition(backend);
    let name = requested;
    let url = serverUrl;
    let poolUrl = serverUrl;
    if (isolates(backend)) {
      name = namespacedDatabaseName(requested);
      const selecting = new URL(serverUrl);
      if (backend === 'postgres') selecting.searchParams.set('schema', name);
      else selecting.pathname = `/${name}`;
      url = selecting.toString();
      selecting.searchParams.set('poolSize', String(poolSize));
      poolUrl = selecting.toString();
    }
    const pool = await definition.createPool(parseDatabaseUrl(poolUrl));
    return new TestDatabase(backend, name, url, pool, definition.createDriver(pool, { ownsPool: true }));
  }

  /**
   * A store on this database's pool, or on `pool` (one wrapping it), as `createSqlStore({ dialect,
   * pool })` makes it: the pool stays open when the store closes.
   */
  async createStore(settings: SqlStoreSettings = {}, pool: unknown = this.pool): Promise<SqlStore> {
    const definition = dialectDefinition(this.backend);
    return new SqlStore({ ...settings, dialect: definition.createDialect(), driver: definition.createDriver(pool, { ownsPool: false }) });
  }

  /** Deletes every row of every table (faster than TRUNCATE for the few rows a test leaves). */
  async clear(): Promise<void> {
    for (const table of ALL_TABLES) await this.query(`DELETE FROM ${table}`);
  }

  /** Every row of every table (but those in `except`), as the driver returns it. */
  async dumpRows(except: readonly string[] = []): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    for (const table of ALL_TABLES.filter((name) => !except.includes(name))) rows.push(...(await this.query(`SELECT * FROM ${table}`)));
    return rows;
  }

  async count(table: string): Promise<number> {
    const [row] = await this.query(`SELECT COUNT(*) AS n FROM ${table}`);
    return Number(row?.n);
  }

  async close(): Promise<void> {
    await this.driver.destroy();
  }
}

/** PostgreSQL and MySQL test files each get a schema/database of their own (see `isolated-database.ts`). */
function isolates(backend: DatabaseKind): backend is 'postgres' | 'mysql' {
  return backend === 'postgres' || backend === 'mysql';
}

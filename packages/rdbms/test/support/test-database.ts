import mysql from 'mysql2/promise';
import pg from 'pg';
import { ALL_TABLES, createSqlStore, type SqlStore, type SqlStoreSettings } from '../../src/index.js';
import type { TestBackend } from './environment.js';
import { isolatedDatabaseUrl, namespacedDatabaseName } from './isolated-database.js';

/** Runs raw SQL on the test database, with the dialect's own placeholders. */
export type RawQuery = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * A schema (PostgreSQL) or database (MySQL) of its own for one test file, so files run in parallel
 * without seeing each other's rows. Dropped and recreated on open, so it always holds exactly the
 * current schema files.
 */
export class TestDatabase {
  constructor(
    readonly backend: TestBackend,
    /** The schema or database name. */
    readonly name: string,
    /** A URL that selects this schema/database, for `createSqlStore({ url })`. */
    readonly url: string,
    readonly pool: pg.Pool | mysql.Pool,
    readonly query: RawQuery,
  ) {}

  /** Creates an empty schema/database `name` (dropping any previous one); `migrate` applies the schema files. */
  static async open(backend: TestBackend, serverUrl: string, name: string, options: { migrate?: boolean; poolSize?: number } = {}) {
    await isolatedDatabaseUrl(backend, serverUrl, name);
    const database = await TestDatabase.connect(backend, serverUrl, name, options.poolSize);
    if (options.migrate ?? true) {
      const store = await database.createStore();
      await store.migrate();
      await store.close();
    }
    return database;
  }

  /** A pool of its own onto an existing schema/database (a second "process"). */
  static async connect(backend: TestBackend, serverUrl: string, requested: string, poolSize = 10): Promise<TestDatabase> {
    const name = namespacedDatabaseName(requested);
    return backend === 'postgres' ? connectPostgres(serverUrl, name, poolSize) : connectMysql(serverUrl, name, poolSize);
  }

  /** A store on this database's pool (the pool stays open when the store closes). */
  createStore(settings: SqlStoreSettings = {}): Promise<SqlStore> {
    return this.backend === 'postgres'
      ? createSqlStore({ ...settings, dialect: 'postgres', pool: this.pool as pg.Pool })
      : createSqlStore({ ...settings, dialect: 'mysql', pool: this.pool as mysql.Pool });
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
    await this.pool.end();
  }
}

function connectPostgres(serverUrl: string, name: string, poolSize: number): TestDatabase {
  const pool = new pg.Pool({ connectionString: serverUrl, options: `-c search_path=${name}`, max: poolSize });
  // Tests that kill backends leave idle clients that report here; the pool drops them.
  pool.on('error', () => undefined);
  const url = new URL(serverUrl);
  url.searchParams.set('schema', name);
  const query: RawQuery = async (sql, params) => (await pool.query(sql, params)).rows;
  return new TestDatabase('postgres', name, url.toString(), pool, query);
}

function connectMysql(serverUrl: string, name: string, poolSize: number): TestDatabase {
  const pool = mysql.createPool({ uri: serverUrl, database: name, connectionLimit: poolSize });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const query: RawQuery = async (sql, params) => {
    const [rows] = await pool.query(sql, params);
    return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
  };
  return new TestDatabase('mysql', name, url.toString(), pool, query);
}

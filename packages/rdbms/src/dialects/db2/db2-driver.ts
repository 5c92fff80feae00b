import { loadDriver } from '../../drivers/load-driver.js';
import type { DatabaseUrl } from '../../url.js';
import type { QueryResult, SqlConnection, SqlDriver } from '../driver.js';
import { classifyDb2Error } from './db2-errors.js';
import { db2ConnectionString } from './db2-url.js';

type Callback<T = void> = (error: unknown, result: T) => void;

/** What the store needs of an `ibm_db` prepared statement (declared here so `ibm_db` types never reach our .d.ts). */
export interface Db2Statement {
  /** Rows affected by an INSERT, UPDATE, DELETE or MERGE; -1 when none. */
  executeNonQuery(params: unknown[], callback: Callback<number>): void;
  closeSync(): unknown;
}

/** What the store needs of an `ibm_db` `Database` (one connection). The callback forms exist in every ibm_db version. */
export interface Db2Database {
  query(sql: string, params: unknown[], callback: Callback<unknown>): void;
  prepare(sql: string, callback: Callback<Db2Statement>): void;
  beginTransaction(callback: (error: unknown) => void): void;
  commitTransaction(callback: (error: unknown) => void): void;
  rollbackTransaction(callback: (error: unknown) => void): void;
  /** Pooled connection: returns it to the pool. */
  close(callback: (error: unknown) => void): void;
  /** Pooled connection: closes it for real (ibm_db's `Pool` keeps the original `close` here). */
  realClose?(callback: (error: unknown) => void): void;
}

/** What the store needs of an `ibm_db` `Pool`. */
export interface Db2Pool {
  open(connectionString: string, callback: Callback<Db2Database>): void;
  close(callback: (error?: unknown) => void): void;
}

/**
 * An `ibm_db` pool and the connection string it opens (ibm_db pools connections per string):
 * `{ pool: new ibmdb.Pool({ maxPoolSize: 10 }), connectionString: 'DATABASE=…;HOSTNAME=…;…' }`.
 */
export interface Db2ConnectionSource {
  pool: Db2Pool;
  connectionString: string;
}

/** A statement that returns rows: its first keyword is SELECT, WITH or VALUES (comments skipped). */
export function returnsRows(sql: string): boolean {
  const start = sql.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  return /^(SELECT|WITH|VALUES)\b/i.test(start);
}

class Db2Connection implements SqlConnection {
  constructor(
    readonly database: Db2Database,
    readonly run: (database: Db2Database, sql: string, params: readonly unknown[]) => Promise<QueryResult>,
  ) {}

  query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    return this.run(this.database, sql, params);
  }
}

/**
 * Adapts an `ibm_db` pool to {@link SqlDriver}. Statements that return rows go through `query`
 * (row count = rows returned, which is how the archive-purge statement reports rows moved);
 * others through `prepare` + `executeNonQuery`, which reports rows affected. Column names come back
 * lower-cased (DB2 reports unquoted names in upper case). Transactions run at the connection's
 * isolation, CS (read committed) by default.
 */
export class Db2Driver implements SqlDriver {
  readonly #source: Db2ConnectionSource;
  readonly #ownsPool: boolean;

  constructor(source: Db2ConnectionSource, options: { ownsPool?: boolean } = {}) {
    this.#source = source;
    this.#ownsPool = options.ownsPool ?? false;
  }

  async query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    const database = await this.#open();
    let broken = false;
    try {
      return await run(database, sql, params);
    } catch (error) {
      broken = classifyDb2Error(error).kind === 'connection';
      throw error;
    } finally {
      await closeConnection(database, broken).catch(() => undefined);
    }
  }

  async acquireConnection(): Promise<SqlConnection> {
    return new Db2Connection(await this.#open(), run);
  }

  releaseConnection(connection: SqlConnection, broken: boolean): Promise<void> {
    return closeConnection((connection as Db2Connection).database, broken);
  }

  beginTransaction(connection: SqlConnection): Promise<void> {
    const database = (connection as Db2Connection).database;
    return callbackPromise((done) => database.beginTransaction(done));
  }

  commitTransaction(connection: SqlConnection): Promise<void> {
    const database = (connection as Db2Connection).database;
    return callbackPromise((done) => database.commitTransaction(done));
  }

  rollbackTransaction(connection: SqlConnection): Promise<void> {
    const database = (connection as Db2Connection).database;
    return callbackPromise((done) => database.rollbackTransaction(done));
  }

  async destroy(): Promise<void> {
    if (this.#ownsPool) await callbackPromise((done) => this.#source.pool.close(done));
  }

  #open(): Promise<Db2Database> {
    return new Promise((resolve, reject) => {
      this.#source.pool.open(this.#source.connectionString, (error, database) => (error ? reject(error) : resolve(database)));
    });
  }
}

async function run(database: Db2Database, sql: string, params: readonly unknown[]): Promise<QueryResult> {
  if (returnsRows(sql)) {
    const result = await new Promise<unknown>((resolve, reject) => {
      database.query(sql, [...params], (error, rows) => (error ? reject(error) : resolve(rows)));
    });
    const rows = (Array.isArray(result) ? result : []).map(lowerCaseKeys);
    return { rows, rowCount: rows.length };
  }
  const statement = await new Promise<Db2Statement>((resolve, reject) => {
    database.prepare(sql, (error, prepared) => (error ? reject(error) : resolve(prepared)));
  });
  try {
    const affected = await new Promise<number>((resolve, reject) => {
      statement.executeNonQuery([...params], (error, count) => (error ? reject(error) : resolve(count)));
    });
    return { rows: [], rowCount: Math.max(0, affected) };
  } finally {
    statement.closeSync();
  }
}

function lowerCaseKeys(row: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Back to the pool, or for a broken connection closed for real first (so the pool drops it). */
async function closeConnection(database: Db2Database, broken: boolean): Promise<void> {
  if (broken && database.realClose) {
    const realClose = database.realClose.bind(database);
    await callbackPromise((done) => realClose(done)).catch(() => undefined);
  }
  await callbackPromise((done) => database.close(done));
}

function callbackPromise(call: (done: (error?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => call((error) => (error ? reject(error) : resolve())));
}

interface IbmDbModule {
  Pool: new (options: Record<string, unknown>) => Db2Pool;
}

/** Creates an `ibm_db` pool and its connection string from a URL, loading `ibm_db` on first use. */
export async function createDb2Pool(url: DatabaseUrl): Promise<Db2ConnectionSource> {
  const connectionString = db2ConnectionString(url);
  const ibmdb = await loadDriver<IbmDbModule>('ibm_db', { backend: 'db2' });
  const options: Record<string, unknown> = {};
  if (url.poolSize !== undefined) options.maxPoolSize = url.poolSize;
  return { pool: new ibmdb.Pool(options), connectionString };
}

import { loadDriver } from '../../drivers/load-driver.js';
import type { DatabaseUrl } from '../../url.js';
import type { QueryResult, SqlConnection, SqlDriver } from '../driver.js';
import { mysqlPoolConfig } from './mysql-url.js';

/** What the store needs of a `mysql2/promise` pool connection (declared here so `mysql2` types never reach our .d.ts). */
export interface MysqlPoolConnection {
  /** Resolves to `[rows, fields]` for a SELECT, `[{ affectedRows }, undefined]` otherwise. */
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
  release(): void;
  /** Closes the connection and removes it from the pool. */
  destroy(): void;
}

/**
 * What the store needs of a `mysql2/promise` pool: pass `mysql.createPool({...})` from
 * `mysql2/promise` (or `.promise()` of a callback pool). Keep mysql2's default `FOUND_ROWS` flag:
 * the store reads an UPDATE's row count as rows matched.
 */
export interface MysqlPool {
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
  getConnection(): Promise<MysqlPoolConnection>;
  end(): Promise<void>;
}

class MysqlConnection implements SqlConnection {
  constructor(readonly connection: MysqlPoolConnection) {}

  async query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    const [result] = await this.connection.query(sql, params);
    return toQueryResult(result);
  }
}

/**
 * Adapts a `mysql2` pool to {@link SqlDriver}. Transactions run at READ COMMITTED: InnoDB's default
 * REPEATABLE READ takes gap locks on the user, client and grant indexes that make revocations and
 * rotations of one grant deadlock each other; the store's statements need no more than READ COMMITTED.
 */
export class MysqlDriver implements SqlDriver {
  readonly #pool: MysqlPool;
  readonly #ownsPool: boolean;

  /** @param ownsPool end the pool in {@link destroy} (true when the store created it from a URL) */
  constructor(pool: MysqlPool, options: { ownsPool?: boolean } = {}) {
    this.#pool = pool;
    this.#ownsPool = options.ownsPool ?? false;
  }

  async query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    const [result] = await this.#pool.query(sql, params);
    return toQueryResult(result);
  }

  async acquireConnection(): Promise<SqlConnection> {
    return new MysqlConnection(await this.#pool.getConnection());
  }

  async releaseConnection(connection: SqlConnection, broken: boolean): Promise<void> {
    const pooled = (connection as MysqlConnection).connection;
    if (broken) pooled.destroy();
    else pooled.release();
  }

  async beginTransaction(connection: SqlConnection): Promise<void> {
    // Applies to the next transaction only, so a borrowed connection goes back unchanged.
    await connection.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED', []);
    await connection.query('START TRANSACTION', []);
  }

  async commitTransaction(connection: SqlConnection): Promise<void> {
    await connection.query('COMMIT', []);
  }

  async rollbackTransaction(connection: SqlConnection): Promise<void> {
    await connection.query('ROLLBACK', []);
  }

  async destroy(): Promise<void> {
    if (this.#ownsPool) await this.#pool.end();
  }
}

function toQueryResult(result: unknown): QueryResult {
  if (Array.isArray(result)) return { rows: result as Array<Record<string, unknown>>, rowCount: result.length };
  const affectedRows = (result as { affectedRows?: unknown } | null)?.affectedRows;
  return { rows: [], rowCount: typeof affectedRows === 'number' ? affectedRows : 0 };
}

interface Mysql2PromiseModule {
  createPool(config: Record<string, unknown>): MysqlPool;
}

/** Creates a `mysql2` pool from a URL, loading `mysql2` on first use. */
export async function createMysqlPool(url: DatabaseUrl): Promise<MysqlPool> {
  const mysql = await loadDriver<Mysql2PromiseModule>('mysql2/promise', { packageName: 'mysql2', backend: 'mysql' });
  return mysql.createPool(mysqlPoolConfig(url));
}

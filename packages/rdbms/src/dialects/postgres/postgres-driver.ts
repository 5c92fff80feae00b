import { loadDriver } from '../../drivers/load-driver.js';
import type { DatabaseUrl } from '../../url.js';
import type { QueryResult, SqlConnection, SqlDriver } from '../driver.js';
import { postgresPoolConfig } from './postgres-url.js';

/** What the store needs of a `pg` query result. */
export interface PostgresQueryResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
}

/** What the store needs of a `pg` `PoolClient` (declared here so `pg` types never reach our .d.ts). */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  /** `release(true)` (or an error) destroys the client instead of returning it to the pool. */
  release(destroy?: boolean | Error): void;
}

/**
 * What the store needs of a `pg` `Pool`. Pass `new pg.Pool({...})`; give it an `'error'` listener
 * (a terminated idle connection is reported there, and an unlistened `'error'` ends the process).
 */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
}

class PostgresConnection implements SqlConnection {
  constructor(readonly client: PostgresPoolClient) {}

  async query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    return toQueryResult(await this.client.query(sql, params as unknown[]));
  }
}

/** Adapts a `pg` pool to {@link SqlDriver}. Transactions run at PostgreSQL's default READ COMMITTED. */
export class PostgresDriver implements SqlDriver {
  readonly #pool: PostgresPool;
  readonly #ownsPool: boolean;

  /** @param ownsPool end the pool in {@link destroy} (true when the store created it from a URL) */
  constructor(pool: PostgresPool, options: { ownsPool?: boolean } = {}) {
    this.#pool = pool;
    this.#ownsPool = options.ownsPool ?? false;
  }

  async query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    return toQueryResult(await this.#pool.query(sql, params as unknown[]));
  }

  async acquireConnection(): Promise<SqlConnection> {
    return new PostgresConnection(await this.#pool.connect());
  }

  async releaseConnection(connection: SqlConnection, broken: boolean): Promise<void> {
    (connection as PostgresConnection).client.release(broken);
  }

  async beginTransaction(connection: SqlConnection): Promise<void> {
    await connection.query('BEGIN', []);
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

function toQueryResult(result: PostgresQueryResult): QueryResult {
  return { rows: result.rows ?? [], rowCount: result.rowCount ?? 0 };
}

interface PgModule {
  Pool: new (config: Record<string, unknown>) => PostgresPool & { on(event: 'error', listener: (error: Error) => void): unknown };
}

/** Creates a `pg` pool from a URL, loading `pg` on first use. */
export async function createPostgresPool(url: DatabaseUrl): Promise<PostgresPool> {
  const pg = await loadDriver<PgModule>('pg', { backend: 'postgres' });
  const pool = new pg.Pool(postgresPoolConfig(url));
  // A connection that dies while idle is dropped by the pool; the next query reports the outage.
  pool.on('error', () => undefined);
  return pool;
}

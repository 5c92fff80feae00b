import type { TokenStore } from '@tokenstore/core';
import { loadDriver, parseDatabaseUrl, SqlStore } from '@tokenstore/rdbms';

/** The store's own "select access token by key" statement sent with the bare driver on a pool of its own. */
export interface RawLookup {
  /** What is compared, e.g. `pg: SELECT … WHERE token_key = $1`. */
  description: string;
  lookup(key: string): Promise<unknown>;
  close(): Promise<void>;
}

interface PgModule {
  Pool: new (
    config: Record<string, unknown>,
  ) => {
    query(sql: string, params: unknown[]): Promise<unknown>;
    end(): Promise<void>;
    on(event: 'error', listener: () => void): unknown;
  };
}
interface Mysql2Module {
  createPool(config: Record<string, unknown>): { query(sql: string, params: unknown[]): Promise<unknown>; end(): Promise<void> };
}

/**
 * A raw-driver twin of the store's validation query, for PostgreSQL and MySQL/MariaDB (the drivers
 * the repository's bench/rdbms.ts compares against): same SQL text from the store's statement
 * catalog, same pool size. `undefined` where no raw comparison is meaningful (memory, Cassandra, the
 * other SQL dialects for now).
 */
export async function rawLookupFor(store: TokenStore, url: string | undefined): Promise<RawLookup | undefined> {
  const inner = 'inner' in store ? (store as { inner: TokenStore }).inner : store;
  if (!(inner instanceof SqlStore) || url === undefined) return undefined;
  const parsed = parseDatabaseUrl(url);
  const template = inner.statements.tokens.accessToken.selectByKey;
  // The statement bound to a key, sent as is: the same text and parameters the store sends.
  const queryOf =
    (pool: { query(sql: string, params: unknown[]): Promise<unknown> }) =>
    (key: string): Promise<unknown> => {
      const statement = template.bind({ key });
      return pool.query(statement.sql, [...statement.params]);
    };
  if (parsed.kind === 'postgres') {
    const pg = await loadDriver<PgModule>('pg', { backend: 'postgres' });
    const pool = new pg.Pool({
      connectionString: parsed.connectionUrl.toString(),
      ...(parsed.poolSize === undefined ? {} : { max: parsed.poolSize }),
      ...(parsed.schema === undefined ? {} : { options: `-c search_path=${parsed.schema}` }),
    });
    pool.on('error', () => undefined);
    return { description: 'pg Pool.query, same SQL', lookup: queryOf(pool), close: () => pool.end() };
  }
  if (parsed.kind === 'mysql') {
    const mysql = await loadDriver<Mysql2Module>('mysql2/promise', { packageName: 'mysql2', backend: 'mysql' });
    const pool = mysql.createPool({
      uri: parsed.connectionUrl.toString(),
      ...(parsed.poolSize === undefined ? {} : { connectionLimit: parsed.poolSize }),
    });
    return { description: 'mysql2 pool.query, same SQL', lookup: queryOf(pool), close: () => pool.end() };
  }
  return undefined;
}

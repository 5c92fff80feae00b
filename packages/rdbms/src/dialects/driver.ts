/**
 * The store's view of a database driver: a pool that runs statements and lends connections for
 * transactions. Each dialect adapts its driver's pool (declared structurally, e.g. `PostgresPool`)
 * to this interface, so no driver type reaches the public API.
 */
export interface SqlDriver {
  /** Runs one statement on any pooled connection, in autocommit mode. */
  query(sql: string, params: readonly unknown[]): Promise<QueryResult>;
  /** Borrows a connection (for a transaction or a session-level lock). */
  acquireConnection(): Promise<SqlConnection>;
  /**
   * Returns a borrowed connection. `broken: true` when it failed with a connection error or a
   * transaction could not be ended: the pool must discard it rather than lend it again.
   */
  releaseConnection(connection: SqlConnection, broken: boolean): Promise<void>;
  /** Starts a transaction (READ COMMITTED or stronger; the dialect's driver chooses). */
  beginTransaction(connection: SqlConnection): Promise<void>;
  commitTransaction(connection: SqlConnection): Promise<void>;
  rollbackTransaction(connection: SqlConnection): Promise<void>;
  /** Closes the pool when the store owns it (created it from a URL); otherwise does nothing. */
  destroy(): Promise<void>;
}

export interface SqlConnection {
  query(sql: string, params: readonly unknown[]): Promise<QueryResult>;
}

export interface QueryResult {
  /** Result rows (column name → raw driver value); empty for statements that return none. */
  rows: Array<Record<string, unknown>>;
  /**
   * Rows inserted, updated or deleted: rows **matched** by an UPDATE, even when it changed no value
   * (MySQL needs its default `FOUND_ROWS` client flag for that).
   */
  rowCount: number;
}

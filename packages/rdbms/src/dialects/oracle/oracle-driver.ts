import { loadDriver } from '../../drivers/load-driver.js';
import type { DatabaseUrl } from '../../url.js';
import type { QueryResult, SqlConnection, SqlDriver } from '../driver.js';
import { classifyOracleError } from './oracle-errors.js';
import { oraclePoolAttributes } from './oracle-url.js';

/** What the store needs of an `oracledb` execute result (declared here so `oracledb` types never reach our .d.ts). */
export interface OracleExecuteResult {
  /** Rows as arrays (the driver asks for `OUT_FORMAT_ARRAY`), for queries. */
  rows?: unknown[][] | undefined;
  metaData?: ReadonlyArray<{ readonly name: string }> | undefined;
  /** For DML. */
  rowsAffected?: number | undefined;
}

/** What the store needs of an `oracledb` `Connection`. */
export interface OracleConnection {
  execute(sql: string, binds: unknown[], options: Record<string, unknown>): Promise<OracleExecuteResult>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** `{ drop: true }` discards the connection instead of returning it to the pool. */
  close(options?: { drop?: boolean }): Promise<void>;
}

/** What the store needs of an `oracledb` `Pool`: pass `await oracledb.createPool({...})`. */
export interface OraclePool {
  getConnection(): Promise<OracleConnection>;
  close(drainTime?: number): Promise<void>;
}

/** Constants of the `oracledb` module the driver passes back to it (pass the module itself). */
export interface OracleConstants {
  readonly OUT_FORMAT_ARRAY: number;
  readonly DB_TYPE_CLOB: unknown;
  readonly STRING: unknown;
}

export interface OracleDriverOptions {
  /** Close the pool in `destroy()` (true when the store created it from a URL). */
  ownsPool?: boolean;
  /** The `oracledb` module's constants; loaded from `oracledb` on first use when absent. */
  constants?: OracleConstants;
}

/** Bookkeeping of a borrowed connection: outside a transaction every statement commits on its own. */
class OracleSqlConnection implements SqlConnection {
  inTransaction = false;

  constructor(
    readonly connection: OracleConnection,
    readonly run: (connection: OracleConnection, sql: string, params: readonly unknown[], autoCommit: boolean) => Promise<QueryResult>,
  ) {}

  query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    return this.run(this.connection, sql, params, !this.inTransaction);
  }
}

/**
 * Adapts an `oracledb` pool (Thin mode) to {@link SqlDriver}. Oracle has no BEGIN: a transaction
 * is every statement run with `autoCommit: false` until `commit()` or `rollback()`; everything else
 * runs with `autoCommit: true`. Rows come back as objects keyed by lower-case column names (Oracle
 * reports unquoted names in upper case), CLOBs as strings. Transactions run at READ COMMITTED.
 */
export class OracleDriver implements SqlDriver {
  readonly #pool: OraclePool;
  readonly #ownsPool: boolean;
  #constants: OracleConstants | undefined;
  #loadingConstants: Promise<OracleConstants> | undefined;

  constructor(pool: OraclePool, options: OracleDriverOptions = {}) {
    this.#pool = pool;
    this.#ownsPool = options.ownsPool ?? false;
    this.#constants = options.constants;
  }

  async query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    const connection = await this.#pool.getConnection();
    let broken = false;
    try {
      return await this.#run(connection, sql, params, true);
    } catch (error) {
      broken = classifyOracleError(error).kind === 'connection';
      throw error;
    } finally {
      await connection.close({ drop: broken }).catch(() => undefined);
    }
  }

  async acquireConnection(): Promise<SqlConnection> {
    return new OracleSqlConnection(await this.#pool.getConnection(), (connection, sql, params, autoCommit) =>
      this.#run(connection, sql, params, autoCommit),
    );
  }

  async releaseConnection(connection: SqlConnection, broken: boolean): Promise<void> {
    // Closing rolls back anything uncommitted before the pool lends the connection again.
    await (connection as OracleSqlConnection).connection.close({ drop: broken });
  }

  async beginTransaction(connection: SqlConnection): Promise<void> {
    (connection as OracleSqlConnection).inTransaction = true;
  }

  async commitTransaction(connection: SqlConnection): Promise<void> {
    const borrowed = connection as OracleSqlConnection;
    await borrowed.connection.commit();
    borrowed.inTransaction = false;
  }

  async rollbackTransaction(connection: SqlConnection): Promise<void> {
    const borrowed = connection as OracleSqlConnection;
    await borrowed.connection.rollback();
    borrowed.inTransaction = false;
  }

  async destroy(): Promise<void> {
    if (this.#ownsPool) await this.#pool.close(0);
  }

  async #run(connection: OracleConnection, sql: string, params: readonly unknown[], autoCommit: boolean): Promise<QueryResult> {
    const constants = this.#constants ?? (await this.#loadConstants());
    const result = await connection.execute(sql, [...params], {
      autoCommit,
      outFormat: constants.OUT_FORMAT_ARRAY,
      // CLOB columns (values, scopes) as strings, not LOB streams that each need a round trip.
      fetchTypeHandler: (metadata: { dbType?: unknown }) =>
        metadata.dbType === constants.DB_TYPE_CLOB ? { type: constants.STRING } : undefined,
    });
    return toQueryResult(result);
  }

  /** An injected pool comes from the installed `oracledb`, so loading its constants cannot fail in practice. */
  async #loadConstants(): Promise<OracleConstants> {
    this.#loadingConstants ??= loadDriver<OracleConstants>('oracledb', { backend: 'oracle' });
    this.#constants = await this.#loadingConstants;
    return this.#constants;
  }
}

/** Array rows and their column metadata as objects keyed by lower-case column names. */
export function toQueryResult(result: OracleExecuteResult): QueryResult {
  if (!result.rows) return { rows: [], rowCount: result.rowsAffected ?? 0 };
  const names = (result.metaData ?? []).map((column) => column.name.toLowerCase());
  const rows = result.rows.map((values) => Object.fromEntries(names.map((name, index) => [name, values[index]])));
  return { rows, rowCount: rows.length };
}

interface OracledbModule extends OracleConstants {
  createPool(attributes: Record<string, unknown>): Promise<OraclePool>;
}

/** Creates an `oracledb` pool (Thin mode, no Oracle Client libraries) from a URL, loading `oracledb` on first use. */
export async function createOraclePool(url: DatabaseUrl): Promise<OraclePool> {
  const oracledb = await loadDriver<OracledbModule>('oracledb', { backend: 'oracle' });
  return oracledb.createPool(oraclePoolAttributes(url));
}

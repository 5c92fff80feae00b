import { BackendUnavailableError } from '@tokenstore/core';
import { loadDriver } from '../../drivers/load-driver.js';
import type { DatabaseUrl } from '../../url.js';
import type { QueryResult, SqlConnection, SqlDriver } from '../driver.js';
import { classifyMssqlError } from './mssql-errors.js';
import { mssqlPoolConfig } from './mssql-url.js';

/** What the store needs of an `mssql` result. */
export interface MssqlResult {
  /** Rows of the first result set; absent for statements that return none. */
  recordset?: Array<Record<string, unknown>> | undefined;
  /** Rows affected, one entry per statement of the batch. */
  rowsAffected: number[];
}

/** What the store needs of an `mssql` `Request` (declared here so `mssql` types never reach our .d.ts). */
export interface MssqlRequest {
  /** `input(name, type, value)`: the type is one of {@link MssqlParameterTypes}. */
  input(name: string, type: unknown, value: unknown): unknown;
  query(command: string): Promise<MssqlResult>;
  /**
   * Where the request borrows its connection (`mssql`'s `Request.parent`: a pool, a transaction, or
   * here a pinned connection). Requests on a borrowed connection are pointed at it.
   */
  parent: unknown;
}

/** A pooled tedious connection, opaque to the store except for closing a broken one. */
export interface MssqlPooledConnection {
  close?(): void;
}

/**
 * What the store needs of an `mssql` `ConnectionPool`: pass `await new sql.ConnectionPool({...}).connect()`.
 * `acquire`/`release` pin one connection for a transaction or the migration lock; they are the calls
 * `mssql`'s own `Transaction` makes.
 */
export interface MssqlPool {
  request(): MssqlRequest;
  acquire(requester: object): Promise<MssqlPooledConnection>;
  release(connection: MssqlPooledConnection): unknown;
  close(): Promise<unknown>;
  readonly connected: boolean;
  readonly config: unknown;
}

/**
 * `mssql`'s data types, to declare parameters explicitly: `sql.VarChar`, `sql.NVarChar`, `sql.BigInt`,
 * `sql.Bit`, `sql.Float` and `sql.MAX` (pass the `mssql` module itself).
 */
export interface MssqlParameterTypes {
  VarChar(length: number): unknown;
  NVarChar(length: number): unknown;
  BigInt: unknown;
  Bit: unknown;
  Float: unknown;
  MAX: number;
}

export interface MssqlDriverOptions {
  /** End the pool in `destroy()` (true when the store created it from a URL). */
  ownsPool?: boolean;
  /** The `mssql` module's types; loaded from `mssql` on first use when absent. */
  types?: MssqlParameterTypes;
}

const VARCHAR_MAX_LENGTH = 8000;
const NVARCHAR_MAX_LENGTH = 4000;
const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * Declares each parameter's type explicitly, from a small fixed set, so that one statement always
 * compiles to the same parameter list (tedious would otherwise declare `varchar(n)` per value length
 * and fill the plan cache) and key lookups compare like with like: ASCII strings are `varchar`, the
 * type of the key columns, so an index seek needs no conversion; other strings are `nvarchar`;
 * integers are `bigint` (epoch milliseconds do not fit `int`).
 */
export function parameterType(types: MssqlParameterTypes, value: unknown): unknown {
  if (typeof value === 'string') {
    if (!NON_ASCII.test(value)) return types.VarChar(value.length <= VARCHAR_MAX_LENGTH ? VARCHAR_MAX_LENGTH : types.MAX);
    return types.NVarChar(value.length <= NVARCHAR_MAX_LENGTH ? NVARCHAR_MAX_LENGTH : types.MAX);
  }
  if (typeof value === 'number') return Number.isInteger(value) ? types.BigInt : types.Float;
  if (typeof value === 'bigint') return types.BigInt;
  if (typeof value === 'boolean') return types.Bit;
  // NULL binds as varchar; SQL Server converts it to any column type.
  return types.VarChar(VARCHAR_MAX_LENGTH);
}

/**
 * The "parent" an `mssql` `Request` borrows its connection from, always handing out the one pinned
 * connection; the same protocol `mssql`'s `Transaction` implements.
 */
class PinnedConnectionParent {
  constructor(
    readonly pool: MssqlPool,
    readonly connection: MssqlPooledConnection,
  ) {}

  get config(): unknown {
    return this.pool.config;
  }

  get connected(): boolean {
    return this.pool.connected;
  }

  /** Read by `mssql` to validate parameters of batch requests; the pool's. */
  get collation(): unknown {
    return (this.pool as { collation?: unknown }).collation;
  }

  acquire(_request: unknown, callback: (error: Error | null, connection?: MssqlPooledConnection, config?: unknown) => void): this {
    setImmediate(callback, null, this.connection, this.pool.config);
    return this;
  }

  release(): this {
    return this;
  }
}

/** One connection held from the pool: the session that owns a transaction or an app lock. */
class MssqlConnection implements SqlConnection {
  constructor(
    readonly parent: PinnedConnectionParent,
    readonly run: (request: MssqlRequest, sql: string, params: readonly unknown[]) => Promise<QueryResult>,
  ) {}

  query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    const request = this.parent.pool.request();
    request.parent = this.parent;
    return this.run(request, sql, params);
  }
}

/**
 * Adapts an `mssql` pool to {@link SqlDriver}. A borrowed connection is pinned out of the pool and
 * its transactions are plain T-SQL (`BEGIN TRANSACTION` …), so the session also keeps the
 * migration runner's `sp_getapplock` across transactions. Transactions run at READ COMMITTED.
 */
export class MssqlDriver implements SqlDriver {
  readonly #pool: MssqlPool;
  readonly #ownsPool: boolean;
  #types: MssqlParameterTypes | undefined;
  #loadingTypes: Promise<MssqlParameterTypes> | undefined;

  constructor(pool: MssqlPool, options: MssqlDriverOptions = {}) {
    this.#pool = pool;
    this.#ownsPool = options.ownsPool ?? false;
    this.#types = options.types;
  }

  query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    return this.#run(this.#pool.request(), sql, params);
  }

  async acquireConnection(): Promise<SqlConnection> {
    const parent = new PinnedConnectionParent(this.#pool, await this.#pool.acquire(this));
    return new MssqlConnection(parent, (request, sql, params) => this.#run(request, sql, params));
  }

  async releaseConnection(connection: SqlConnection, broken: boolean): Promise<void> {
    const pinned = (connection as MssqlConnection).parent.connection;
    // A closed connection fails the pool's validation and is replaced instead of lent again.
    if (broken) pinned.close?.();
    this.#pool.release(pinned);
  }

  async beginTransaction(connection: SqlConnection): Promise<void> {
    await connection.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED; BEGIN TRANSACTION;', []);
  }

  async commitTransaction(connection: SqlConnection): Promise<void> {
    await connection.query('COMMIT TRANSACTION;', []);
  }

  async rollbackTransaction(connection: SqlConnection): Promise<void> {
    // A deadlock victim's transaction is already rolled back; a second ROLLBACK would fail (3903).
    await connection.query('IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;', []);
  }

  async destroy(): Promise<void> {
    if (this.#ownsPool) await this.#pool.close();
  }

  async #run(request: MssqlRequest, sql: string, params: readonly unknown[]): Promise<QueryResult> {
    if (params.length > 0) {
      const types = this.#types ?? (await this.#loadTypes());
      params.forEach((value, index) => {
        request.input(`p${index + 1}`, parameterType(types, value), value);
      });
    }
    const result = await request.query(sql);
    return { rows: result.recordset ?? [], rowCount: result.rowsAffected.reduce((sum, count) => sum + count, 0) };
  }

  /** An injected pool comes from the installed `mssql`, so loading its types cannot fail in practice. */
  async #loadTypes(): Promise<MssqlParameterTypes> {
    this.#loadingTypes ??= loadDriver<MssqlParameterTypes>('mssql', { backend: 'mssql' });
    this.#types = await this.#loadingTypes;
    return this.#types;
  }
}

interface MssqlModule {
  ConnectionPool: new (
    config: Record<string, unknown>,
  ) => MssqlPool & { connect(): Promise<unknown>; on(event: 'error', listener: (error: Error) => void): unknown };
}

/** Creates and connects an `mssql` pool from a URL, loading `mssql` on first use. */
export async function createMssqlPool(url: DatabaseUrl): Promise<MssqlPool> {
  const mssql = await loadDriver<MssqlModule>('mssql', { backend: 'mssql' });
  const pool = new mssql.ConnectionPool(mssqlPoolConfig(url));
  // A connection that dies while idle is dropped by the pool; the next query reports the outage.
  pool.on('error', () => undefined);
  try {
    await pool.connect();
  } catch (error) {
    const classified = classifyMssqlError(error);
    throw new BackendUnavailableError(`could not connect to SQL Server (${classified.code ?? 'unknown'})`, {
      backend: 'mssql',
      cause: error,
    });
  }
  return pool;
}

import { inspect } from 'node:util';
import { ErrorCode, ManualClock, Purger, type StoredAccessToken, type StoredRefreshToken, TokenStoreEventEmitter } from '@tokenstore/core';
import { describe, expect, it, vi } from 'vitest';
import {
  ACTIVE_REUSE_INDEX,
  DriverErrorSummary,
  MysqlDialect,
  PostgresDialect,
  PostgresDriver,
  type QueryResult,
  type SqlConnection,
  type SqlDialect,
  type SqlDriver,
  SqlStore,
} from '../src/index.js';
import { caught } from './support/caught.js';

type Handler = (sql: string, params: readonly unknown[]) => QueryResult | Promise<QueryResult>;

/** A driver whose answers a test scripts, recording every statement and how connections were returned. */
class ScriptedDriver implements SqlDriver {
  readonly statements: string[] = [];
  readonly released: boolean[] = [];
  destroyed = false;

  constructor(private readonly handler: Handler) {}

  async query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
    this.statements.push(sql);
    return this.handler(sql, params);
  }
  async acquireConnection(): Promise<SqlConnection> {
    return { query: (sql, params) => this.query(sql, params) };
  }
  async releaseConnection(_connection: SqlConnection, broken: boolean): Promise<void> {
    this.released.push(broken);
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
    this.destroyed = true;
  }
}

const ok = (rowCount = 1, rows: Array<Record<string, unknown>> = []): QueryResult => ({ rows, rowCount });
const SECRET_KEY = 'lookup-key-that-must-not-leak-7f3a';

function storeWith(handler: Handler, dialect: SqlDialect = new PostgresDialect(), options: { attempts?: number; archive?: boolean } = {}) {
  const driver = new ScriptedDriver(handler);
  const store = new SqlStore({ dialect, driver, archive: options.archive, retry: { attempts: options.attempts ?? 3, baseDelayMs: 0 } });
  return { store, driver };
}

const NOW = Date.UTC(2030, 0, 1);
function accessToken(overrides: Partial<StoredAccessToken> = {}): StoredAccessToken {
  return {
    key: SECRET_KEY,
    value: null,
    consumerKey: 'client',
    userId: 'user',
    userType: 'APPLICATION_USER',
    scopes: ['a'],
    grantId: 'grant',
    state: 'ACTIVE',
    issuedAt: NOW,
    expiresAt: NOW + 3_600_000,
    stateChangedAt: NOW,
    reuseKey: 'reuse',
    exclusive: false,
    grantType: 'password',
    ...overrides,
  };
}
function refreshToken(key: string): StoredRefreshToken {
  const { reuseKey: _r, exclusive: _e, grantType: _g, ...base } = accessToken({ key });
  return { ...base, rotatedAt: null, reuseCount: 0 };
}

describe('driver errors become typed store errors', () => {
  it('reports a duplicate key as CONFLICT, with neither the key nor driver detail in the error or its cause', async () => {
    const { store } = storeWith(() => {
      throw Object.assign(new Error('duplicate key value violates unique constraint "tokenstore_access_token_pkey"'), {
        code: '23505',
        constraint: 'tokenstore_access_token_pkey',
        detail: `Key (token_key)=(${SECRET_KEY}) already exists.`,
      });
    });
    const error = await caught(store.insert('accessToken', accessToken()));
    expect(error.code).toBe(ErrorCode.Conflict);
    expect(error.cause).toBeInstanceOf(DriverErrorSummary);
    expect((error.cause as DriverErrorSummary).constraint).toBe('tokenstore_access_token_pkey');
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET_KEY);
  });

  it('keeps MySQL duplicate messages and mysql2 SQL text (both quote the key) out of the error', async () => {
    const { store } = storeWith(() => {
      throw Object.assign(new Error(`Duplicate entry '${SECRET_KEY}' for key 'PRIMARY'`), {
        errno: 1062,
        code: 'ER_DUP_ENTRY',
        sql: `INSERT INTO tokenstore_refresh_token VALUES ('${SECRET_KEY}')`,
      });
    }, new MysqlDialect());
    const error = await caught(store.insert('refreshToken', refreshToken(SECRET_KEY)));
    expect(error.code).toBe(ErrorCode.Conflict);
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET_KEY);
  });

  it('keeps a failed statement’s interpolated SQL out of other errors too', async () => {
    const { store } = storeWith(() => {
      throw Object.assign(new Error('Data too long for column'), { errno: 1406, code: 'ER_DATA_TOO_LONG', sql: `SELECT '${SECRET_KEY}'` });
    }, new MysqlDialect());
    const error = await caught(store.get('accessToken', SECRET_KEY));
    expect(error.code).toBe(ErrorCode.BackendError);
    expect(error.message).toContain('accessToken.selectByKey');
    expect(error.message).toContain('ER_DATA_TOO_LONG');
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET_KEY);
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['pg losing its connection', new Error('Connection terminated unexpectedly')],
    ['an administrator ending the backend', Object.assign(new Error('terminating connection'), { code: '57P01' })],
    ['every address refusing', Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), {})],
  ])('reports %s as BACKEND_UNAVAILABLE', async (_case, driverError) => {
    const { store } = storeWith(() => {
      throw driverError;
    });
    expect((await caught(store.get('accessToken', 'k'))).code).toBe(ErrorCode.BackendUnavailable);
  });

  it.each([
    [
      'PostgreSQL, a missing table (42P01)',
      Object.assign(new Error('relation "tokenstore_access_token" does not exist'), { code: '42P01' }),
      undefined,
    ],
    ['PostgreSQL, a missing column (42703)', Object.assign(new Error('column "rotated_at" does not exist'), { code: '42703' }), undefined],
    [
      'MySQL, a missing table (1146)',
      Object.assign(new Error("Table 'test.tokenstore_access_token' doesn't exist"), { errno: 1146, code: 'ER_NO_SUCH_TABLE' }),
      new MysqlDialect(),
    ],
    [
      'MySQL, a missing column (1054)',
      Object.assign(new Error("Unknown column 'rotated_at'"), { errno: 1054, code: 'ER_BAD_FIELD_ERROR' }),
      new MysqlDialect(),
    ],
  ])('reports %s as MISCONFIGURATION that says how to apply the schema', async (_case, driverError, dialect) => {
    const { store } = storeWith(() => {
      throw driverError;
    }, dialect);
    const error = await caught(store.get('accessToken', 'k'));
    expect(error.code).toBe(ErrorCode.Misconfiguration);
    expect(error.message).toMatch(/accessToken\.selectByKey: the tokenstore schema is missing or out of date/);
    expect(error.message).toContain('tokenstore migrate');
  });

  it.each([
    ['a lost MySQL connection', Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })],
    ['a killed MariaDB connection', Object.assign(new Error('Connection was killed'), { errno: 1927, code: 'ER_CONNECTION_KILLED' })],
    ['a closed mysql2 pool', new Error('Pool is closed.')],
  ])('reports %s as BACKEND_UNAVAILABLE', async (_case, driverError) => {
    const { store } = storeWith(() => {
      throw driverError;
    }, new MysqlDialect());
    expect((await caught(store.get('accessToken', 'k'))).code).toBe(ErrorCode.BackendUnavailable);
  });
});

describe('deadlocks and serialization failures', () => {
  it('retries the statement and succeeds once the deadlock clears', async () => {
    let failures = 2;
    const { store, driver } = storeWith(() => {
      if (failures-- > 0) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      return ok(1);
    });
    expect(await store.compareAndSetState('accessToken', 'k', { from: 'ACTIVE', to: 'REVOKED', at: NOW })).toBe(true);
    expect(driver.statements).toHaveLength(3);
  });

  it('retries a whole transaction from BEGIN after MySQL picks it as the deadlock victim', async () => {
    let failed = false;
    const { store, driver } = storeWith((sql) => {
      if (sql.startsWith('UPDATE tokenstore_access_token') && !failed) {
        failed = true;
        throw Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213, code: 'ER_LOCK_DEADLOCK' });
      }
      return ok(2);
    }, new MysqlDialect());
    expect(await store.revokeTokens({ grantId: 'g' }, NOW)).toEqual({ accessToken: 2, refreshToken: 2, authorizationCode: 2 });
    const begins = driver.statements.filter((sql) => sql === 'BEGIN').length;
    expect(begins).toBe(2);
    expect(driver.statements.filter((sql) => sql === 'ROLLBACK')).toHaveLength(1);
  });

  it('gives up after the configured attempts with CONFLICT', async () => {
    const { store, driver } = storeWith(
      () => {
        throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      },
      new PostgresDialect(),
      { attempts: 4 },
    );
    const error = await caught(store.get('accessToken', 'k'));
    expect(error.code).toBe(ErrorCode.Conflict);
    expect(driver.statements).toHaveLength(4);
  });
});

describe('transactions', () => {
  const rotation = {
    key: 'old',
    expected: { state: 'ACTIVE' as const, reuseCount: 0 },
    at: NOW,
    successor: { refreshToken: refreshToken('new-refresh'), accessToken: accessToken({ key: 'new-access' }) },
  };

  it('rolls back and writes nothing when another caller rotated the token first', async () => {
    const { store, driver } = storeWith((sql) => ok(sql.startsWith('UPDATE') ? 0 : 1));
    expect(await store.rotateRefreshToken(rotation)).toBe(false);
    expect(driver.statements.map((sql) => sql.split(' ')[0])).toEqual(['BEGIN', 'UPDATE', 'ROLLBACK']);
    expect(driver.released).toEqual([false]);
  });

  it('rolls back when a statement fails, and returns the connection for reuse', async () => {
    const { store, driver } = storeWith((sql) => {
      if (sql.startsWith('INSERT INTO tokenstore_access_token'))
        throw Object.assign(new Error('new row violates check constraint'), { code: '23514' });
      return ok(1);
    });
    expect((await caught(store.rotateRefreshToken(rotation))).code).toBe(ErrorCode.BackendError);
    expect(driver.statements.at(-1)).toBe('ROLLBACK');
    expect(driver.statements).not.toContain('COMMIT');
    expect(driver.released).toEqual([false]);
  });

  it('discards a connection that broke mid-transaction instead of returning it to the pool', async () => {
    const { store, driver } = storeWith((sql) => {
      if (sql.startsWith('INSERT INTO tokenstore_refresh_token')) throw new Error('Connection terminated unexpectedly');
      return ok(1);
    });
    expect((await caught(store.rotateRefreshToken(rotation))).code).toBe(ErrorCode.BackendUnavailable);
    expect(driver.statements).not.toContain('COMMIT');
    expect(driver.released).toEqual([true]);
  });
});

describe('exclusive access tokens', () => {
  const holder = { ...accessToken({ key: 'holder-key', exclusive: true }) };
  const holderRow = {
    token_key: 'holder-key',
    token_value: null,
    consumer_key: 'client',
    user_id: 'user',
    user_type: 'APPLICATION_USER',
    scopes: 'a',
    grant_id: 'grant',
    state: 'ACTIVE',
    issued_at: NOW,
    expires_at: NOW + 3_600_000,
    state_changed_at: NOW,
    reuse_key: 'reuse',
    is_exclusive: 1,
    grant_type: 'password',
  };

  it('answers with the token that holds the reuse slot when the unique index refuses the insert', async () => {
    const { store } = storeWith((sql) => {
      if (sql.startsWith('INSERT'))
        throw Object.assign(new Error(`Duplicate entry 'reuse' for key 'tokenstore_access_token.${ACTIVE_REUSE_INDEX}'`), { errno: 1062 });
      return ok(1, [holderRow]);
    }, new MysqlDialect());
    expect(await store.insert('accessToken', accessToken({ key: 'mine', exclusive: true }))).toEqual({ inserted: false, active: holder });
  });

  it('tries again when the holder was revoked between the refusal and the look-up', async () => {
    let inserts = 0;
    const { store } = storeWith((sql) => {
      if (sql.startsWith('INSERT')) return ok(inserts++ === 0 ? 0 : 1);
      return ok(0, []);
    });
    expect(await store.insert('accessToken', accessToken({ exclusive: true }))).toEqual({ inserted: true });
    expect(inserts).toBe(2);
  });

  describe('when the driver does not name the violated index (DB2; SQL Server in some languages)', () => {
    const unnamedViolation = () => Object.assign(new Error('duplicate key'), { code: '23505' });

    it('answers with the active exclusive token that holds the reuse slot', async () => {
      const { store, driver } = storeWith((sql) => {
        if (sql.startsWith('INSERT')) throw unnamedViolation();
        return ok(1, [holderRow]);
      });
      expect(await store.insert('accessToken', accessToken({ key: 'mine', exclusive: true }))).toEqual({ inserted: false, active: holder });
      expect(driver.statements.map((sql) => sql.split(' ')[0])).toEqual(['INSERT', 'SELECT']);
    });

    it('reports CONFLICT when no exclusive token holds the reuse key (the token key was the duplicate)', async () => {
      const { store, driver } = storeWith((sql) => {
        if (sql.startsWith('INSERT')) throw unnamedViolation();
        return ok(0, []);
      });
      expect((await caught(store.insert('accessToken', accessToken({ exclusive: true })))).code).toBe(ErrorCode.Conflict);
      expect(driver.statements.map((sql) => sql.split(' ')[0])).toEqual(['INSERT', 'SELECT']);
    });
  });

  it('reports a duplicate token key as CONFLICT, not as a taken slot', async () => {
    const { store } = storeWith(() => {
      throw Object.assign(new Error(`Duplicate entry 'x' for key 'PRIMARY'`), { errno: 1062 });
    }, new MysqlDialect());
    expect((await caught(store.insert('accessToken', accessToken({ exclusive: true })))).code).toBe(ErrorCode.Conflict);
  });
});

describe('purge', () => {
  const criteria = { now: NOW, expiredBefore: NOW, inactiveBefore: NOW - 86_400_000, limit: 100 };

  it('without RETURNING, archives by locking the batch’s keys, copying and deleting exactly those in one transaction', async () => {
    const { store, driver } = storeWith(
      (sql) => (sql.startsWith('(SELECT') ? ok(2, [{ token_key: 'k1' }, { token_key: 'k2' }]) : ok(2)),
      new MysqlDialect(),
      { archive: true },
    );
    expect(await store.purge('accessToken', criteria)).toBe(2);
    expect(driver.statements.map((sql) => sql.slice(0, 40))).toEqual([
      'BEGIN',
      expect.stringContaining('(SELECT token_key FROM tokenstore_access'),
      expect.stringContaining('INSERT INTO tokenstore_access_token_audi'),
      expect.stringContaining('DELETE FROM tokenstore_access_token WHER'),
      'COMMIT',
    ]);
    expect(driver.statements[2]).toContain('IN (?, ?)');
  });

  it('with RETURNING, archives and deletes in one statement', async () => {
    const { store, driver } = storeWith(() => ok(3), new PostgresDialect(), { archive: true });
    expect(await store.purge('refreshToken', criteria)).toBe(3);
    expect(driver.statements).toHaveLength(1);
    expect(driver.statements[0]).toContain('RETURNING');
    expect(driver.statements[0]).toContain('INSERT INTO tokenstore_refresh_token_audit');
  });

  it('ends the purge run with a BACKEND_UNAVAILABLE error event when the connection drops during a batch', async () => {
    const { store } = storeWith((sql) => {
      if (sql.includes('DELETE FROM')) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      return ok(1);
    });
    const events = new TokenStoreEventEmitter();
    const seen: unknown[] = [];
    events.on('purge', (event) => seen.push(event));
    const purger = new Purger({
      store,
      clock: new ManualClock(NOW),
      events,
      purge: { intervalSeconds: 0, batchSize: 100, timeBudgetMs: 5000 },
      retention: { inactiveSeconds: 86_400, expiredSeconds: 0 },
    });
    const run = await purger.runOnce();
    expect(run.error?.code).toBe(ErrorCode.BackendUnavailable);
    expect(seen).toEqual([run]);
  });
});

describe('lifecycle and options', () => {
  it('refuses every call after close with CLOSED', async () => {
    const { store, driver } = storeWith(() => ok(1));
    await store.close();
    expect(driver.destroyed).toBe(true);
    expect((await caught(store.get('accessToken', 'k'))).code).toBe(ErrorCode.Closed);
    expect((await caught(store.acquirePurgeLease('me', NOW, 1000))).code).toBe(ErrorCode.Closed);
  });

  it('leaves an injected pool open on close: its owner ends it', async () => {
    const pool = { query: vi.fn(), connect: vi.fn(), end: vi.fn(async () => undefined) };
    const store = new SqlStore({ dialect: new PostgresDialect(), driver: new PostgresDriver(pool) });
    await store.close();
    expect(pool.end).not.toHaveBeenCalled();
    await new PostgresDriver(pool, { ownsPool: true }).destroy();
    expect(pool.end).toHaveBeenCalledOnce();
  });

  it.each([
    [{ archive: 'yes' }, 'archive'],
    [{ retry: { attempts: 0 } }, 'retry.attempts'],
    [{ retry: { baseDelayMs: -1 } }, 'retry.baseDelayMs'],
    [{ migrationsDirectory: '' }, 'migrationsDirectory'],
  ])('rejects %j at construction, naming %s', (options, field) => {
    const build = () => new SqlStore({ dialect: new PostgresDialect(), driver: new ScriptedDriver(() => ok()), ...(options as object) });
    expect(build).toThrow(expect.objectContaining({ code: ErrorCode.Misconfiguration, field }));
  });

  it('rejects a missing dialect or driver at construction', () => {
    expect(() => new SqlStore({ dialect: undefined as unknown as SqlDialect, driver: new ScriptedDriver(() => ok()) })).toThrow(
      expect.objectContaining({ field: 'dialect' }),
    );
    expect(() => new SqlStore({ dialect: new PostgresDialect(), driver: {} as SqlDriver })).toThrow(
      expect.objectContaining({ field: 'driver' }),
    );
  });

  it('pages with a numeric cursor (a row number), never a lookup key', async () => {
    const row = (rowId: number) => ({
      consumer_key: `c${rowId}`,
      secret_key: SECRET_KEY,
      grant_types: '[]',
      redirect_uris: '[]',
      created_at: 1,
      updated_at: 1,
      row_id: String(rowId),
    });
    const { store } = storeWith(() => ok(2, [row(7), row(9)]));
    const page = await store.scan('client', { cursor: null, limit: 2 });
    expect(page.cursor).toBe('9');
    expect((await caught(store.scan('client', { cursor: SECRET_KEY, limit: 2 }))).code).toBe(ErrorCode.InvalidInput);
  });
});

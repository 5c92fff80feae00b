import { createServer } from 'node:net';
import { ErrorCode, isTokenStoreError } from '@tokenstore/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSqlStore, parseDatabaseUrl } from '../src/index.js';

function misconfiguration(action: () => unknown): { message: string; field: string | undefined } {
  try {
    action();
  } catch (error) {
    if (isTokenStoreError(error, ErrorCode.Misconfiguration)) return { message: error.message, field: error.field };
    throw error;
  }
  throw new Error('expected a MISCONFIGURATION error');
}

describe('database URLs', () => {
  it.each([
    ['postgres://u:p@db:5432/tokens', 'postgres'],
    ['postgresql://u@db/tokens', 'postgres'],
    ['mysql://root@127.0.0.1:3306/tokens', 'mysql'],
    ['mariadb://root@127.0.0.1/tokens', 'mysql'],
    ['mssql://sa:pw@db:1433/tokens', 'mssql'],
    ['sqlserver://sa:pw@db/tokens', 'mssql'],
    ['oracle://app:pw@db:1521/FREEPDB1', 'oracle'],
    ['db2://db2inst1:pw@db:50000/TOKENS', 'db2'],
  ])('recognises %s as %s', (url, kind) => {
    expect(parseDatabaseUrl(url).kind).toBe(kind);
  });

  it('reads poolSize and schema and removes them from the URL handed to the driver', () => {
    const parsed = parseDatabaseUrl('postgres://u:p@db:5432/tokens?poolSize=25&schema=auth&sslmode=require');
    expect(parsed.poolSize).toBe(25);
    expect(parsed.schema).toBe('auth');
    expect(parsed.connectionUrl.searchParams.has('poolSize')).toBe(false);
    expect(parsed.connectionUrl.searchParams.has('schema')).toBe(false);
    expect(parsed.connectionUrl.searchParams.get('sslmode')).toBe('require');
  });

  it('leaves poolSize and schema undefined when absent', () => {
    expect(parseDatabaseUrl('mysql://root@db/tokens')).toMatchObject({ poolSize: undefined, schema: undefined });
  });

  it('refuses an unknown scheme, listing the supported ones', () => {
    const error = misconfiguration(() => parseDatabaseUrl('redis://cache:6379'));
    expect(error.field).toBe('url');
    expect(error.message).toContain('redis:');
    expect(error.message).toContain('postgres://');
    expect(error.message).toContain('db2://');
  });

  it.each([
    ['not a url', 'is not a valid URL'],
    ['', 'non-empty'],
    ['postgres://u@db/x?poolSize=0', 'poolSize'],
    ['postgres://u@db/x?poolSize=ten', 'poolSize'],
    ['postgres://u@db/x?schema=a;drop', 'schema'],
  ])('refuses %j naming the problem', (url, fragment) => {
    expect(misconfiguration(() => parseDatabaseUrl(url)).message).toContain(fragment);
  });

  it('never echoes the URL, which may carry a password', () => {
    const error = misconfiguration(() => parseDatabaseUrl('postgres://user:s3cr3t-pw@db/x?poolSize=-1'));
    expect(error.message).not.toContain('s3cr3t-pw');
  });

  describe('SQL Server, Oracle and DB2 URLs reach their driver', () => {
    let closedPort: number;
    beforeAll(async () => {
      closedPort = await unusedPort();
    });

    it('reports an unreachable SQL Server as BACKEND_UNAVAILABLE, not as a configuration error', async () => {
      const error = await createSqlStore({ url: `mssql://sa:pw@127.0.0.1:${closedPort}/tokens?connectTimeout=2000` }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: ErrorCode.BackendUnavailable, backend: 'mssql' });
      expect((error as Error).message).not.toContain('pw@');
    });

    it('accepts sqlserver:// as SQL Server', async () => {
      const error = await createSqlStore({ url: `sqlserver://sa:pw@127.0.0.1:${closedPort}/tokens?connectTimeout=2000` }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: ErrorCode.BackendUnavailable, backend: 'mssql' });
    });

    it('creates an Oracle store whose first statement reports an unreachable database as BACKEND_UNAVAILABLE', async () => {
      // oracledb opens connections on demand, so creating the store succeeds; the outage shows on use.
      const store = await createSqlStore({ url: `oracle://app:pw@127.0.0.1:${closedPort}/FREEPDB1?transport_connect_timeout=2` });
      try {
        expect(store.backend).toBe('oracle');
        const error = await store.findActiveAccessToken('reuse').catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: ErrorCode.BackendUnavailable, backend: 'oracle' });
        expect((error as Error).message).not.toContain('pw@');
      } finally {
        await store.close();
      }
    });

    it('names ibm_db when the DB2 driver package is not installed', async () => {
      const error = await createSqlStore({ url: `db2://u:pw@127.0.0.1:${closedPort}/TOKENS` }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: ErrorCode.DriverUnavailable, backend: 'db2' });
      expect((error as Error).message).toContain('ibm_db');
      expect((error as Error).message).not.toContain('pw@');
    });
  });

  it('refuses options that give both a URL and a pool, or neither', async () => {
    const pool = { query: async () => ({ rows: [], rowCount: 0 }), connect: async () => ({}) as never, end: async () => undefined };
    const both = await createSqlStore({ url: 'postgres://u@db/x', dialect: 'postgres', pool } as never).catch((e: unknown) => e);
    expect(isTokenStoreError(both, ErrorCode.Misconfiguration)).toBe(true);
    const neither = await createSqlStore({ dialect: 'postgres' } as never).catch((e: unknown) => e);
    expect(isTokenStoreError(neither, ErrorCode.Misconfiguration)).toBe(true);
    const unknown = await createSqlStore({ dialect: 'sqlite', pool } as never).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: ErrorCode.Misconfiguration, field: 'dialect' });
  });

  it('creates a store around an injected pool without touching the database', async () => {
    let queries = 0;
    const pool = {
      query: async () => {
        queries++;
        return { rows: [], rowCount: 0 };
      },
      connect: async () => ({}) as never,
      end: async () => undefined,
    };
    const store = await createSqlStore({ dialect: 'postgresql', pool });
    expect(store.backend).toBe('postgres');
    expect(queries).toBe(0);
  });
});

/** A TCP port on 127.0.0.1 that nothing listens on: one the OS just handed out and we released. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

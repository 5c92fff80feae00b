import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { mssqlDialectDefinition } from '../src/dialects/mssql/mssql-definition.js';
import { MssqlDialect } from '../src/dialects/mssql/mssql-dialect.js';
import {
  MssqlDriver,
  type MssqlParameterTypes,
  type MssqlPool,
  type MssqlPooledConnection,
  type MssqlRequest,
  type MssqlResult,
  parameterType,
} from '../src/dialects/mssql/mssql-driver.js';
import { mssqlPoolConfig } from '../src/dialects/mssql/mssql-url.js';
import {
  ACTIVE_REUSE_INDEX,
  ALL_TABLES,
  ARTIFACT_COLUMNS,
  ARTIFACT_TABLE,
  AUDIT_TABLES,
  CLIENT_TABLE,
  LEASE_TABLE,
  parseDatabaseUrl,
  TOKEN_TABLES,
} from '../src/index.js';
import { CLIENT_COLUMNS, TOKEN_COLUMNS } from '../src/schema/tables.js';
import {
  catalogStatements,
  checkAllSyntax,
  checkSyntax,
  codeOnly,
  declaredColumns,
  declaredIndexes,
  isBalanced,
  leftoverMarkers,
  placeholders,
  runnerStatements,
  type SyntaxCheck,
  schemaStatements,
} from './dialect-sql.checks.js';

/** The parts of the `mssql` module these tests use (it ships no type declarations). */
interface MssqlModule extends MssqlParameterTypes {
  RequestError: new (message: unknown, code?: string) => Error;
  ConnectionError: new (message: unknown, code?: string) => Error;
  ConnectionPool: new (config: Record<string, unknown>) => MssqlPool;
}
const mssql = (await import('mssql' as string)).default as MssqlModule;

const dialect = new MssqlDialect();
const statements = catalogStatements(dialect);
const runner = runnerStatements(dialect);
const schema = [
  ...schemaStatements('mssql', '001_tokens.sql'),
  ...schemaStatements('mssql', '002_audit.sql'),
  ...schemaStatements('mssql', '003_client_policy.sql'),
  ...schemaStatements('mssql', '004_count_index.sql'),
  ...schemaStatements('mssql', '005_artifacts.sql'),
  ...schemaStatements('mssql', '006_confirmation.sql'),
  ...schemaStatements('mssql', '007_cluster_on_row_id.sql'),
];

/**
 * node-sql-parser's TransactSQL grammar parses most of what the dialect generates. What it lacks:
 */
const TRANSACT_SQL: SyntaxCheck = {
  database: 'TransactSQL',
  preparePlaceholders: (sql) => sql,
  reductions: [],
  unsupported: [
    { kind: 'MERGE', matches: /^MERGE INTO/, why: 'the grammar has no MERGE statement' },
    { kind: 'DELETE … OUTPUT … INTO', matches: /\nOUTPUT deleted\./, why: 'the grammar has no OUTPUT clause' },
    {
      kind: 'EXEC @result = procedure',
      matches: /EXEC @result = sp_getapplock/,
      why: 'the grammar has no EXEC with a return-value variable',
    },
  ],
};

describe('SQL Server dialect: the statements the store sends', () => {
  it('compiles every statement of the catalog for every table (snapshot)', () => {
    expect(Object.fromEntries(statements.map((statement) => [statement.name, statement.sql]))).toMatchSnapshot();
  });

  it('compiles the migration runner statements (snapshot)', () => {
    expect(Object.fromEntries(runner.map((statement) => [statement.name, statement.sql]))).toMatchSnapshot();
  });

  it('covers the archive-in-one-statement purge of every token table', () => {
    const names = statements.map((statement) => statement.name);
    for (const kind of Object.keys(TOKEN_TABLES)) expect(names).toContain(`${kind}.purgeAndArchive`);
  });

  it.each(statements.map((statement) => [statement.name, statement] as const))(
    '%s binds one parameter per placeholder @p1…@pN, in order',
    (_name, statement) => {
      const found = placeholders(statement.sql, /@p\d+/g);
      expect(found).toEqual(statement.params.map((_, index) => `@p${index + 1}`));
      expect(leftoverMarkers(statement.sql)).toEqual([]);
      expect(isBalanced(statement.sql)).toBe(true);
    },
  );

  it('parses every statement with node-sql-parser (TransactSQL), except the kinds its grammar lacks', () => {
    const { failures, unsupportedSeen } = checkAllSyntax(TRANSACT_SQL, [...statements, ...runner]);
    expect(failures).toEqual([]);
    expect(unsupportedSeen).toEqual(TRANSACT_SQL.unsupported.map((entry) => entry.kind).sort());
  });

  it('has a syntax check that can fail: a malformed statement does not parse', () => {
    expect(checkSyntax(TRANSACT_SQL, 'SELECT TOP (@p1) FROM WHERE').error).toBeDefined();
  });

  it('inserts a lease row only when absent, serialised on its key by HOLDLOCK', () => {
    const sql = dialect.leaseStatements(LEASE_TABLE).insertIfAbsent;
    expect(sql).toMatch(/^MERGE INTO tokenstore_lease WITH \(HOLDLOCK\) AS target/);
    expect(sql).toContain('ON target.lease_name = source.lease_name');
    expect(sql).toMatch(/WHEN NOT MATCHED THEN INSERT \(lease_name, holder, expires_at\)/);
    // MERGE must be terminated by a semicolon.
    expect(sql.trimEnd().endsWith(';')).toBe(true);
  });

  it('skips a taken reuse slot under a key-range update lock, so concurrent inserts queue instead of failing', () => {
    const sql = dialect.insertExclusiveAccessToken(TOKEN_TABLES.accessToken, TOKEN_COLUMNS.accessToken);
    expect(sql).toContain('WITH (UPDLOCK, HOLDLOCK)');
    expect(sql).toContain("WHERE reuse_key = :reuse_key AND state = 'ACTIVE' AND is_exclusive = 1");
  });

  it('finds the active token with the same literal predicate as the filtered index, so the index applies', () => {
    const index = schema.find((statement) => statement.includes(`INDEX ${ACTIVE_REUSE_INDEX}`))!;
    const filter = /WHERE (.+)$/.exec(index)![1]!;
    expect(dialect.findActiveAccessToken(TOKEN_TABLES.accessToken, ['token_key'])).toContain(`reuse_key = :reuseKey AND ${filter}`);
  });

  it('purges through the expiry index and the filtered retired-row index, skipping locked rows', () => {
    const target = { table: TOKEN_TABLES.refreshToken, auditTable: AUDIT_TABLES.refreshToken, columns: TOKEN_COLUMNS.refreshToken };
    const purge = dialect.purgeBatch(target);
    expect(purge).toMatch(/^DELETE TOP \(:limit\) FROM tokenstore_refresh_token WITH \(ROWLOCK, READPAST\)/);
    const retired = schema.find((statement) => statement.includes('INDEX tokenstore_refresh_token_retired'))!;
    // Each branch opens with its index's range; the other retention window only filters it.
    expect(purge).toContain(
      `WHERE ${/WHERE (.+)$/.exec(retired)![1]} AND state_changed_at <= :inactiveBefore AND (expires_at IS NULL OR expires_at <= :expiredBefore) ORDER BY state_changed_at`,
    );
    expect(purge).toContain(
      "WHERE expires_at <= :expiredBefore AND (state = 'ACTIVE' OR state_changed_at <= :inactiveBefore) ORDER BY expires_at",
    );
    expect(dialect.selectPurgeableKeys(target)).toContain('WITH (UPDLOCK, ROWLOCK, READPAST)');
    expect(dialect.purgeAndArchiveBatch(target)).toContain(
      `OUTPUT ${TOKEN_COLUMNS.refreshToken.map((column) => `deleted.${column}`).join(', ')}, CAST(:now AS bigint) INTO tokenstore_refresh_token_audit`,
    );
  });

  it('upserts artifacts with one MERGE serialised on the key by HOLDLOCK, and purges them in TOP batches through the filtered expiry index', () => {
    const upsert = dialect.upsert(ARTIFACT_TABLE, ARTIFACT_COLUMNS, ['model', 'artifact_key']);
    expect(upsert).toMatch(
      /^MERGE INTO tokenstore_artifact WITH \(HOLDLOCK\) AS target\nUSING \(SELECT :model AS model, :artifact_key AS artifact_key\) AS source\n/,
    );
    expect(upsert).toContain('ON target.model = source.model AND target.artifact_key = source.artifact_key');
    expect(upsert).toContain('WHEN MATCHED THEN UPDATE SET artifact_value = :artifact_value, payload = :payload,');
    expect(upsert).not.toMatch(/UPDATE SET [^\n]*\bmodel =/);
    expect(upsert.trimEnd().endsWith(';')).toBe(true);
    const purge = dialect.purgeExpiredArtifacts(ARTIFACT_TABLE);
    const index = schema.find((statement) => statement.includes(`INDEX ${ARTIFACT_TABLE}_expires_at`))!;
    expect(purge).toMatch(/^DELETE TOP \(:limit\) FROM tokenstore_artifact WITH \(ROWLOCK, READPAST\)\n/);
    expect(purge).toContain(`WHERE expires_at <= :expiredBefore AND ${/WHERE (.+)$/.exec(index)![1]}`);
    const consume = statements.find((statement) => statement.name === 'artifact.consume')!;
    expect(consume.sql).toBe(
      'UPDATE tokenstore_artifact SET consumed_at = @p1 WHERE model = @p2 AND artifact_key = @p3 AND consumed_at IS NULL',
    );
  });

  it('takes a session-owned app lock without waiting, and releases it only when held', () => {
    expect(dialect.migrationLock.tryAcquire).toContain("@LockOwner = 'Session', @LockTimeout = 0");
    expect(dialect.migrationLock.tryAcquire).toMatch(/AS acquired;$/);
    expect(dialect.migrationLock.release).toMatch(/^IF APPLOCK_MODE\('public', N'tokenstore_migrations', 'Session'\) <> 'NoLock'/);
  });

  it('declares capabilities that match the statements: OUTPUT, READPAST, filtered indexes, transactional DDL', () => {
    expect(dialect.capabilities).toEqual({
      supportsReturning: false,
      supportsOutput: true,
      supportsTransactionalDdl: true,
      supportsSkipLocked: true,
      supportsPartialIndexes: true,
    });
    expect(dialect.placeholder(3)).toBe('@p3');
    expect(dialect.booleanParameter(true)).toBe(true);
    expect(dialect.explain).toBeUndefined();
  });
});

describe('SQL Server schema files', () => {
  const tables = declaredColumns(schema);
  const indexes = declaredIndexes(schema);

  it('parse statement by statement with node-sql-parser (TransactSQL), as the migration runner splits them', () => {
    const failures = schema.flatMap((sql) => {
      const verdict = checkSyntax(TRANSACT_SQL, sql);
      return verdict.error === undefined ? [] : [`${sql.split('\n').find((line) => !line.startsWith('--'))}: ${verdict.error}`];
    });
    expect(failures).toEqual([]);
  });

  it('create every table of the store, with every column its statements name', () => {
    expect([...tables.keys()].sort()).toEqual([...ALL_TABLES].sort());
    for (const [kind, table] of Object.entries(TOKEN_TABLES)) {
      const columns = [...TOKEN_COLUMNS[kind as keyof typeof TOKEN_COLUMNS], 'row_id'];
      expect([...tables.get(table)!.keys()]).toEqual(expect.arrayContaining(columns));
      const audit = AUDIT_TABLES[kind as keyof typeof AUDIT_TABLES];
      expect([...tables.get(audit)!.keys()].sort()).toEqual([...TOKEN_COLUMNS[kind as keyof typeof TOKEN_COLUMNS], 'archived_at'].sort());
    }
    expect([...tables.get(CLIENT_TABLE)!.keys()]).toEqual(expect.arrayContaining([...CLIENT_COLUMNS, 'row_id']));
    expect([...tables.get(ARTIFACT_TABLE)!.keys()]).toEqual([...ARTIFACT_COLUMNS]);
  });

  it('index the artifact lookups: grant, uid, user code and expiry', () => {
    for (const suffix of ['grant', 'uid', 'user_code', 'expires_at'])
      expect(
        schema.some((statement) => statement.startsWith(`CREATE INDEX ${ARTIFACT_TABLE}_${suffix} ON ${ARTIFACT_TABLE} (`)),
        suffix,
      ).toBe(true);
  });

  it('index every lookup of every token table', () => {
    for (const table of Object.values(TOKEN_TABLES)) {
      for (const suffix of ['key', 'user', 'consumer', 'grant', 'expires_at', 'retired', 'state'])
        expect(indexes.get(`${table}_${suffix}`)).toBe(table);
      // 007 replaced the unique row_id index by the clustered primary key on row_id.
      expect(indexes.has(`${table}_row_id`)).toBe(false);
    }
    expect(indexes.get(ACTIVE_REUSE_INDEX)).toBe(TOKEN_TABLES.accessToken);
    expect(schema.find((statement) => statement.includes(`UNIQUE INDEX ${ACTIVE_REUSE_INDEX}`))).toMatch(
      /WHERE state = 'ACTIVE' AND is_exclusive = 1$/,
    );
  });

  it('compare keys byte-wise: binary collation on lookup keys and identifiers', () => {
    for (const table of Object.values(TOKEN_TABLES)) {
      expect(tables.get(table)!.get('token_key')).toBe('varchar(512)');
    }
    const createAccess = schema.find((statement) => statement.includes(`CREATE TABLE ${TOKEN_TABLES.accessToken} `))!;
    for (const column of ['token_key', 'consumer_key', 'user_id', 'grant_id', 'reuse_key'])
      expect(createAccess).toMatch(new RegExp(`\\n  ${column}\\s+n?varchar\\(\\d+\\)\\s+COLLATE Latin1_General_BIN2 NOT NULL`));
  });

  it('give the audit tables no CHECK constraint, trigger or foreign key (OUTPUT … INTO refuses such a target)', () => {
    for (const statement of schemaStatements('mssql', '002_audit.sql'))
      expect(codeOnly(statement)).not.toMatch(/\b(CHECK|REFERENCES|TRIGGER)\b/);
  });

  it('cluster every token table on row_id, with token_key a unique nonclustered index, only while a table has the old keys (007)', () => {
    const cluster = schemaStatements('mssql', '007_cluster_on_row_id.sql');
    for (const table of Object.values(TOKEN_TABLES)) {
      const of = (pattern: string) => cluster.filter((statement) => statement.includes(pattern));
      expect(of(`CREATE UNIQUE NONCLUSTERED INDEX ${table}_key ON ${table} (token_key)`)).toHaveLength(1);
      expect(of(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY CLUSTERED (row_id)`)).toHaveLength(1);
      expect(of(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`)[0]).toContain(`INDEX_COL(N'${table}', index_id, 1) = N'token_key'`);
      for (const statement of of(`${table}`)) expect(statement).toMatch(/^IF (NOT )?EXISTS \(SELECT 1 FROM sys\.indexes WHERE /m);
    }
  });

  it('need no GO separators: the runner splits at semicolons', () => {
    for (const statement of schema) expect(statement).not.toMatch(/^\s*GO\s*$/m);
  });
});

/** An mssql RequestError as mssql raises it for a server error: tedious's error wrapped, `number` copied from its info. */
function serverError(number: number, message: string): Error {
  const tediousError = Object.assign(new Error(message), {
    code: 'EREQUEST',
    info: { number, state: 1, class: 14, lineNumber: 1, serverName: 'db', procName: '' },
  });
  return new mssql.RequestError(tediousError, 'EREQUEST');
}

describe('SQL Server error classification', () => {
  it('reports a duplicate primary key (2627) with its constraint name and nothing of the duplicate value', () => {
    const error = serverError(
      2627,
      "Violation of PRIMARY KEY constraint 'tokenstore_access_token_pkey'. Cannot insert duplicate key in object 'dbo.tokenstore_access_token'. The duplicate key value is (secret-key).",
    );
    const classified = dialect.classifyError(error);
    expect(classified).toEqual({ kind: 'unique-violation', code: '2627', constraint: 'tokenstore_access_token_pkey' });
    expect(JSON.stringify(classified)).not.toContain('secret-key');
  });

  it('reports a taken reuse slot (2601 on the filtered index) by the index name the store looks for', () => {
    const error = serverError(
      2601,
      `Cannot insert duplicate key row in object 'dbo.tokenstore_access_token' with unique index '${ACTIVE_REUSE_INDEX}'. The duplicate key value is (abc).`,
    );
    expect(dialect.classifyError(error)).toEqual({ kind: 'unique-violation', code: '2601', constraint: ACTIVE_REUSE_INDEX });
  });

  it('reports a unique violation in another server language without a constraint name', () => {
    expect(dialect.classifyError(serverError(2601, 'Impossible d’insérer une ligne de clé en double…'))).toEqual({
      kind: 'unique-violation',
      code: '2601',
      constraint: undefined,
    });
  });

  it.each([
    [1205, 'deadlock victim'],
    [1222, 'lock request time out'],
    [3960, 'snapshot update conflict'],
    [41302, 'memory-optimized update conflict'],
  ])('retries error %i (%s)', (number) => {
    expect(dialect.classifyError(serverError(number, 'Transaction was deadlocked'))).toEqual({ kind: 'retryable', code: String(number) });
  });

  it.each([
    ['ESOCKET', new mssql.ConnectionError('Failed to connect to db:1433 - Could not connect (sequence)', 'ESOCKET')],
    ['ECONNCLOSED', new mssql.ConnectionError('Connection is closed.', 'ECONNCLOSED')],
    ['ETIMEOUT', new mssql.RequestError('Timeout: Request failed to complete in 15000ms', 'ETIMEOUT')],
    ['ENOTOPEN', new mssql.ConnectionError('Connection not yet open.', 'ENOTOPEN')],
    ['EINVALIDSTATE', new mssql.RequestError('Requests can only be made in the LoggedIn state, not the Final state', 'EINVALIDSTATE')],
  ])('treats %s as a lost or unreachable connection', (code, error) => {
    expect(dialect.classifyError(error)).toEqual({ kind: 'connection', code });
  });

  it('treats Azure SQL transient errors (40613 database unavailable) as connection failures', () => {
    expect(dialect.classifyError(serverError(40613, 'Database on server is not currently available.'))).toEqual({
      kind: 'connection',
      code: '40613',
    });
  });

  it("treats the pool's acquire timeout and a refused socket as connection failures", () => {
    expect(
      dialect.classifyError(Object.assign(new Error('operation timed out for an unknown reason'), { name: 'TimeoutError' })).kind,
    ).toBe('connection');
    const refused = new mssql.ConnectionError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) as unknown as string,
    );
    expect(dialect.classifyError(refused).kind).toBe('connection');
  });

  it.each([
    [208, "Invalid object name 'tokenstore_access_token'."],
    [207, "Invalid column name 'rotated_at'."],
  ])('reports error %i as a missing schema', (number, message) => {
    expect(dialect.classifyError(serverError(number, message))).toEqual({ kind: 'missing-schema', code: String(number) });
  });

  it('classifies anything else as other: permission denied (229), failed login, a non-error value', () => {
    expect(dialect.classifyError(serverError(229, "The SELECT permission was denied on the object 'tokenstore_access_token'."))).toEqual({
      kind: 'other',
      code: '229',
    });
    expect(dialect.classifyError(new mssql.ConnectionError("Login failed for user 'app'.", 'ELOGIN'))).toEqual({
      kind: 'other',
      code: 'ELOGIN',
    });
    expect(dialect.classifyError('boom')).toEqual({ kind: 'other', code: undefined });
  });
});

/** A fake `mssql` request: records inputs and the query, answers with a programmed result. */
class FakeRequest implements MssqlRequest {
  parent: unknown;
  readonly inputs: Array<{ name: string; type: unknown; value: unknown }> = [];
  command: string | undefined;

  constructor(
    pool: FakePool,
    readonly result: MssqlResult,
    readonly log: FakeRequest[],
  ) {
    this.parent = pool;
  }

  input(name: string, type: unknown, value: unknown): this {
    this.inputs.push({ name, type, value });
    return this;
  }

  async query(command: string): Promise<MssqlResult> {
    this.command = command;
    this.log.push(this);
    return this.result;
  }
}

class FakePool implements MssqlPool {
  readonly requests: FakeRequest[] = [];
  readonly connection = { close: vi.fn() } satisfies MssqlPooledConnection;
  readonly released: MssqlPooledConnection[] = [];
  result: MssqlResult = { recordset: undefined, rowsAffected: [] };
  closed = false;
  readonly connected = true;
  readonly config = { options: {} };

  request(): FakeRequest {
    return new FakeRequest(this, this.result, this.requests);
  }

  async acquire(): Promise<MssqlPooledConnection> {
    return this.connection;
  }

  release(connection: MssqlPooledConnection): void {
    this.released.push(connection);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const types: MssqlParameterTypes = mssql;

describe('SQL Server driver adapter', () => {
  it('declares every parameter from a fixed set of types: varchar for ASCII, nvarchar otherwise, bigint, bit', () => {
    expect(parameterType(types, 'abc')).toEqual(mssql.VarChar(8000));
    expect(parameterType(types, 'x'.repeat(8001))).toEqual(mssql.VarChar(mssql.MAX));
    expect(parameterType(types, 'Zoë')).toEqual(mssql.NVarChar(4000));
    expect(parameterType(types, 'ë'.repeat(4001))).toEqual(mssql.NVarChar(mssql.MAX));
    expect(parameterType(types, 1_893_456_000_000)).toBe(mssql.BigInt);
    expect(parameterType(types, 3)).toBe(mssql.BigInt);
    expect(parameterType(types, 10n)).toBe(mssql.BigInt);
    expect(parameterType(types, 1.5)).toBe(mssql.Float);
    expect(parameterType(types, true)).toBe(mssql.Bit);
    expect(parameterType(types, null)).toEqual(mssql.VarChar(8000));
  });

  it('binds parameters as p1…pN and returns the first result set and the rows affected', async () => {
    const pool = new FakePool();
    pool.result = { recordset: [{ token_key: 'k' }], rowsAffected: [1, 2] };
    const driver = new MssqlDriver(pool, { types });
    const result = await driver.query('SELECT token_key FROM t WHERE token_key = @p1 AND expires_at > @p2', ['k', 5]);
    expect(result).toEqual({ rows: [{ token_key: 'k' }], rowCount: 3 });
    const [request] = pool.requests;
    expect(request!.inputs).toEqual([
      { name: 'p1', type: mssql.VarChar(8000), value: 'k' },
      { name: 'p2', type: mssql.BigInt, value: 5 },
    ]);
    expect(request!.parent).toBe(pool);
  });

  it('loads the parameter types from mssql when none are given', async () => {
    const pool = new FakePool();
    await new MssqlDriver(pool).query('SELECT 1 WHERE @p1 = 1', [1]);
    expect(pool.requests[0]!.inputs[0]!.type).toBe(mssql.BigInt);
  });

  it('runs a borrowed connection’s statements on one pinned connection, with T-SQL transactions', async () => {
    const pool = new FakePool();
    const driver = new MssqlDriver(pool, { types });
    const connection = await driver.acquireConnection();
    await driver.beginTransaction(connection);
    await connection.query('UPDATE t SET a = @p1', ['x']);
    await driver.commitTransaction(connection);
    await driver.rollbackTransaction(connection);
    expect(pool.requests.map((request) => request.command)).toEqual([
      'SET TRANSACTION ISOLATION LEVEL READ COMMITTED; BEGIN TRANSACTION;',
      'UPDATE t SET a = @p1',
      'COMMIT TRANSACTION;',
      'IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;',
    ]);
    // Every request borrows from the pinned parent, which always hands out the same connection.
    const parents = new Set(pool.requests.map((request) => request.parent));
    expect(parents.size).toBe(1);
    const parent = [...parents][0] as { acquire(request: unknown, callback: (error: unknown, connection: unknown) => void): void };
    expect(parent).not.toBe(pool);
    const handedOut = await new Promise((resolve) => parent.acquire({}, (_error, pinned) => resolve(pinned)));
    expect(handedOut).toBe(pool.connection);
    await driver.releaseConnection(connection, false);
    expect(pool.released).toEqual([pool.connection]);
    expect(pool.connection.close).not.toHaveBeenCalled();
  });

  it('drives the real mssql Request on the pinned connection: it borrows that connection and declares the parameters', async () => {
    // A tedious connection stand-in: records what mssql sends it and answers like a server would.
    const sent: Array<{ sql: string; parameters: Array<[string, string, unknown]> }> = [];
    class FakeTediousConnection extends EventEmitter {
      execSql(request: {
        sqlTextOrProcedure: string;
        parameters: Array<{ name: string; type: { name: string }; value: unknown }>;
        emit(event: string, ...args: unknown[]): void;
        callback(error: Error | null, rowCount: number): void;
      }) {
        sent.push({ sql: request.sqlTextOrProcedure, parameters: request.parameters.map((p) => [p.name, p.type.name, p.value]) });
        if (request.sqlTextOrProcedure.startsWith('SELECT')) {
          const metadata = { colName: 'token_key', type: { name: 'VarChar' } };
          request.emit('columnMetadata', [metadata]);
          request.emit('row', [{ value: 'k', metadata }]);
        }
        request.emit('doneInProc', 1, true);
        request.callback(null, 1);
      }
    }
    const tedious = new FakeTediousConnection();
    const pool = new mssql.ConnectionPool({ server: 'db.example', options: {} });
    Object.defineProperty(pool, 'connected', { get: () => true });
    const release = vi.fn();
    Object.assign(pool, { acquire: async () => tedious, release });
    const driver = new MssqlDriver(pool, { types });
    const connection = await driver.acquireConnection();
    expect(await connection.query('UPDATE t SET a = 1 WHERE k = @p1 AND n = @p2', ['k', 5])).toEqual({ rows: [], rowCount: 1 });
    expect(await connection.query('SELECT token_key FROM t WHERE k = @p1', ['Zoë'])).toEqual({ rows: [{ token_key: 'k' }], rowCount: 1 });
    expect(sent).toEqual([
      {
        sql: 'UPDATE t SET a = 1 WHERE k = @p1 AND n = @p2',
        parameters: [
          ['p1', 'VarChar', 'k'],
          ['p2', 'BigInt', 5],
        ],
      },
      { sql: 'SELECT token_key FROM t WHERE k = @p1', parameters: [['p1', 'NVarChar', 'Zoë']] },
    ]);
    // mssql handed the connection back to the pinned parent, not to the pool, between requests.
    expect(release).not.toHaveBeenCalled();
    await driver.releaseConnection(connection, false);
    expect(release).toHaveBeenCalledWith(tedious);
  });

  it('closes a broken connection before returning it, so the pool replaces it', async () => {
    const pool = new FakePool();
    const driver = new MssqlDriver(pool, { types });
    await driver.releaseConnection(await driver.acquireConnection(), true);
    expect(pool.connection.close).toHaveBeenCalledOnce();
    expect(pool.released).toEqual([pool.connection]);
  });

  it('closes the pool on destroy only when the store owns it', async () => {
    const injected = new FakePool();
    await new MssqlDriver(injected, { types }).destroy();
    expect(injected.closed).toBe(false);
    const owned = new FakePool();
    await new MssqlDriver(owned, { types, ownsPool: true }).destroy();
    expect(owned.closed).toBe(true);
  });

  it('is the driver the registry entry builds around an injected pool', () => {
    expect(mssqlDialectDefinition.createDialect()).toBeInstanceOf(MssqlDialect);
    expect(mssqlDialectDefinition.createDriver(new FakePool(), { ownsPool: false })).toBeInstanceOf(MssqlDriver);
  });
});

describe('SQL Server URLs', () => {
  it('maps mssql:// and sqlserver:// URLs to an mssql pool config', () => {
    expect(
      mssqlPoolConfig(parseDatabaseUrl('mssql://sa:p%40ss@db.example:1433/tokens?encrypt=true&trustServerCertificate=true&poolSize=20')),
    ).toEqual({
      server: 'db.example',
      port: 1433,
      database: 'tokens',
      user: 'sa',
      password: 'p@ss',
      options: { encrypt: true, trustServerCertificate: true },
      pool: { max: 20 },
    });
    expect(mssqlPoolConfig(parseDatabaseUrl('sqlserver://db.example?instanceName=SQLEXPRESS&requestTimeout=30000'))).toEqual({
      server: 'db.example',
      options: { instanceName: 'SQLEXPRESS', requestTimeout: 30000 },
    });
  });

  it('refuses unknown parameters, bad values and schema, naming the parameter but never the URL', () => {
    const secretUrl = 'mssql://sa:hunter2@db/tokens';
    expect(() => mssqlPoolConfig(parseDatabaseUrl(`${secretUrl}?encrypt=yes`))).toThrow(/parameter encrypt must be true or false/);
    expect(() => mssqlPoolConfig(parseDatabaseUrl(`${secretUrl}?pooling=1`))).toThrow(/unknown SQL Server parameter "pooling"/);
    expect(() => mssqlPoolConfig(parseDatabaseUrl(`${secretUrl}?schema=app`))).toThrow(/schema is not supported/);
    try {
      mssqlPoolConfig(parseDatabaseUrl(`${secretUrl}?connectTimeout=soon`));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

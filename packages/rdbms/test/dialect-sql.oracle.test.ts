import { describe, expect, it, vi } from 'vitest';
import { oracleDialectDefinition } from '../src/dialects/oracle/oracle-definition.js';
import { OracleDialect } from '../src/dialects/oracle/oracle-dialect.js';
import {
  type OracleConnection,
  type OracleConstants,
  OracleDriver,
  type OraclePool,
  toQueryResult,
} from '../src/dialects/oracle/oracle-driver.js';
import { oraclePoolAttributes } from '../src/dialects/oracle/oracle-url.js';
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
  codeOnly,
  declaredColumns,
  declaredIndexes,
  isBalanced,
  leftoverMarkers,
  placeholders,
  runnerStatements,
  schemaStatements,
} from './dialect-sql.checks.js';

/*
 * node-sql-parser has no Oracle grammar (and none of its grammars accepts Oracle's MERGE-free
 * hint inserts, FETCH FIRST with binds, virtual columns or PL/SQL), so Oracle statements are
 * checked here for what can be checked without a server: bind numbering against the parameters,
 * no named marker left over, balanced parentheses and quotes, no syntax of another database
 * (LIMIT, TOP, `?`, `AS` before a table alias, a trailing semicolon on SQL), no Oracle reserved
 * word as a name, identifier lengths, and the schema's tables, columns and indexes. Whether Oracle
 * accepts them is for conformance.test.ts against a real server.
 */

/** The parts of the `oracledb` module these tests use (it ships no type declarations). */
interface OracledbModule extends OracleConstants {
  readonly DB_TYPE_NUMBER: unknown;
}
const oracledb = (await import('oracledb' as string)).default as OracledbModule;

const dialect = new OracleDialect();
const statements = catalogStatements(dialect);
const runner = runnerStatements(dialect);
const schema = [
  ...schemaStatements('oracle', '001_tokens.sql'),
  ...schemaStatements('oracle', '002_audit.sql'),
  ...schemaStatements('oracle', '003_client_policy.sql'),
  ...schemaStatements('oracle', '004_count_index.sql'),
  ...schemaStatements('oracle', '005_artifacts.sql'),
  ...schemaStatements('oracle', '006_confirmation.sql'),
  ...schemaStatements('oracle', '007_cluster_on_row_id.sql'),
];

/** V$RESERVED_WORDS with RESERVED = 'Y' (plus common traps): none may name a table or column. */
const ORACLE_RESERVED = new Set(
  `ACCESS ADD ALL ALTER AND ANY AS ASC AUDIT BETWEEN BY CHAR CHECK CLUSTER COLUMN COMMENT COMPRESS CONNECT CREATE CURRENT DATE DECIMAL
DEFAULT DELETE DESC DISTINCT DROP ELSE EXCLUSIVE EXISTS FILE FLOAT FOR FROM GRANT GROUP HAVING IDENTIFIED IMMEDIATE IN INCREMENT INDEX
INITIAL INSERT INTEGER INTERSECT INTO IS LEVEL LIKE LOCK LONG MAXEXTENTS MINUS MLSLABEL MODE MODIFY NOAUDIT NOCOMPRESS NOT NOWAIT NULL
NUMBER OF OFFLINE ON ONLINE OPTION OR ORDER PCTFREE PRIOR PUBLIC RAW RENAME RESOURCE REVOKE ROW ROWID ROWNUM ROWS SELECT SESSION SET
SHARE SIZE SMALLINT START SUCCESSFUL SYNONYM SYSDATE TABLE THEN TO TRIGGER UID UNION UNIQUE UPDATE USER VALIDATE VALUES VARCHAR VARCHAR2
VIEW WHENEVER WHERE WITH KEY`
    .split(/\s+/)
    .map((word) => word.toLowerCase()),
);

/** Syntax of other databases that Oracle rejects. */
const FOREIGN_SYNTAX: ReadonlyArray<[string, RegExp]> = [
  ['LIMIT', /\bLIMIT\b/i],
  ['TOP', /\bTOP\s*\(/i],
  ['? placeholder', /\?/],
  ['@ placeholder', /@p\d/],
  ['ON CONFLICT / ON DUPLICATE KEY', /\bON (CONFLICT|DUPLICATE KEY)\b/i],
  ['AS before a table alias', /\b(FROM|JOIN|INTO)\s+\w+\s+AS\s+\w+/i],
  ['AS before a derived-table alias', /\)\s+AS\s+\w+\s*(?:$|\n|\)|WHERE|UNION|FETCH|JOIN)/i],
  ['IF NOT EXISTS', /\bIF NOT EXISTS\b/i],
  ['backquote', /`/],
];

describe('Oracle dialect: the statements the store sends', () => {
  it('compiles every statement of the catalog for every table (snapshot)', () => {
    expect(Object.fromEntries(statements.map((statement) => [statement.name, statement.sql]))).toMatchSnapshot();
  });

  it('compiles the migration runner statements and the explain statements (snapshot)', () => {
    expect({
      ...Object.fromEntries(runner.map((statement) => [statement.name, statement.sql])),
      'explain.statement': dialect.explain.statement('SELECT 1 FROM dual'),
      'explain.planQuery': dialect.explain.planQuery,
    }).toMatchSnapshot();
  });

  it.each(statements.map((statement) => [statement.name, statement] as const))(
    '%s binds one parameter per placeholder :1…:N, in order',
    (_name, statement) => {
      expect(placeholders(statement.sql, /(?<![:\w]):\d+/g)).toEqual(statement.params.map((_, index) => `:${index + 1}`));
      expect(leftoverMarkers(statement.sql)).toEqual([]);
      expect(isBalanced(statement.sql)).toBe(true);
    },
  );

  it('uses no syntax of another database, and ends no SQL statement with a semicolon', () => {
    const found: string[] = [];
    for (const { name, sql } of [...statements, ...runner.filter((statement) => statement.name !== 'createSchemaVersionTable')]) {
      for (const [what, pattern] of FOREIGN_SYNTAX) if (pattern.test(codeOnly(sql))) found.push(`${name}: ${what}`);
      if (sql.trimEnd().endsWith(';')) found.push(`${name}: trailing semicolon (ORA-00911)`);
    }
    expect(found).toEqual([]);
  });

  it('has foreign-syntax checks that can fail', () => {
    const caught = FOREIGN_SYNTAX.filter(([, pattern]) => pattern.test('SELECT TOP (1) x FROM t AS a LIMIT ? ON CONFLICT'));
    expect(caught.map(([what]) => what)).toEqual([
      'LIMIT',
      'TOP',
      '? placeholder',
      'ON CONFLICT / ON DUPLICATE KEY',
      'AS before a table alias',
    ]);
    expect(isBalanced('SELECT (1 FROM dual')).toBe(false);
    expect(leftoverMarkers("SELECT :name, x::int, ':quoted' FROM dual")).toEqual([':name']);
  });

  it('creates the version table in a PL/SQL block that ignores ORA-00955 only, and binds nothing', () => {
    const block = dialect.createSchemaVersionTable('tokenstore_schema_version');
    expect(block).toMatch(/^BEGIN\n {2}EXECUTE IMMEDIATE 'CREATE TABLE tokenstore_schema_version \(/);
    expect(block).toContain('IF SQLCODE <> -955 THEN');
    expect(block.endsWith('END;')).toBe(true);
    expect(isBalanced(block)).toBe(true);
    expect(leftoverMarkers(block)).toEqual([]);
  });

  it('inserts a lease row only when absent with IGNORE_ROW_ON_DUPKEY_INDEX on its key, not a racy MERGE', () => {
    expect(dialect.leaseStatements(LEASE_TABLE).insertIfAbsent).toBe(
      'INSERT /*+ IGNORE_ROW_ON_DUPKEY_INDEX(tokenstore_lease (lease_name)) */ INTO tokenstore_lease (lease_name, holder, expires_at) VALUES (:lease_name, :holder, :expires_at)',
    );
  });

  it('finds the active token through the virtual column the unique index covers', () => {
    expect(dialect.findActiveAccessToken(TOKEN_TABLES.accessToken, ['token_key'])).toBe(
      'SELECT token_key FROM tokenstore_access_token WHERE active_reuse_key = :reuseKey',
    );
  });

  it('purges by primary key from a FETCH FIRST union, and locks keys with FOR UPDATE SKIP LOCKED only on the outer query', () => {
    const target = { table: TOKEN_TABLES.accessToken, auditTable: AUDIT_TABLES.accessToken, columns: TOKEN_COLUMNS.accessToken };
    const purge = dialect.purgeBatch(target);
    expect(purge).toMatch(/^DELETE FROM tokenstore_access_token WHERE token_key IN \(/);
    // Each branch opens with its index's range; the other retention window only filters it.
    expect(purge).toContain(
      "WHERE expires_at <= :expiredBefore AND (state = 'ACTIVE' OR state_changed_at <= :inactiveBefore) ORDER BY expires_at FETCH FIRST :limit ROWS ONLY",
    );
    expect(purge).toContain(
      "WHERE state IN ('INACTIVE', 'REVOKED', 'EXPIRED') AND state_changed_at <= :inactiveBefore AND (expires_at IS NULL OR expires_at <= :expiredBefore) FETCH FIRST :limit ROWS ONLY",
    );
    expect(purge).not.toContain('FOR UPDATE');
    const keys = dialect.selectPurgeableKeys(target);
    expect(keys.match(/FOR UPDATE/g)).toHaveLength(1);
    expect(keys.endsWith('\nFOR UPDATE SKIP LOCKED')).toBe(true);
    expect(dialect.purgeAndArchiveBatch()).toBeUndefined();
  });

  it('upserts artifacts with one MERGE binding only the key in its source, and purges them by ROWNUM through the expiry index', () => {
    const upsert = dialect.upsert(ARTIFACT_TABLE, ARTIFACT_COLUMNS, ['model', 'artifact_key']);
    expect(upsert).toMatch(
      /^MERGE INTO tokenstore_artifact target\nUSING \(SELECT :model AS model, :artifact_key AS artifact_key FROM dual\) source\n/,
    );
    expect(upsert).toContain('ON (target.model = source.model AND target.artifact_key = source.artifact_key)');
    // CLOB values are bound only where a column types them, never in the source's select list.
    expect(upsert).toContain('WHEN MATCHED THEN UPDATE SET target.artifact_value = :artifact_value, target.payload = :payload,');
    expect(upsert).not.toMatch(/UPDATE SET [^\n]*target\.model =/);
    expect(upsert).toContain(`WHEN NOT MATCHED THEN INSERT (${ARTIFACT_COLUMNS.join(', ')}) VALUES (:model, :artifact_key,`);
    expect(dialect.purgeExpiredArtifacts(ARTIFACT_TABLE)).toBe(
      'DELETE FROM tokenstore_artifact WHERE expires_at <= :expiredBefore AND ROWNUM <= :limit',
    );
    const consume = statements.find((statement) => statement.name === 'artifact.consume')!;
    expect(consume.sql).toBe(
      'UPDATE tokenstore_artifact SET consumed_at = :1 WHERE model = :2 AND artifact_key = :3 AND consumed_at IS NULL',
    );
  });

  it('takes a DBMS_LOCK user lock per schema, exclusive, without waiting, held past commits', () => {
    expect(dialect.migrationLock.tryAcquire).toBe(
      "SELECT CASE DBMS_LOCK.REQUEST(ORA_HASH('tokenstore_migrations.' || SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA'), 1073741823), 6, 0) WHEN 0 THEN 1 WHEN 4 THEN 1 ELSE 0 END AS acquired FROM dual",
    );
    expect(dialect.migrationLock.release).toMatch(/^SELECT DBMS_LOCK\.RELEASE\(ORA_HASH\(.*\)\) AS released FROM dual$/);
  });

  it('declares capabilities that match the statements', () => {
    expect(dialect.capabilities).toEqual({
      supportsReturning: false,
      supportsOutput: false,
      supportsTransactionalDdl: false,
      supportsSkipLocked: false,
      supportsPartialIndexes: false,
    });
    expect(dialect.placeholder(12)).toBe(':12');
    expect(dialect.booleanParameter(true)).toBe(1);
    expect(dialect.booleanParameter(false)).toBe(0);
  });
});

describe('Oracle plans', () => {
  const plan = (rows: Array<[string, string | null, string | null]>) =>
    rows.map(([operation, options, object_name], id) => ({ id, operation, options, object_name }));

  it('explains a statement with EXPLAIN PLAN and reads the latest plan of its statement id back', () => {
    expect(dialect.explain.statement('SELECT 1 FROM dual')).toBe("EXPLAIN PLAN SET STATEMENT_ID = 'tokenstore' FOR SELECT 1 FROM dual");
    expect(dialect.explain.planQuery).toContain("WHERE plan_id = (SELECT MAX(plan_id) FROM plan_table WHERE statement_id = 'tokenstore')");
  });

  it('finds TABLE ACCESS FULL of a store table, and not index access or other tables', () => {
    const rows = plan([
      ['DELETE STATEMENT', null, null],
      ['TABLE ACCESS', 'FULL', 'TOKENSTORE_ACCESS_TOKEN'],
      ['TABLE ACCESS', 'BY INDEX ROWID', 'TOKENSTORE_REFRESH_TOKEN'],
      ['INDEX', 'RANGE SCAN', 'TOKENSTORE_REFRESH_TOKEN_EXPIRES_AT'],
      ['TABLE ACCESS', 'FULL', 'DUAL'],
    ]);
    expect(dialect.explain.findFullScans(rows, ALL_TABLES)).toEqual(['TABLE ACCESS FULL on tokenstore_access_token']);
    expect(dialect.explain.findFullScans(rows.slice(2), ALL_TABLES)).toEqual([]);
  });

  it('refuses to call an empty result "no full scan": EXPLAIN PLAN returns no rows, the plan is read by planQuery', () => {
    expect(() => dialect.explain.findFullScans([], ALL_TABLES)).toThrow(/planQuery/);
  });
});

describe('Oracle schema files', () => {
  const tables = declaredColumns(schema);
  const indexes = declaredIndexes(schema);

  it('are plain SQL statements the runner can split at semicolons: no PL/SQL, no SQL*Plus slash', () => {
    for (const statement of schema) {
      expect(codeOnly(statement).trim()).toMatch(/^(CREATE (TABLE|UNIQUE INDEX|INDEX)|ALTER TABLE \w+ ADD) /);
      expect(statement).not.toMatch(/^\s*\/\s*$/m);
      expect(isBalanced(statement)).toBe(true);
      for (const [what, pattern] of FOREIGN_SYNTAX) expect(`${what}: ${pattern.test(codeOnly(statement))}`).toBe(`${what}: false`);
      expect(codeOnly(statement)).not.toMatch(/\b(BOOLEAN|TEXT|BIGINT|AUTO_INCREMENT|COLLATE|SERIAL)\b/);
    }
  });

  it('create every table of the store, with every column its statements name', () => {
    expect([...tables.keys()].sort()).toEqual([...ALL_TABLES].sort());
    for (const [kind, table] of Object.entries(TOKEN_TABLES)) {
      const columns = TOKEN_COLUMNS[kind as keyof typeof TOKEN_COLUMNS];
      expect([...tables.get(table)!.keys()]).toEqual(expect.arrayContaining([...columns, 'row_id']));
      expect([...tables.get(AUDIT_TABLES[kind as keyof typeof AUDIT_TABLES])!.keys()].sort()).toEqual([...columns, 'archived_at'].sort());
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

  it('name nothing with an Oracle reserved word, and no name longer than 128 bytes', () => {
    const names = [...tables.keys(), ...indexes.keys(), ...[...tables.values()].flatMap((columns) => [...columns.keys()])];
    expect(names.filter((name) => ORACLE_RESERVED.has(name))).toEqual([]);
    expect(names.filter((name) => name.length > 128)).toEqual([]);
  });

  it('keep the one-active-token rule in a unique index over a virtual CASE column, and index every lookup', () => {
    const access = schema.find((statement) => statement.includes(`CREATE TABLE ${TOKEN_TABLES.accessToken} (`))!;
    expect(access).toContain(
      "active_reuse_key VARCHAR2(128 BYTE)\n    GENERATED ALWAYS AS (CASE WHEN state = 'ACTIVE' AND is_exclusive = 1 THEN reuse_key END) VIRTUAL",
    );
    expect(schema).toContain(`CREATE UNIQUE INDEX ${ACTIVE_REUSE_INDEX} ON ${TOKEN_TABLES.accessToken} (active_reuse_key)`);
    for (const table of Object.values(TOKEN_TABLES)) {
      for (const suffix of ['row_id', 'user', 'consumer', 'grant', 'expires_at', 'retired', 'state'])
        expect(indexes.get(`${table}_${suffix}`)).toBe(table);
      expect(schema.some((statement) => statement.endsWith(`CREATE INDEX ${table}_retired ON ${table} (state, state_changed_at)`))).toBe(
        true,
      );
    }
  });

  it("let scopes be NULL, since Oracle stores '' (the empty scope set) as NULL", () => {
    for (const table of [...Object.values(TOKEN_TABLES), ...Object.values(AUDIT_TABLES)]) {
      const create = schema.find((statement) => statement.includes(`CREATE TABLE ${table} (`))!;
      expect(create).toMatch(/\n {2}scopes\s+CLOB,\n/);
    }
  });
});

describe('Oracle error classification', () => {
  /** An oracledb database error: `code` 'ORA-nnnnn', `errorNum`, the message text after it. */
  const oraError = (errorNum: number, message: string, code = `ORA-${String(errorNum).padStart(5, '0')}`) =>
    Object.assign(new Error(`${code}: ${message}`), { code, errorNum, offset: 0 });

  it('reports a taken reuse slot by the index name, lower-cased, and never the values 23ai appends', () => {
    const error = oraError(
      1,
      `unique constraint (APP.TOKENSTORE_ACCESS_TOKEN_ACTIVE_REUSE) violated on table APP.TOKENSTORE_ACCESS_TOKEN columns (ACTIVE_REUSE_KEY)
ORA-03301: (ORA-00001 details) row with column values (ACTIVE_REUSE_KEY:'secret-reuse') already exists`,
    );
    const classified = dialect.classifyError(error);
    expect(classified).toEqual({ kind: 'unique-violation', code: 'ORA-00001', constraint: ACTIVE_REUSE_INDEX });
    expect(JSON.stringify(classified)).not.toContain('secret-reuse');
  });

  it('reports a duplicate primary key by its constraint name (quoted names too)', () => {
    expect(dialect.classifyError(oraError(1, 'unique constraint ("APP"."TOKENSTORE_LEASE_PKEY") violated')).constraint).toBe(
      'tokenstore_lease_pkey',
    );
  });

  it.each([
    [60, 'deadlock detected while waiting for resource'],
    [8177, "can't serialize access for this transaction"],
    [30006, 'resource busy; acquire with WAIT timeout expired'],
  ])('retries ORA-%i', (errorNum, message) => {
    expect(dialect.classifyError(oraError(errorNum, message)).kind).toBe('retryable');
  });

  it.each([
    ['NJS-500 with ORA-03113 (rewritten by the driver)', oraError(3113, 'connection to the Oracle Database was broken', 'NJS-500')],
    [
      'NJS-503 connection refused',
      Object.assign(new Error('NJS-503: connection to host db port 1521 could not be established'), { code: 'NJS-503' }),
    ],
    ['NJS-040 queue timeout', Object.assign(new Error('NJS-040: connection request timeout'), { code: 'NJS-040' })],
    ['NJS-065 pool closed', Object.assign(new Error('NJS-065: connection pool was closed'), { code: 'NJS-065' })],
    ['ORA-12541 no listener', oraError(12541, 'Cannot connect. No listener at host db port 1521.')],
    ['ORA-01089 shutdown in progress', oraError(1089, 'immediate shutdown or close in progress')],
    ['ORA-00028 session killed', oraError(28, 'your session has been killed')],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  ])('treats %s as a connection failure', (_what, error) => {
    expect(dialect.classifyError(error).kind).toBe('connection');
  });

  it.each([
    [942, 'table or view does not exist', 'ORA-00942'],
    [904, '"ROTATED_AT": invalid identifier', 'ORA-00904'],
  ])('reports ORA-%i as a missing schema', (errorNum, message, code) => {
    expect(dialect.classifyError(oraError(errorNum, message))).toEqual({ kind: 'missing-schema', code });
  });

  it('classifies anything else as other, keeping the code', () => {
    expect(dialect.classifyError(oraError(1031, 'insufficient privileges'))).toEqual({ kind: 'other', code: 'ORA-01031' });
    expect(dialect.classifyError(undefined)).toEqual({ kind: 'other', code: undefined });
  });
});

/** A fake `oracledb` connection: records executions, answers with a programmed result. */
function fakeConnection(result: { rows?: unknown[][]; metaData?: Array<{ name: string }>; rowsAffected?: number } = {}) {
  const executions: Array<{ sql: string; binds: unknown[]; options: Record<string, unknown> }> = [];
  const connection = {
    executions,
    execute: vi.fn(async (sql: string, binds: unknown[], options: Record<string, unknown>) => {
      executions.push({ sql, binds, options });
      return result;
    }),
    commit: vi.fn(async () => undefined),
    rollback: vi.fn(async () => undefined),
    close: vi.fn(async (_options?: { drop?: boolean }) => undefined),
  } satisfies OracleConnection & { executions: unknown[] };
  return connection;
}

function fakePool(connection: OracleConnection) {
  return { getConnection: vi.fn(async () => connection), close: vi.fn(async (_drain?: number) => undefined) } satisfies OraclePool;
}

const constants: OracleConstants = oracledb;

describe('Oracle driver adapter', () => {
  it('turns array rows into objects keyed by lower-case column names', () => {
    expect(toQueryResult({ rows: [['k', 1]], metaData: [{ name: 'TOKEN_KEY' }, { name: 'ROW_ID' }] })).toEqual({
      rows: [{ token_key: 'k', row_id: 1 }],
      rowCount: 1,
    });
    expect(toQueryResult({ rowsAffected: 3 })).toEqual({ rows: [], rowCount: 3 });
  });

  it('runs a lone statement with autoCommit on a pooled connection, asks for array rows and CLOBs as strings', async () => {
    const connection = fakeConnection({ rowsAffected: 1 });
    const pool = fakePool(connection);
    const result = await new OracleDriver(pool, { constants }).query('UPDATE t SET a = :1', ['x']);
    expect(result).toEqual({ rows: [], rowCount: 1 });
    const [execution] = connection.executions;
    expect(execution!.binds).toEqual(['x']);
    expect(execution!.options.autoCommit).toBe(true);
    expect(execution!.options.outFormat).toBe(oracledb.OUT_FORMAT_ARRAY);
    const handler = execution!.options.fetchTypeHandler as (metadata: { dbType: unknown }) => unknown;
    expect(handler({ dbType: oracledb.DB_TYPE_CLOB })).toEqual({ type: oracledb.STRING });
    expect(handler({ dbType: oracledb.DB_TYPE_NUMBER })).toBeUndefined();
    expect(connection.close).toHaveBeenCalledWith({ drop: false });
  });

  it('drops a connection that failed with a connection error', async () => {
    const connection = fakeConnection();
    connection.execute.mockRejectedValueOnce(Object.assign(new Error('NJS-500: connection was broken'), { code: 'NJS-500' }));
    await expect(new OracleDriver(fakePool(connection), { constants }).query('SELECT 1 FROM dual', [])).rejects.toThrow(/NJS-500/);
    expect(connection.close).toHaveBeenCalledWith({ drop: true });
  });

  it('runs transaction statements without autoCommit until commit or rollback, and autocommits outside them', async () => {
    const connection = fakeConnection({ rowsAffected: 1 });
    const driver = new OracleDriver(fakePool(connection), { constants });
    const borrowed = await driver.acquireConnection();
    await borrowed.query('INSERT INTO t VALUES (:1)', [1]);
    await driver.beginTransaction(borrowed);
    await borrowed.query('UPDATE t SET a = :1', [2]);
    await driver.commitTransaction(borrowed);
    await driver.beginTransaction(borrowed);
    await borrowed.query('DELETE FROM t', []);
    await driver.rollbackTransaction(borrowed);
    await borrowed.query('SELECT 1 FROM dual', []);
    expect(connection.executions.map((execution) => execution.options.autoCommit)).toEqual([true, false, false, true]);
    expect(connection.commit).toHaveBeenCalledOnce();
    expect(connection.rollback).toHaveBeenCalledOnce();
    await driver.releaseConnection(borrowed, true);
    expect(connection.close).toHaveBeenCalledWith({ drop: true });
  });

  it('loads the constants from oracledb when none are given, and closes only a pool it owns', async () => {
    const connection = fakeConnection();
    const injected = fakePool(connection);
    const driver = new OracleDriver(injected);
    await driver.query('SELECT 1 FROM dual', []);
    expect(connection.executions[0]!.options.outFormat).toBe(oracledb.OUT_FORMAT_ARRAY);
    await driver.destroy();
    expect(injected.close).not.toHaveBeenCalled();
    const owned = fakePool(connection);
    await new OracleDriver(owned, { constants, ownsPool: true }).destroy();
    expect(owned.close).toHaveBeenCalledWith(0);
  });

  it('is the driver the registry entry builds around an injected pool', () => {
    expect(oracleDialectDefinition.createDialect()).toBeInstanceOf(OracleDialect);
    expect(oracleDialectDefinition.createDriver(fakePool(fakeConnection()), { ownsPool: false })).toBeInstanceOf(OracleDriver);
  });
});

describe('Oracle URLs', () => {
  it('maps oracle:// to Easy Connect pool attributes, opening connections on demand', () => {
    const attributes = oraclePoolAttributes(
      parseDatabaseUrl('oracle://app:p%40ss@db.example:1522/FREEPDB1?poolSize=8&transport_connect_timeout=5'),
    );
    expect(attributes).toEqual({
      user: 'app',
      password: 'p@ss',
      connectString: 'db.example:1522/FREEPDB1?transport_connect_timeout=5',
      poolMin: 0,
      poolMax: 8,
    });
    expect(oraclePoolAttributes(parseDatabaseUrl('oracle://app@db/ORCL')).connectString).toBe('db:1521/ORCL');
  });

  it('sets CURRENT_SCHEMA on every new session when the URL names a schema', async () => {
    const attributes = oraclePoolAttributes(parseDatabaseUrl('oracle://app@db/ORCL?schema=tokens'));
    const execute = vi.fn(async () => undefined);
    const done = vi.fn();
    (attributes.sessionCallback as (connection: unknown, tag: string, done: () => void) => void)({ execute }, '', done);
    await vi.waitFor(() => expect(done).toHaveBeenCalledWith());
    expect(execute).toHaveBeenCalledWith('ALTER SESSION SET CURRENT_SCHEMA = tokens');
  });

  it('needs a service name, and never echoes the URL', () => {
    expect(() => oraclePoolAttributes(parseDatabaseUrl('oracle://app:hunter2@db:1521'))).toThrow(/service name/);
    expect(() => oraclePoolAttributes(parseDatabaseUrl('oracle://app:hunter2@db:1521'))).not.toThrow(/hunter2/);
  });
});

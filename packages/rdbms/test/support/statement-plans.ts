import { TOKEN_KINDS } from '@tokenstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTIFACT_TABLE,
  CLIENT_TABLE,
  createSqlStore,
  DEFAULT_EXAMPLES,
  MysqlDialect,
  type MysqlPool,
  PostgresDialect,
  type PostgresPool,
  type SqlDialect,
  StatementCatalog,
  TOKEN_TABLES,
} from '../../src/index.js';
import { bulkLoadArtifacts, bulkLoadClients, bulkLoadTokens } from './bulk-load.js';
import type { TestBackend, TestEnvironment } from './environment.js';
import { recordingMysqlPool, recordingPostgresPool } from './recording-pool.js';
import { exerciseEveryStoreOperation } from './store-workload.js';
import { TestDatabase } from './test-database.js';

/** Rows per token table: enough that a planner prefers an index whenever it has one. */
const ROWS_PER_TABLE = 20_000;
const SCANNED_TABLES = [...Object.values(TOKEN_TABLES), CLIENT_TABLE, ARTIFACT_TABLE];

/**
 * EXPLAIN of every statement in the store's catalog, on tables of 20,000 rows (half live, half
 * expired, one in ten revoked) with fresh statistics: a full scan of a token or client table fails
 * the test. A second test proves the catalog is complete: every statement a workload of the store
 * really sends is one of them.
 */
export function describeStatementPlans(backend: TestBackend, environment: TestEnvironment): void {
  if (environment.skip !== undefined) {
    console.log(`[rdbms] ${backend} statement plans: skipped — ${environment.skip}`);
    describe.skip(`${backend} statement plans (skipped: ${environment.skip})`, () => {
      it('explains every statement', () => {});
    });
    return;
  }
  const dialect: SqlDialect = backend === 'postgres' ? new PostgresDialect() : new MysqlDialect();
  const explain = dialect.explain!;
  const statements = new StatementCatalog(dialect).samples();

  describe(`${backend}: no statement of the store scans a token table`, () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await TestDatabase.open(backend, environment.url, 'tokenstore_explain');
      const now = DEFAULT_EXAMPLES.now;
      for (const kind of TOKEN_KINDS) {
        await bulkLoadTokens(database.query, backend, { kind, first: 0, count: ROWS_PER_TABLE / 2, expired: false, now });
        await bulkLoadTokens(database.query, backend, { kind, first: ROWS_PER_TABLE / 2, count: ROWS_PER_TABLE / 2, expired: true, now });
      }
      await bulkLoadClients(database.query, backend, 1000, now);
      await bulkLoadArtifacts(database.query, backend, ROWS_PER_TABLE, now);
      // VACUUM as autovacuum would have: it sets the visibility map, without which PostgreSQL cannot
      // answer a count from an index alone (an index-only scan would still visit every heap page).
      if (backend === 'postgres') await database.query('VACUUM ANALYZE');
      else await database.query(`ANALYZE TABLE ${SCANNED_TABLES.join(', ')}`);
    });
    afterAll(() => database?.close());

    it('has the rows it claims to test with', async () => {
      for (const table of [...Object.values(TOKEN_TABLES), ARTIFACT_TABLE]) expect(await database.count(table)).toBe(ROWS_PER_TABLE);
    });

    it('reports a full scan when a statement has no index to use (the check can fail)', async () => {
      const plan = await database.query(explain.statement(`SELECT token_key FROM ${TOKEN_TABLES.accessToken} WHERE scopes = 'x'`));
      expect(explain.findFullScans(plan, SCANNED_TABLES)).toHaveLength(1);
    });

    for (const statement of statements) {
      it(`${statement.name} uses indexes only`, async () => {
        const plan = await database.query(explain.statement(statement.sql), [...statement.params]);
        expect(plan.length).toBeGreaterThan(0);
        expect(explain.findFullScans(plan, SCANNED_TABLES)).toEqual([]);
      });
    }
  });

  describe(`${backend}: the statement catalog is complete`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await TestDatabase.open(backend, environment.url, 'tokenstore_statements');
    });
    afterAll(() => database?.close());

    it('lists every statement a workload of the store sends, with and without archive', async () => {
      const sent = new Set<string>();
      for (const archive of [false, true]) {
        const store =
          backend === 'postgres'
            ? await createSqlStore({ dialect: 'postgres', pool: recordingPostgresPool(database.pool as PostgresPool, sent), archive })
            : await createSqlStore({ dialect: 'mysql', pool: recordingMysqlPool(database.pool as MysqlPool, sent), archive });
        await exerciseEveryStoreOperation(store);
        await store.close();
      }
      const catalogued = new Set(statements.map((statement) => normalise(statement.sql)));
      expect(sent.size).toBeGreaterThan(30);
      expect([...sent].map(normalise).filter((sql) => !catalogued.has(sql))).toEqual([]);
    });
  });
}

/** Placeholders and key lists of any length compare equal: `IN ($3, $4, $5)` ≡ `IN (?)`. */
function normalise(sql: string): string {
  return sql.replace(/\$\d+/g, '?').replace(/\?(, \?)+/g, '?');
}

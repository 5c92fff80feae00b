import { ErrorCode, ManualClock, Purger, TOKEN_KINDS, TokenStoreEventEmitter } from '@tokenstore/core';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_TABLES, createSqlStore, type SqlStore, TOKEN_TABLES } from '../../src/index.js';
import { bulkLoadTokens } from './bulk-load.js';
import type { TestBackend, TestEnvironment } from './environment.js';
import { namespacedDatabaseName } from './isolated-database.js';
import { TestDatabase } from './test-database.js';

const NOW = Date.UTC(2030, 0, 1);
const EXPIRED = 300;
const LIVE = 50;
const BATCH = 100;
const DATABASE = 'tokenstore_purge_fault';
/** The schema TestDatabase.open really uses (suffixed with TOKENSTORE_TEST_NAMESPACE), for the store's own pool. */
const SCHEMA = namespacedDatabaseName(DATABASE);
const APPLICATION_NAME = 'tokenstore-purge-fault-test';

/** Slows the purge's deletes down and kills the connection running them, from another connection. */
interface FaultInjector {
  /** Makes every deleted access-token row take 10–20 ms. */
  slowDeletes(): Promise<void>;
  normalDeletes(): Promise<void>;
  /** Rows the running purge batch has deleted so far (uncommitted), or 0 when none runs. */
  rowsDeletedByRunningBatch(): Promise<number>;
  /** Terminates the connection that runs the purge batch. Returns how many it terminated. */
  killPurgeConnection(): Promise<number>;
  /** How often progress may be polled. */
  pollIntervalMs: number;
}

/**
 * The connection drops in the middle of a purge batch: the run ends with a typed error event, no
 * row is half-deleted (the batch's transaction rolls back, archive copies included), and the next
 * run continues and finishes.
 */
export function describePurgeFault(backend: TestBackend, environment: TestEnvironment): void {
  if (environment.skip !== undefined) {
    console.log(`[rdbms] ${backend} purge fault: skipped — ${environment.skip}`);
    describe.skip(`${backend} purge fault (skipped: ${environment.skip})`, () => {
      it('survives a connection dropped mid-batch', () => {});
    });
    return;
  }
  const serverUrl = environment.url;

  describe(`${backend}: the connection drops in the middle of a purge batch`, () => {
    let database: TestDatabase;
    let store: SqlStore;
    let faults: FaultInjector;
    let closePool: () => Promise<void>;

    beforeAll(async () => {
      database = await TestDatabase.open(backend, serverUrl, DATABASE);
      await bulkLoadTokens(database.query, backend, {
        kind: 'accessToken',
        first: 0,
        count: EXPIRED,
        expired: true,
        now: NOW,
        retiredEvery: 0,
      });
      await bulkLoadTokens(database.query, backend, {
        kind: 'accessToken',
        first: EXPIRED,
        count: LIVE,
        expired: false,
        now: NOW,
        retiredEvery: 0,
      });
      if (backend === 'postgres') {
        // A pool of its own, named, so the test kills this store's connection and no other test's.
        const pool = new pg.Pool({
          connectionString: serverUrl,
          options: `-c search_path=${SCHEMA}`,
          application_name: APPLICATION_NAME,
        });
        pool.on('error', () => undefined);
        store = await createSqlStore({ dialect: 'postgres', pool, archive: true });
        closePool = () => pool.end();
        faults = postgresFaults(database);
      } else {
        const pool = mysql.createPool({ uri: serverUrl, database: SCHEMA });
        store = await createSqlStore({ dialect: 'mysql', pool, archive: true });
        closePool = () => pool.end();
        faults = mysqlFaults(database);
      }
    });
    afterAll(async () => {
      await closePool?.();
      await database?.close();
    });

    it('ends the run with an error event, rolls the batch back whole, and the next run finishes the job', async () => {
      const events = new TokenStoreEventEmitter();
      const runs: unknown[] = [];
      events.on('purge', (event) => runs.push(event));
      const purger = new Purger({
        store,
        clock: new ManualClock(NOW),
        events,
        purge: { intervalSeconds: 0, batchSize: BATCH, timeBudgetMs: 120_000 },
        retention: { inactiveSeconds: 86_400, expiredSeconds: 0 },
      });

      await faults.slowDeletes();
      const failing = purger.runOnce();
      // Kill the connection once the first batch has deleted some of its rows but not all.
      await waitFor(async () => (await faults.rowsDeletedByRunningBatch()) >= 10, 'the first batch to delete rows', faults.pollIntervalMs);
      expect(await faults.killPurgeConnection()).toBe(1);
      const failed = await failing;

      expect(failed.error?.code).toBe(ErrorCode.BackendUnavailable);
      expect(failed.error?.message).toContain('connection');
      expect(failed.removed.accessToken).toBe(0);
      expect(runs).toEqual([failed]);
      // Nothing of the killed batch survived: every row is still live, none reached the archive.
      expect(await database.count(TOKEN_TABLES.accessToken)).toBe(EXPIRED + LIVE);
      expect(await database.count(AUDIT_TABLES.accessToken)).toBe(0);

      await faults.normalDeletes();
      const next = await purger.runOnce();
      expect(next.error).toBeUndefined();
      expect(next.backlog).toBe(false);
      expect(next.removed).toEqual({ accessToken: EXPIRED, refreshToken: 0, authorizationCode: 0 });
      // The expired access tokens' batches, one empty batch per other kind, then one for the (empty) artifacts.
      expect(next.batches).toBe(EXPIRED / BATCH + TOKEN_KINDS.length + 1);
      expect(await database.count(TOKEN_TABLES.accessToken)).toBe(LIVE);
      expect(await database.count(AUDIT_TABLES.accessToken)).toBe(EXPIRED);
    });
  });
}

async function waitFor(condition: () => Promise<boolean>, what: string, pollIntervalMs: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

function postgresFaults(database: TestDatabase): FaultInjector {
  const table = TOKEN_TABLES.accessToken;
  return {
    pollIntervalMs: 5,
    async slowDeletes() {
      // nextval() is not transactional: another session sees the batch's progress before it commits.
      await database.query('CREATE SEQUENCE IF NOT EXISTS fault_deleted_rows');
      await database.query(`CREATE OR REPLACE FUNCTION fault_slow_delete() RETURNS trigger AS $body$
BEGIN
  PERFORM nextval('fault_deleted_rows');
  PERFORM pg_sleep(0.01);
  RETURN OLD;
END $body$ LANGUAGE plpgsql`);
      await database.query(`CREATE TRIGGER fault_slow_delete BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION fault_slow_delete()`);
    },
    async normalDeletes() {
      await database.query(`DROP TRIGGER fault_slow_delete ON ${table}`);
    },
    async rowsDeletedByRunningBatch() {
      const [row] = await database.query('SELECT last_value, is_called FROM fault_deleted_rows');
      return row?.is_called ? Number(row.last_value) : 0;
    },
    async killPurgeConnection() {
      const rows = await database.query(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE '%DELETE FROM ${table}%'`,
        [APPLICATION_NAME],
      );
      return rows.filter((row) => row.killed === true).length;
    },
  };
}

function mysqlFaults(database: TestDatabase): FaultInjector {
  const table = TOKEN_TABLES.accessToken;
  // The purge batch is the only transaction in this database that writes rows (the process list
  // cannot tell: while the trigger runs it shows the trigger's statement, not the DELETE).
  const purgeTransactions = `SELECT t.trx_mysql_thread_id AS thread, t.trx_rows_modified AS modified
FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
WHERE p.db = ? AND p.id <> CONNECTION_ID() AND t.trx_rows_modified > 0`;
  return {
    // InnoDB refreshes information_schema.innodb_trx only when it was not read for 100 ms: faster
    // polling keeps reading the same stale snapshot.
    pollIntervalMs: 150,
    async slowDeletes() {
      await database.query(`CREATE TRIGGER fault_slow_delete BEFORE DELETE ON ${table} FOR EACH ROW SET @fault_slept = SLEEP(0.02)`);
    },
    async normalDeletes() {
      await database.query('DROP TRIGGER fault_slow_delete');
    },
    async rowsDeletedByRunningBatch() {
      // The archive copy of the batch counts too: the batch inserted BATCH audit rows before deleting.
      const [row] = await database.query(purgeTransactions, [SCHEMA]);

      return row ? Math.max(0, Number(row.modified) - BATCH) : 0;
    },
    async killPurgeConnection() {
      const rows = await database.query(purgeTransactions, [SCHEMA]);
      for (const row of rows) await database.query(`KILL ${Number(row.thread)}`);
      return rows.length;
    },
  };
}

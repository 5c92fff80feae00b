/**
 * Where a MariaDB/MySQL purge batch spends its time (issue 12): loads BENCH_PURGE_ROWS (1,000,000)
 * expired access tokens among BENCH_LIVE_ROWS (200,000) live ones on the current schema (007: clustered
 * on row_id), then runs the store's purge statement in batches of BENCH_PURGE_BATCH (1000) on one
 * connection of its own, nothing else running, and for each step prints rows/s, the session's
 * handler counters per row, InnoDB buffer-pool reads per row (a global counter) and, for one batch,
 * MariaDB's ANALYZE FORMAT=JSON. Steps (BENCH_PROFILE_BATCHES = 40 batches each), each on the table
 * the previous left:
 *
 *   expires_at    the expiry branch through <table>_expires_at (the statement before the change)
 *   store         the store's purge statement: the expiry branch through <table>_state (state, expires_at), covering
 *   -<index>      then drops one more secondary index and runs `store` again: expires_at, grant,
 *                 user, consumer, active_reuse, key — what each index costs a delete
 *
 *   BENCH=purge-profile npm run bench     (or node --import tsx bench/purge-profile.ts)
 *
 * Database: TOKENSTORE_TEST_MYSQL_URL; creates (and drops first) `tokenstore_bench_purge_profile`.
 * By name only, like `purge`.
 */
import { pathToFileURL } from 'node:url';
import { PURGE_RETIRED_BRANCH_FILTER } from '../packages/rdbms/src/dialects/standard-sql.js';
import { bulkLoadTokens } from '../packages/rdbms/test/support/bulk-load.js';
import { TestDatabase } from '../packages/rdbms/test/support/test-database.js';

interface Connection {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  release(): void;
}

const TABLE = 'tokenstore_access_token';
const HANDLERS = ['Handler_read_key', 'Handler_read_next', 'Handler_read_rnd_next', 'Handler_delete', 'Handler_tmp_write', 'Handler_write'];
const GLOBALS = ['Innodb_buffer_pool_reads', 'Innodb_buffer_pool_read_requests', 'Innodb_data_writes'];

export async function benchPurgeProfile(): Promise<void> {
  const url = process.env.TOKENSTORE_TEST_MYSQL_URL;
  if (!url) {
    console.log('[bench:purge-profile] skipped — TOKENSTORE_TEST_MYSQL_URL is not set');
    return;
  }
  const purgeRows = Number(process.env.BENCH_PURGE_ROWS ?? 1_000_000);
  const liveRows = Number(process.env.BENCH_LIVE_ROWS ?? 200_000);
  const batch = Number(process.env.BENCH_PURGE_BATCH ?? 1000);
  const batches = Number(process.env.BENCH_PROFILE_BATCHES ?? 40);
  const database = await TestDatabase.open('mysql', url, 'tokenstore_bench_purge_profile', { poolSize: 2 });
  const connection = (await (database.pool as { getConnection(): Promise<Connection> }).getConnection()) as Connection;
  const query = async (sql: string, values: unknown[] = []) => (await connection.query(sql, values))[0];
  try {
    const [settings] = (await query('SELECT @@innodb_buffer_pool_size AS pool, VERSION() AS version')) as Array<Record<string, unknown>>;
    console.log(`[bench:purge-profile] ${String(settings?.version)}, innodb_buffer_pool_size ${Number(settings?.pool) / 2 ** 20} MB`);
    const now = Date.now();
    const started = performance.now();
    await bulkLoadTokens(database.query, 'mysql', { kind: 'accessToken', first: 0, count: liveRows, expired: false, now, retiredEvery: 0 });
    await bulkLoadTokens(database.query, 'mysql', {
      kind: 'accessToken',
      first: liveRows,
      count: purgeRows,
      expired: true,
      now,
      retiredEvery: 0,
    });
    await query(`ANALYZE TABLE ${TABLE}`);
    console.log(`[bench:purge-profile] loaded ${liveRows + purgeRows} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const sizes = (await query(
      `SELECT index_name, ROUND(stat_value * @@innodb_page_size / 1048576) AS mb FROM mysql.innodb_index_stats WHERE database_name = DATABASE() AND table_name = '${TABLE}' AND stat_name = 'size' ORDER BY stat_value DESC`,
    )) as Array<Record<string, unknown>>;
    console.table(sizes.map((row) => ({ index: String(row.index_name), MB: Number(row.mb) })));

    const store = await database.createStore();
    // The store's statement reads the expired ACTIVE rows through <table>_state; `expires_at` is the
    // same through the <table>_expires_at index (the statement before that change).
    const storePurge = store.statements.tokens.accessToken.purge.bind({
      expiredBefore: now,
      inactiveBefore: now - 86_400_000,
      limit: batch,
      now,
    });
    const expiryPurge = `DELETE ${TABLE} FROM (
  SELECT row_id FROM ((SELECT row_id FROM ${TABLE} FORCE INDEX (${TABLE}_expires_at) WHERE expires_at <= ? AND (state = 'ACTIVE' OR state_changed_at <= ?) ORDER BY expires_at LIMIT ?)
UNION
(SELECT row_id FROM ${TABLE} FORCE INDEX (${TABLE}_retired) WHERE state IN ('INACTIVE', 'REVOKED', 'EXPIRED') AND state_changed_at <= ? AND ${PURGE_RETIRED_BRANCH_FILTER.replace(':expiredBefore', '?')} LIMIT ?)) AS candidates LIMIT ?
) AS doomed STRAIGHT_JOIN ${TABLE} ON ${TABLE}.row_id = doomed.row_id`;
    const expiryParams = [now, now - 86_400_000, batch, now - 86_400_000, now, batch, batch];

    const steps: Array<{ step: string; drop?: string; sql: string; params: unknown[] }> = [
      { step: 'expires_at', sql: expiryPurge, params: expiryParams },
      { step: 'store', sql: storePurge.sql, params: [...storePurge.params] },
      ...['expires_at', 'grant', 'user', 'consumer', 'active_reuse', 'key'].map((index) => ({
        step: `-${index}`,
        drop: `${TABLE}_${index}`,
        sql: storePurge.sql,
        params: [...storePurge.params],
      })),
    ];
    const rows: Array<Record<string, string | number>> = [];
    for (const step of steps) {
      if (step.drop) await query(`ALTER TABLE ${TABLE} DROP INDEX ${step.drop}`);
      const handlersBefore = await status(query, 'SESSION', HANDLERS);
      const globalsBefore = await status(query, 'GLOBAL', GLOBALS);
      let deleted = 0;
      const t0 = performance.now();
      for (let i = 0; i < batches; i++)
        deleted += Number(((await query(step.sql, step.params)) as { affectedRows?: number }).affectedRows ?? 0);
      const seconds = (performance.now() - t0) / 1000;
      const handlersAfter = await status(query, 'SESSION', HANDLERS);
      const globalsAfter = await status(query, 'GLOBAL', GLOBALS);
      const perRow = (after: Map<string, number>, before: Map<string, number>, name: string) =>
        (((after.get(name) ?? 0) - (before.get(name) ?? 0)) / Math.max(1, deleted)).toFixed(2);
      rows.push({
        step: step.step,
        deleted,
        'rows/s': Math.round(deleted / seconds),
        'µs/row': Math.round((seconds * 1e6) / Math.max(1, deleted)),
        ...Object.fromEntries(HANDLERS.map((name) => [name.replace('Handler_', 'h_'), perRow(handlersAfter, handlersBefore, name)])),
        ...Object.fromEntries(
          GLOBALS.map((name) => [
            name.replace('Innodb_buffer_pool_', 'bp_').replace('Innodb_', ''),
            perRow(globalsAfter, globalsBefore, name),
          ]),
        ),
      });
      console.table([rows.at(-1)]);
      if (step.step === 'expires_at' || step.step === 'store') {
        const [plan] = (await query(`ANALYZE FORMAT=JSON ${step.sql}`, step.params)) as Array<Record<string, unknown>>;
        console.log(`[bench:purge-profile] ANALYZE FORMAT=JSON of one '${step.step}' batch:\n${String(Object.values(plan ?? {})[0])}`);
      }
    }
    console.log(
      '[bench:purge-profile] per-row counters: session handlers (h_*), global buffer-pool reads from disk (bp_reads) and requests',
    );
    console.table(rows);
    const [innodb] = (await query('SHOW ENGINE INNODB STATUS')) as Array<Record<string, unknown>>;
    const text = String(innodb?.Status ?? '');
    const section = (name: string) => text.slice(text.indexOf(name), text.indexOf('\n---', text.indexOf(name) + name.length + 5));
    console.log(
      `[bench:purge-profile] SHOW ENGINE INNODB STATUS, excerpts:\n${section('TRANSACTIONS').split('\n').slice(0, 4).join('\n')}\n${section('BUFFER POOL AND MEMORY')}`,
    );
    await store.close();
  } finally {
    connection.release();
    await database.close();
  }
}

async function status(
  query: (sql: string) => Promise<unknown>,
  scope: 'SESSION' | 'GLOBAL',
  names: string[],
): Promise<Map<string, number>> {
  const rows = (await query(`SHOW ${scope} STATUS WHERE Variable_name IN (${names.map((name) => `'${name}'`).join(', ')})`)) as Array<
    Record<string, unknown>
  >;
  return new Map(rows.map((row) => [String(row.Variable_name), Number(row.Value)]));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPurgeProfile();
}

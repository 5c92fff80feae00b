/**
 * Purge benchmark (issue 12, the relational purge): BENCH_PURGE_ROWS (1,000,000) expired access
 * tokens among BENCH_LIVE_ROWS (200,000) live ones, purged through the store's real path
 * (`TokenService.purgeExpired()`, batches of BENCH_PURGE_BATCH = 1000, the configured `pauseMs`),
 * while a concurrent loop validates live tokens (BENCH_LATENCY_CONCURRENCY = 4 in flight). Idle and
 * purge windows alternate (BENCH_WINDOW_MS = 1000 each, the purge's time budget), so load from
 * elsewhere on the machine falls on both samples alike. Reports purge rows/s and validate p99 during
 * purge / idle p99, for each variant, in one run:
 *
 * - `before`: the schema up to 006 (token_key the primary key) and the purge statement main had
 *   (MySQL: keys through the expiry index, delete joined on token_key; PostgreSQL: `token_key = ANY (…)`);
 * - `after`: every schema file (007 clusters MySQL's token tables on row_id) and the store's purge
 *   statement (MySQL: row ids through the (state, expires_at) index, delete by row_id; PostgreSQL: by ctid);
 * - `after-pause<N>`: `after` with `purge.pauseMs = N` (BENCH_PURGE_PAUSES, default 5);
 * - MySQL/MariaDB experiment, by name only: `after-noexpiry` (see EXPERIMENTS).
 *
 * Each variant loads a fresh table (INSERT … SELECT over a generated series, no round trip per row,
 * test/support/bulk-load.ts). A variant's purge stops after BENCH_PURGE_MAX_SECONDS (240) and reports
 * the rate of what it purged. On MySQL/MariaDB it also prints the server's buffer pool size and, per
 * purged row, the InnoDB and handler counters of the purge windows (SHOW GLOBAL STATUS deltas; the
 * validate loop's reads included).
 *
 *   BENCH=purge npm run bench          (or node --import tsx bench/purge.ts)
 *   BENCH_BACKENDS=postgres,mysql BENCH_PURGE_VARIANTS=before,after,after-pause5
 *
 * Databases: TOKENSTORE_TEST_POSTGRES_URL / TOKENSTORE_TEST_MYSQL_URL; creates (and drops first) the
 * schema or database `tokenstore_bench_purge`. Not in the default `npm run bench` (it builds a
 * 1,200,000-row table per variant): run it by name.
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { TokenService } from '@tokenstore/core';
import type { PurgeTarget, SqlDialect } from '../packages/rdbms/src/dialects/dialect.js';
import { dialectDefinition } from '../packages/rdbms/src/dialects/registry.js';
import { PURGE_EXPIRY_BRANCH_FILTER, PURGE_RETIRED_BRANCH_FILTER } from '../packages/rdbms/src/dialects/standard-sql.js';
import { MysqlDialect, PostgresDialect, SqlStore } from '../packages/rdbms/src/index.js';
import { bulkKey, bulkLoadTokens } from '../packages/rdbms/test/support/bulk-load.js';
import type { TestBackend } from '../packages/rdbms/test/support/environment.js';
import { TestDatabase } from '../packages/rdbms/test/support/test-database.js';
import { backendsWithUrl, envWholeNumber, type Latency, measure, measureWhile, percentiles, schemaUpTo } from './sql-support.js';

const RETIRED_STATES = "'INACTIVE', 'REVOKED', 'EXPIRED'";
/** Server counters sampled around the purge windows (MySQL/MariaDB). */
const MYSQL_COUNTERS = [
  'Innodb_buffer_pool_reads',
  'Innodb_buffer_pool_read_requests',
  'Innodb_buffer_pool_write_requests',
  'Innodb_data_reads',
  'Innodb_data_writes',
  'Innodb_rows_deleted',
  'Handler_delete',
  'Handler_read_key',
  'Handler_read_next',
  'Handler_read_rnd_next',
];

interface Settings {
  backends: TestBackend[];
  purgeRows: number;
  liveRows: number;
  batch: number;
  windowMs: number;
  latencyConcurrency: number;
  maxSeconds: number;
  variants: string[];
  poolSize: number;
}

export interface PurgeVariantResult {
  backend: TestBackend;
  variant: string;
  pauseMs: number;
  purgedRows: number;
  complete: boolean;
  purgeSeconds: number;
  purgeRowsPerSec: number;
  idle: Latency;
  duringPurge: Latency;
  p99Ratio: number;
  /** MySQL/MariaDB: counter deltas over the purge windows, per purged row. */
  perRow: Record<string, number> | undefined;
}

function settingsFromEnv(): Settings {
  const number = envWholeNumber;
  const list = (name: string, fallback: string) =>
    (process.env[name] ?? fallback)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const pauses = list('BENCH_PURGE_PAUSES', '5');
  return {
    backends: list('BENCH_BACKENDS', 'postgres,mysql') as TestBackend[],
    purgeRows: number('BENCH_PURGE_ROWS', 1_000_000),
    liveRows: number('BENCH_LIVE_ROWS', 200_000),
    batch: number('BENCH_PURGE_BATCH', 1000),
    windowMs: Math.max(100, number('BENCH_WINDOW_MS', 1000)),
    latencyConcurrency: number('BENCH_LATENCY_CONCURRENCY', 4),
    maxSeconds: number('BENCH_PURGE_MAX_SECONDS', 240),
    variants: list('BENCH_PURGE_VARIANTS', ['before', 'after', ...pauses.map((pause) => `after-pause${pause}`)].join(',')),
    poolSize: number('BENCH_POOL_SIZE', 10),
  };
}

/** Runs every variant on every backend with a URL; prints one table per backend and returns the figures. */
export async function benchPurge(overrides: Partial<Settings> = {}): Promise<PurgeVariantResult[]> {
  const settings = { ...settingsFromEnv(), ...overrides };
  const results: PurgeVariantResult[] = [];
  for (const { backend, url } of backendsWithUrl(settings.backends, 'purge')) {
    const ofBackend: PurgeVariantResult[] = [];
    for (const variant of settings.variants) {
      const result = await runVariant(backend, url, variant, settings);
      console.table([formatResult(result)]);
      if (result.perRow)
        console.table([Object.fromEntries(Object.entries(result.perRow).map(([name, value]) => [name, value.toFixed(2)]))]);
      ofBackend.push(result);
    }
    console.log(`[bench:purge] ${backend}: ${settings.purgeRows} expired among ${settings.liveRows} live, batch ${settings.batch}`);
    console.table(ofBackend.map(formatResult));
    results.push(...ofBackend);
  }
  return results;
}

/**
 * One variant on one backend (`before`, `after`, `after-pause<ms>`, …), with the settings given and
 * the defaults of `BENCH=purge` for the rest: what `BENCH=rdbms`'s purge part runs (`after`).
 */
export function runPurgeVariant(
  backend: TestBackend,
  url: string,
  variant: string,
  settings: Partial<Settings> = {},
): Promise<PurgeVariantResult> {
  return runVariant(backend, url, variant, { ...settingsFromEnv(), ...settings });
}

/** A result as a row of `console.table`. */
export function formatPurgeResult(result: PurgeVariantResult) {
  return formatResult(result);
}

async function runVariant(backend: TestBackend, url: string, variant: string, settings: Settings): Promise<PurgeVariantResult> {
  const [base, ...modifiers] = variant.split('-');
  const pause = modifiers.find((modifier) => /^pause\d+$/.test(modifier));
  const unknown = modifiers.filter((modifier) => modifier !== pause && !EXPERIMENTS.includes(modifier));
  if ((base !== 'before' && base !== 'after') || unknown.length > 0)
    throw new Error(`unknown purge variant ${variant} (before|after, then -pause<ms>, -${EXPERIMENTS.join(', -')})`);
  const before = base === 'before';
  const pauseMs = Number(pause?.slice('pause'.length) ?? 0);
  const experiments = modifiers.filter((modifier) => EXPERIMENTS.includes(modifier));
  const database = await TestDatabase.open(backend, url, 'tokenstore_bench_purge', { migrate: false, poolSize: settings.poolSize });
  const folder = before ? schemaUpTo(backend, 6) : undefined;
  try {
    const definition = dialectDefinition(backend);
    if (experiments.length > 0 && backend !== 'mysql')
      throw new Error(`the purge experiments ${experiments.join(', ')} are MySQL/MariaDB ones`);
    const dialect = before ? mainDialect(backend) : definition.createDialect();
    const store = new SqlStore({
      dialect,
      driver: definition.createDriver(database.pool, { ownsPool: false }),
      ...(folder ? { migrationsDirectory: folder } : {}),
    });
    const { version } = await store.migrate();
    if (backend === 'mysql') {
      const [pool] = await database.query('SELECT @@innodb_buffer_pool_size AS size, VERSION() AS version');
      console.log(
        `[bench:purge] ${backend} ${variant}: ${String(pool?.version)}, innodb_buffer_pool_size ${Number(pool?.size) / 2 ** 20} MB, schema version ${version}`,
      );
    } else {
      const [server] = await database.query('SHOW server_version');
      console.log(`[bench:purge] ${backend} ${variant}: PostgreSQL ${String(server?.server_version)}, schema version ${version}`);
    }
    if (experiments.includes('noexpiry'))
      await database.query('ALTER TABLE tokenstore_access_token DROP INDEX tokenstore_access_token_expires_at');
    const now = Date.now();
    const loadStarted = performance.now();
    await bulkLoadTokens(database.query, backend, {
      kind: 'accessToken',
      first: 0,
      count: settings.liveRows,
      expired: false,
      now,
      retiredEvery: 0,
    });
    await bulkLoadTokens(database.query, backend, {
      kind: 'accessToken',
      first: settings.liveRows,
      count: settings.purgeRows,
      expired: true,
      now,
      retiredEvery: 0,
    });
    if (backend === 'postgres') await database.query('VACUUM ANALYZE tokenstore_access_token');
    else await database.query('ANALYZE TABLE tokenstore_access_token');
    console.log(
      `[bench:purge] ${backend} ${variant}: loaded ${settings.liveRows + settings.purgeRows} rows in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
    );

    const service = new TokenService({
      store,
      purge: { batchSize: settings.batch, timeBudgetMs: settings.windowMs, pauseMs },
      retention: { expiredSeconds: 0, inactiveSeconds: 86_400 },
    });
    const validate = async () => {
      if ((await service.validateAccessToken(bulkKey('accessToken', Math.floor(Math.random() * settings.liveRows)))) === null)
        throw new Error('a live token did not validate');
    };
    await measure(1000, settings.latencyConcurrency, validate);
    const idle: number[] = [];
    const during: number[] = [];
    const counters = backend === 'mysql' ? new Map<string, number>() : undefined;
    let purged = 0;
    let purgeMs = 0;
    let backlog = true;
    while (backlog && purgeMs < settings.maxSeconds * 1000) {
      idle.push(...(await measure(settings.windowMs, settings.latencyConcurrency, validate)).latencies);
      const start = counters ? await mysqlCounters(database) : undefined;
      let purging = true;
      const started = performance.now();
      const run = service.purgeExpired().finally(() => {
        purging = false;
      });
      during.push(...(await measureWhile(() => purging, settings.latencyConcurrency, validate)).latencies);
      const outcome = await run;
      purgeMs += performance.now() - started;
      if (start && counters) {
        const end = await mysqlCounters(database);
        for (const [name, value] of end) counters.set(name, (counters.get(name) ?? 0) + value - (start.get(name) ?? 0));
      }
      if (outcome.error) throw new Error(`purge failed: ${outcome.error.code} ${outcome.error.message}`);
      purged += outcome.removed.accessToken;
      backlog = outcome.backlog;
    }
    const remaining = await database.count('tokenstore_access_token');
    if (!backlog && remaining !== settings.liveRows) throw new Error(`purge left ${remaining} rows, expected ${settings.liveRows}`);
    await service.close();
    const idleLatency = percentiles(idle);
    const duringLatency = percentiles(during);
    return {
      backend,
      variant,
      pauseMs,
      purgedRows: purged,
      complete: !backlog,
      purgeSeconds: purgeMs / 1000,
      purgeRowsPerSec: purged / (purgeMs / 1000),
      idle: idleLatency,
      duringPurge: duringLatency,
      p99Ratio: duringLatency.p99Ms / idleLatency.p99Ms,
      perRow: counters ? Object.fromEntries([...counters].map(([name, value]) => [name, value / Math.max(1, purged)])) : undefined,
    };
  } finally {
    await database.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  }
}

/** The dialect with the purge statement main had before this change (by token_key), for the `before` variant. */
function mainDialect(backend: TestBackend): SqlDialect {
  if (backend === 'postgres')
    return new (class extends PostgresDialect {
      override purgeBatch(target: PurgeTarget): string {
        const t = target.table;
        return `WITH expired AS (
  SELECT token_key FROM ${t} WHERE expires_at <= :expiredBefore AND ${PURGE_EXPIRY_BRANCH_FILTER} ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED
), retired AS (
  SELECT token_key FROM ${t} WHERE state <> 'ACTIVE' AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER} ORDER BY state_changed_at LIMIT :limit FOR UPDATE SKIP LOCKED
), doomed AS (
  SELECT token_key FROM expired UNION SELECT token_key FROM retired LIMIT :limit
)
DELETE FROM ${t} WHERE token_key = ANY (ARRAY(SELECT token_key FROM doomed))`;
      }
    })();
  return new (class extends MysqlDialect {
    override purgeBatch(target: PurgeTarget): string {
      const t = target.table;
      return `DELETE ${t} FROM (
  SELECT token_key FROM ((SELECT token_key FROM ${t} FORCE INDEX (${t}_expires_at) WHERE expires_at <= :expiredBefore AND ${PURGE_EXPIRY_BRANCH_FILTER} ORDER BY expires_at LIMIT :limit)
UNION
(SELECT token_key FROM ${t} FORCE INDEX (${t}_retired) WHERE state IN (${RETIRED_STATES}) AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER} LIMIT :limit)) AS candidates LIMIT :limit
) AS doomed STRAIGHT_JOIN ${t} ON ${t}.token_key = doomed.token_key`;
    }

    override selectPage(table: string, columns: readonly string[]): string {
      return `SELECT ${columns.join(', ')} FROM ${table} FORCE INDEX (${table}_row_id) WHERE row_id > :after ORDER BY row_id LIMIT :limit`;
    }
  })();
}

/**
 * Experiments (MySQL/MariaDB, `after-<experiment>`): `noexpiry` drops the `<table>_expires_at` index
 * before loading (one index fewer to maintain per delete; the store's purge reads `<table>_state`).
 */
const EXPERIMENTS = ['noexpiry'];

async function mysqlCounters(database: TestDatabase): Promise<Map<string, number>> {
  const rows = await database.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${MYSQL_COUNTERS.map((name) => `'${name}'`).join(', ')})`);
  return new Map(rows.map((row) => [String(row.Variable_name), Number(row.Value)]));
}

function formatResult(result: PurgeVariantResult) {
  return {
    backend: result.backend,
    variant: result.variant,
    'purged rows': result.purgedRows,
    complete: result.complete ? 'yes' : 'no (time cap)',
    seconds: result.purgeSeconds.toFixed(1),
    'rows/s': Math.round(result.purgeRowsPerSec),
    'idle p50 ms': result.idle.p50Ms.toFixed(2),
    'idle p99 ms': result.idle.p99Ms.toFixed(2),
    'purge p50 ms': result.duringPurge.p50Ms.toFixed(2),
    'purge p99 ms': result.duringPurge.p99Ms.toFixed(2),
    'p99 ratio': `${result.p99Ratio.toFixed(2)}×`,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPurge();
}

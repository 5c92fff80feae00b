/**
 * Relational store benchmark, PostgreSQL and MariaDB/MySQL in one run:
 *
 * 1. Throughput: validate, issue and revoke ops/sec through the store (via TokenService) against
 *    the very same SQL statements (taken from the store's own statement catalog) sent with the raw
 *    driver on the same pool, i.e. the physical limit. Targets (issue 12): validate ≥ 95% of raw, issue ≥ 90%.
 * 2. Purge: BENCH_PURGE_ROWS expired access tokens among BENCH_LIVE_ROWS live ones (bulk-loaded with
 *    INSERT … SELECT); purge rows/sec, and validate p50/p99 latency while the purge runs against
 *    idle, sampled in alternating windows (idle, purge run, idle, …) until the purge is done.
 *    Target: p99 during purge within 2× idle.
 *
 *   node --import tsx bench/rdbms.ts
 *
 * Databases: TOKENSTORE_TEST_POSTGRES_URL / TOKENSTORE_TEST_MYSQL_URL (a backend without a URL is
 * skipped). Sizes (env): BENCH_BACKENDS=postgres,mysql BENCH_DURATION_MS=3000 BENCH_CONCURRENCY=32
 * BENCH_POOL_SIZE=10 BENCH_TOKENS=100000 BENCH_PURGE_ROWS=1000000 BENCH_LIVE_ROWS=200000
 * BENCH_LATENCY_CONCURRENCY=4 BENCH_PURGE_BATCH=1000 BENCH_ROUNDS=5
 * BENCH_OPERATIONS=validate,issue,revoke BENCH_WINDOW_MS=1000 BENCH_PURGE_PAUSE_MS=0 BENCH_PARTS=throughput,purge
 * BENCH_SCHEMA_UP_TO=6 (throughput on the schema files up to that version only). Creates (and drops first) the schema or
 * database `tokenstore_bench` and `tokenstore_bench_purge`.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { generateGrantId, type StoredAccessToken, TokenService, UserType } from '@tokenstore/core';
import { RowCodec } from '../packages/rdbms/src/schema/row-codec.js';
import type { SqlStatement } from '../packages/rdbms/src/statements/sql-statement.js';
import { bulkKey, bulkLoadTokens } from '../packages/rdbms/test/support/bulk-load.js';
import type { TestBackend } from '../packages/rdbms/test/support/environment.js';
import { TestDatabase } from '../packages/rdbms/test/support/test-database.js';
import { formatPurgeResult, type PurgeVariantResult, runPurgeVariant } from './purge.js';
import { backendsWithUrl, envWholeNumber, type Measurement, measure, schemaUpTo } from './sql-support.js';
import { median } from './support.js';

interface BenchSettings {
  backends: TestBackend[];
  durationMs: number;
  concurrency: number;
  poolSize: number;
  tokens: number;
  purgeRows: number;
  liveRows: number;
  latencyConcurrency: number;
  purgeBatch: number;
  /** `purge.pauseMs`: pause between purge batches. */
  purgePauseMs: number;
  rounds: number;
  /** Length of each idle and each purge window of the purge benchmark. */
  windowMs: number;
  /** Which parts to run: `throughput`, `purge` (both by default). */
  parts: Array<'throughput' | 'purge'>;
  /** BENCH_SCHEMA_UP_TO: apply only the schema files up to this version (e.g. 6, before 007 re-keyed MySQL's token tables); default all. */
  schemaUpTo: number | undefined;
  /** Which throughput operations to run (all by default). */
  operations: Array<ThroughputResult['operation']>;
}

export interface ThroughputResult {
  operation: 'validate' | 'issue' | 'revoke';
  storeOpsPerSec: number;
  rawOpsPerSec: number;
  /** Median over the rounds of store / raw. */
  ratio: number;
  /** Client (Node.js) CPU per operation, median over the rounds: the store's own cost, whatever else loads the machine. */
  storeCpuMicrosPerOp: number;
  rawCpuMicrosPerOp: number;
}

export interface BackendResult {
  backend: TestBackend;
  throughput: ThroughputResult[];
  purge: PurgeVariantResult | undefined;
}

const HOUR = 3_600_000;

function settingsFromEnv(): BenchSettings {
  const number = envWholeNumber;
  return {
    backends: (process.env.BENCH_BACKENDS ?? 'postgres,mysql').split(',').map((name) => name.trim()) as TestBackend[],
    durationMs: number('BENCH_DURATION_MS', 3000),
    concurrency: number('BENCH_CONCURRENCY', 32),
    poolSize: number('BENCH_POOL_SIZE', 10),
    tokens: number('BENCH_TOKENS', 100_000),
    purgeRows: number('BENCH_PURGE_ROWS', 1_000_000),
    liveRows: number('BENCH_LIVE_ROWS', 200_000),
    latencyConcurrency: number('BENCH_LATENCY_CONCURRENCY', 4),
    purgeBatch: number('BENCH_PURGE_BATCH', 1000),
    purgePauseMs: number('BENCH_PURGE_PAUSE_MS', 0),
    rounds: Math.max(1, number('BENCH_ROUNDS', 5)),
    windowMs: Math.max(100, number('BENCH_WINDOW_MS', 1000)),
    schemaUpTo: process.env.BENCH_SCHEMA_UP_TO ? number('BENCH_SCHEMA_UP_TO', 0) : undefined,
    parts: (process.env.BENCH_PARTS ?? 'throughput,purge').split(',').map((name) => name.trim()) as Array<'throughput' | 'purge'>,
    operations: (process.env.BENCH_OPERATIONS ?? 'validate,issue,revoke').split(',').map((name) => name.trim()) as Array<
      ThroughputResult['operation']
    >,
  };
}

/** Runs the benchmark on every backend that has a URL; prints a report and returns the figures. */
export async function benchRdbms(overrides: Partial<BenchSettings> = {}): Promise<BackendResult[]> {
  const settings = { ...settingsFromEnv(), ...overrides };
  const results: BackendResult[] = [];
  for (const { backend, url } of backendsWithUrl(settings.backends, 'rdbms')) {
    let throughput: ThroughputResult[] = [];
    if (settings.parts.includes('throughput')) {
      console.log(
        `[bench:rdbms] ${backend}: throughput (pool ${settings.poolSize}, ${settings.concurrency} in flight, ${settings.rounds} rounds of ${settings.durationMs} ms per side)`,
      );
      throughput = await benchThroughput(backend, url, settings);
      console.table(throughput.map(formatThroughput));
    }
    let purge: PurgeVariantResult | undefined;
    if (settings.parts.includes('purge')) {
      // The purge measurement of bench/purge.ts (its `after` variant: the shipped schema and statement).
      console.log(`[bench:rdbms] ${backend}: purge of ${settings.purgeRows} expired rows among ${settings.liveRows} live`);
      purge = await runPurgeVariant(backend, url, settings.purgePauseMs > 0 ? `after-pause${settings.purgePauseMs}` : 'after', {
        purgeRows: settings.purgeRows,
        liveRows: settings.liveRows,
        batch: settings.purgeBatch,
        windowMs: settings.windowMs,
        latencyConcurrency: settings.latencyConcurrency,
        poolSize: settings.poolSize,
      });
      console.table([formatPurgeResult(purge)]);
    }
    results.push({ backend, throughput, purge });
  }
  return results;
}

// ---------------------------------------------------------------- throughput

async function benchThroughput(backend: TestBackend, url: string, settings: BenchSettings): Promise<ThroughputResult[]> {
  const upTo = settings.schemaUpTo;
  const folder = upTo === undefined ? undefined : schemaUpTo(backend, upTo);
  const database = await TestDatabase.open(backend, url, 'tokenstore_bench', {
    poolSize: settings.poolSize,
    migrate: folder === undefined,
  });
  try {
    if (folder !== undefined) {
      const migrating = await database.createStore({ migrationsDirectory: folder });
      const { version } = await migrating.migrate();
      await migrating.close();
      console.log(`[bench:rdbms] ${backend}: schema files up to ${String(upTo).padStart(3, '0')} (version ${version})`);
    }
    const now = Date.now();
    await bulkLoadTokens(database.query, backend, {
      kind: 'accessToken',
      first: 0,
      count: settings.tokens,
      expired: false,
      now,
      retiredEvery: 0,
    });
    await analyze(database);
    const store = await database.createStore();
    const service = new TokenService({ store });
    const { consumerKey } = await service.registerClient({ name: 'bench' });
    const catalog = store.statements;
    const codec = new RowCodec(store.dialect);
    const raw = (statement: SqlStatement) => database.query(statement.sql, [...statement.params]);
    const randomKey = () => bulkKey('accessToken', Math.floor(Math.random() * settings.tokens));
    // Revocations take fresh tokens from the top of the range, store and raw alike.
    let nextToRevoke = settings.tokens - 1;
    const tokenToRevoke = () => bulkKey('accessToken', nextToRevoke-- > 0 ? nextToRevoke : Math.floor(Math.random() * settings.tokens));

    const operations: Array<{ name: ThroughputResult['operation']; store: () => Promise<unknown>; raw: () => Promise<unknown> }> = [
      {
        name: 'validate',
        store: () => service.validateAccessToken(randomKey()),
        raw: () => raw(catalog.tokens.accessToken.selectByKey.bind({ key: randomKey() })),
      },
      {
        name: 'issue',
        store: () =>
          service.issueAccessToken({ consumerKey, userId: `user-${Math.floor(Math.random() * 1000)}`, scopes: 'openid profile' }),
        raw: async () => {
          await raw(catalog.client.selectByKey.bind({ consumerKey }));
          await raw(catalog.tokens.accessToken.insert.bind(codec.tokenValues('accessToken', freshAccessToken(consumerKey))));
        },
      },
      {
        name: 'revoke',
        store: () => service.revokeAccessToken(tokenToRevoke()),
        raw: async () => {
          const key = tokenToRevoke();
          await raw(catalog.tokens.accessToken.selectByKey.bind({ key }));
          await raw(catalog.tokens.accessToken.compareAndSetState.bind({ key, from: 'ACTIVE', to: 'REVOKED', at: Date.now() }));
        },
      },
    ];

    const results: ThroughputResult[] = [];
    for (const operation of operations.filter((candidate) => settings.operations.includes(candidate.name))) {
      await measure(Math.min(1000, settings.durationMs), settings.concurrency, operation.store);
      await measure(Math.min(1000, settings.durationMs), settings.concurrency, operation.raw);
      // Interleaved rounds, the order swapped each round, and medians: background load on a shared
      // machine then shifts both sides of a round alike instead of one side of the comparison.
      const storeRuns: Measurement[] = [];
      const rawRuns: Measurement[] = [];
      for (let round = 0; round < settings.rounds; round++) {
        const measureStore = async () => storeRuns.push(await measure(settings.durationMs, settings.concurrency, operation.store));
        const measureRaw = async () => rawRuns.push(await measure(settings.durationMs, settings.concurrency, operation.raw));
        if (round % 2 === 0) {
          await measureStore();
          await measureRaw();
        } else {
          await measureRaw();
          await measureStore();
        }
      }
      results.push({
        operation: operation.name,
        storeOpsPerSec: median(storeRuns.map((m) => m.opsPerSec)),
        rawOpsPerSec: median(rawRuns.map((m) => m.opsPerSec)),
        ratio: median(storeRuns.map((m, round) => m.opsPerSec / rawRuns[round]!.opsPerSec)),
        storeCpuMicrosPerOp: median(storeRuns.map((m) => m.cpuMicrosPerOp)),
        rawCpuMicrosPerOp: median(rawRuns.map((m) => m.cpuMicrosPerOp)),
      });
    }
    await store.close();
    return results;
  } finally {
    await database.close();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  }
}

function freshAccessToken(consumerKey: string): StoredAccessToken {
  const now = Date.now();
  return {
    key: randomBytes(32).toString('base64url'),
    value: null,
    consumerKey,
    userId: `user-${Math.floor(Math.random() * 1000)}`,
    userType: UserType.ApplicationUser,
    scopes: ['openid', 'profile'],
    grantId: generateGrantId(),
    state: 'ACTIVE',
    issuedAt: now,
    expiresAt: now + HOUR,
    stateChangedAt: now,
    reuseKey: randomBytes(32).toString('hex'),
    exclusive: false,
    grantType: 'password',
  };
}

async function analyze(database: TestDatabase): Promise<void> {
  if (database.backend === 'postgres') await database.query('VACUUM ANALYZE tokenstore_access_token');
  else await database.query('ANALYZE TABLE tokenstore_access_token');
}

function _seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function formatThroughput(result: ThroughputResult) {
  return {
    operation: result.operation,
    'store ops/s': Math.round(result.storeOpsPerSec),
    'raw ops/s': Math.round(result.rawOpsPerSec),
    'store/raw': `${(result.ratio * 100).toFixed(1)}%`,
    'store cpu µs/op': result.storeCpuMicrosPerOp.toFixed(1),
    'raw cpu µs/op': result.rawCpuMicrosPerOp.toFixed(1),
    // Issue 12: validate ≥ 95% of raw, issue ≥ 90%.
    target: targetOf(result),
  };
}

function targetOf(result: ThroughputResult): string {
  const target = { validate: 0.95, issue: 0.9 }[result.operation as 'validate' | 'issue'];
  if (target === undefined) return '';
  return `${result.ratio >= target ? 'met' : 'MISSED'} (≥ ${target * 100}%)`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchRdbms();
}

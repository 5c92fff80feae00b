/**
 * Observability benchmark (issue 13):
 * 1. what OpenTelemetry instrumentation costs token validation on the memory store: the same
 *    validations through a plain service, an instrumented one with no SDK installed (the API's no-op
 *    meter, what a user without OpenTelemetry gets) and one with the SDK recording; interleaved rounds,
 *    medians, reported as ratios to the plain service;
 * 2. `tokenstore stats` without a scan: `store.count()` per kind on a PostgreSQL table of 1,000,000
 *    access tokens (what `stats` sends), median of five, in milliseconds.
 * Run: node --import tsx bench/observability.ts   (part 2 needs TOKENSTORE_TEST_POSTGRES_URL)
 */
import { pathToFileURL } from 'node:url';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, type MetricData, MetricReader } from '@opentelemetry/sdk-metrics';
import { MemoryStore } from '@tokenstore/cache';
import { instrumentTokenService, TokenService } from '@tokenstore/core';
import { bulkLoadTokens } from '../packages/rdbms/test/support/bulk-load.js';
import { testEnvironment } from '../packages/rdbms/test/support/environment.js';
import { TestDatabase } from '../packages/rdbms/test/support/test-database.js';
import { formatRate, measureThroughput, median, printTable } from './support.js';

const TOKENS = 50_000;
const ROUNDS = 3;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
const STATS_ROWS = Number(process.env.BENCH_STATS_ROWS ?? 1_000_000);

/** A reader that keeps what the SDK records and exports nothing (as a Prometheus reader between scrapes). */
class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
  async metrics(): Promise<MetricData[]> {
    return (await this.collect()).resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  }
}

export async function benchObservability(): Promise<void> {
  await benchInstrumentationCost();
  const environment = await testEnvironment('postgres');
  if (environment.skip) console.log(`[bench:observability] stats on PostgreSQL: skipped — ${environment.skip}`);
  else await benchStats(environment.url as string);
}

async function benchInstrumentationCost(): Promise<void> {
  const store = new MemoryStore({ maxEntries: 1_000_000 });
  const plain = new TokenService({ store });
  const { consumerKey } = await plain.registerClient({ name: 'bench' });
  const tokens: string[] = [];
  for (let i = 0; i < TOKENS; i++)
    tokens.push((await plain.issueAccessToken({ consumerKey, userId: `user-${i}`, scopes: 'read' })).accessToken);
  // No global MeterProvider is registered: metrics.getMeter() is the API's no-op meter.
  const noSdk = new TokenService({ store });
  instrumentTokenService(noSdk, { meter: metrics.getMeter('tokenstore-bench') });
  const reader = new IdleReader();
  const provider = new MeterProvider({ readers: [reader] });
  const withSdk = new TokenService({ store });
  instrumentTokenService(withSdk, { meter: provider.getMeter('tokenstore-bench') });

  const services = { plain, 'instrumented, no SDK': noSdk, 'instrumented, SDK recording': withSdk } as const;
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(services).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, service] of Object.entries(services)) {
      const { opsPerSecond } = await measureThroughput((i) => service.validateAccessToken(tokens[i % TOKENS] as string), {
        durationMs: DURATION_MS,
      });
      rates[name]!.push(opsPerSecond);
    }
  const base = median(rates.plain!);
  printTable(
    `validate on the memory store, median of ${ROUNDS} interleaved rounds of ${DURATION_MS} ms`,
    Object.keys(services).map((name) => ({
      service: name,
      'validations/s': formatRate(median(rates[name]!)),
      'vs plain': (median(rates[name]!) / base).toFixed(3),
    })),
  );
  const recorded = (await reader.metrics()).find((metric) => metric.descriptor.name.includes('validation'));
  console.log(
    `[bench:observability] the SDK run recorded ${recorded ? recorded.dataPoints.length : 0} validation series (proof it measured)`,
  );
  await provider.shutdown();
}

async function benchStats(url: string): Promise<void> {
  const database = await TestDatabase.open('postgres', url, 'tokenstore_bench_stats');
  try {
    const now = Date.now();
    const live = Math.floor(STATS_ROWS * 0.8);
    console.log(
      `[bench:observability] loading ${STATS_ROWS} access tokens (${live} live, ${STATS_ROWS - live} expired; every 10th revoked)`,
    );
    await bulkLoadTokens(database.query, 'postgres', { kind: 'accessToken', first: 0, count: live, expired: false, now });
    await bulkLoadTokens(database.query, 'postgres', { kind: 'accessToken', first: live, count: STATS_ROWS - live, expired: true, now });
    // As autovacuum would leave it: statistics and a visibility map, so the count can be index-only.
    await database.query('VACUUM ANALYZE tokenstore_access_token');
    const store = await database.createStore();
    const timings: number[] = [];
    let answer = '';
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const counts = [];
      for (const kind of ['accessToken', 'refreshToken', 'authorizationCode'] as const) counts.push(await store.count!(kind, now));
      timings.push(performance.now() - started);
      answer = JSON.stringify(counts[0]);
    }
    const scanStarted = performance.now();
    const n = (await database.query('SELECT COUNT(*) AS n FROM tokenstore_access_token'))[0]?.n;
    const fullCount = performance.now() - scanStarted;
    printTable(`tokenstore stats on PostgreSQL, ${STATS_ROWS} rows`, [
      { what: 'count() of the three kinds (what stats sends), median of 5', ms: median(timings).toFixed(1) },
      { what: 'one plain SELECT COUNT(*) of the access-token table, for scale', ms: fullCount.toFixed(1) },
    ]);
    console.log(`[bench:observability] access tokens counted: ${answer} (table holds ${n})`);
    await store.close();
  } finally {
    await database.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchObservability();

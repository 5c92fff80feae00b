/**
 * Read cache in front of PostgreSQL (issue 12), in one run:
 *
 * 1. Hot tokens: validation per second through TokenService + ReadCache (a hit is answered by `peek`,
 *    synchronously) against the raw PostgreSQL lookup (the store's own SELECT by key sent with `pg`
 *    on the same pool). Target: ≥ 50×.
 * 2. A 90/10 validate/issue mix over BENCH_TOKENS (100,000) bulk-loaded tokens, picked with a Zipf
 *    distribution (s = BENCH_ZIPF_S, 1), through ReadCache (default options: 10,000 entries, 5 s) and
 *    through the bare SQL store: ops/s of both and the cache's hit rate (`ReadCache.stats()`).
 *
 *   node --import tsx bench/read-cache.ts
 *
 * Needs TOKENSTORE_TEST_POSTGRES_URL. Env: BENCH_DURATION_MS=3000 BENCH_ROUNDS=3 BENCH_CONCURRENCY=32
 * BENCH_POOL_SIZE=10 BENCH_TOKENS=100000 BENCH_HOT_TOKENS=1000 BENCH_ZIPF_S=1. Creates (and drops
 * first) the schema `tokenstore_bench_cache` (suffixed by TOKENSTORE_TEST_NAMESPACE).
 */
import { pathToFileURL } from 'node:url';
import { ReadCache } from '@tokenstore/cache';
import { TokenService, type TokenStore } from '@tokenstore/core';
import { bulkKey, bulkLoadTokens } from '../packages/rdbms/test/support/bulk-load.js';
import { TestDatabase } from '../packages/rdbms/test/support/test-database.js';
import { closedLoop, formatRate, interleaved } from './support.js';

export interface ReadCacheBenchResult {
  hot: { cachedOpsPerSec: number; rawOpsPerSec: number; ratio: number };
  mix: { cachedOpsPerSec: number; sqlOpsPerSec: number; ratio: number; hitRate: number };
}

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

export async function benchReadCache(): Promise<ReadCacheBenchResult | undefined> {
  const url = process.env.TOKENSTORE_TEST_POSTGRES_URL;
  if (!url) {
    console.log('[bench:read-cache] skipped — TOKENSTORE_TEST_POSTGRES_URL is not set');
    return undefined;
  }
  const durationMs = env('BENCH_DURATION_MS', 3000);
  const rounds = env('BENCH_ROUNDS', 3);
  const concurrency = env('BENCH_CONCURRENCY', 32);
  const tokens = env('BENCH_TOKENS', 100_000);
  const hotTokens = env('BENCH_HOT_TOKENS', 1000);
  const zipfS = env('BENCH_ZIPF_S', 1);

  const database = await TestDatabase.open('postgres', url, 'tokenstore_bench_cache', { poolSize: env('BENCH_POOL_SIZE', 10) });
  try {
    await bulkLoadTokens(database.query, 'postgres', {
      kind: 'accessToken',
      first: 0,
      count: tokens,
      expired: false,
      now: Date.now(),
      retiredEvery: 0,
    });
    await database.query('VACUUM ANALYZE tokenstore_access_token');
    const sqlStore = await database.createStore();
    const cache = new ReadCache(sqlStore);
    // Two services on one SQL store: the same rows, with and without the cache in front.
    const cached = new TokenService({ store: cache });
    const bare = new TokenService({ store: uncloseable(sqlStore) });
    const { consumerKey } = await bare.registerClient({ name: 'bench' });
    const selectByKey = sqlStore.statements.tokens.accessToken.selectByKey;
    const raw = (key: string) => {
      const statement = selectByKey.bind({ key });
      return database.query(statement.sql, [...statement.params]);
    };

    // ---- 1. hot tokens
    const hotKey = (i: number) => bulkKey('accessToken', i % hotTokens);
    const hotKeys = Array.from({ length: hotTokens }, (_, i) => hotKey(i));
    for (const key of hotKeys) if ((await cached.validateAccessToken(key)) === null) throw new Error('a hot token did not validate');
    let hotCounter = 0;
    const cachedHot = () => cached.validateAccessToken(hotKeys[hotCounter++ % hotTokens]!);
    const rawHot = () => raw(hotKeys[hotCounter++ % hotTokens]!);
    const hot = await interleaved(rounds, durationMs, concurrency, cachedHot, rawHot);

    // ---- 2. Zipf mix
    const zipf = zipfSampler(tokens, zipfS);
    const permutation = shuffled(tokens); // rank → row number, so hot rows are spread over the table
    const keys = Array.from({ length: tokens }, (_, i) => bulkKey('accessToken', i));
    const mixOf = (service: TokenService) => {
      let i = 0;
      return () => {
        if (i++ % 10 === 9) return service.issueAccessToken({ consumerKey, userId: `user-${i % 1000}`, scopes: 'openid profile' });
        return service.validateAccessToken(keys[permutation[zipf()]!]!);
      };
    };
    const cachedMix = mixOf(cached);
    const bareMix = mixOf(bare);
    // Warm the cache to its steady state before measuring (default 5 s TTL: a couple of TTLs).
    await closedLoop(Math.max(2000, durationMs), concurrency, cachedMix);
    const before = cache.stats();
    const mix = await interleaved(rounds, durationMs, concurrency, cachedMix, bareMix);
    const after = cache.stats();
    const hits = after.hits - before.hits;
    const misses = after.misses - before.misses;
    const hitRate = hits / Math.max(1, hits + misses);

    await cached.close();
    const result: ReadCacheBenchResult = {
      hot: { cachedOpsPerSec: hot.a, rawOpsPerSec: hot.b, ratio: hot.ratio },
      mix: { cachedOpsPerSec: mix.a, sqlOpsPerSec: mix.b, ratio: mix.ratio, hitRate },
    };
    console.log(
      `\n[bench:read-cache] PostgreSQL, pool ${env('BENCH_POOL_SIZE', 10)}, ${concurrency} in flight, medians of ${rounds} interleaved rounds of ${durationMs} ms`,
    );
    console.table([
      {
        figure: `hot validate (${hotTokens} tokens)`,
        'with ReadCache ops/s': formatRate(hot.a),
        'baseline ops/s': `${formatRate(hot.b)} (raw pg SELECT)`,
        ratio: `${hot.ratio.toFixed(1)}×`,
        target: hot.ratio >= 50 ? 'met (≥ 50×)' : 'MISSED (≥ 50×)',
      },
      {
        figure: `90/10 validate/issue, Zipf s=${zipfS} over ${tokens}`,
        'with ReadCache ops/s': formatRate(mix.a),
        'baseline ops/s': `${formatRate(mix.b)} (bare SQL store)`,
        ratio: `${mix.ratio.toFixed(2)}×`,
        target: `hit rate ${(hitRate * 100).toFixed(1)}%`,
      },
    ]);
    return result;
  } finally {
    await database.close();
  }
}

/** Ranks 0..n-1 with P(rank k) ∝ 1/(k+1)^s: inverse CDF by binary search over the cumulative weights. */
export function zipfSampler(n: number, s: number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** s;
    cumulative[k] = total;
  }
  return () => {
    const target = Math.random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

function shuffled(n: number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The SQL store shared by both services: only the cached service's close() closes it. */
function uncloseable(store: TokenStore): TokenStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'close') return async () => undefined;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchReadCache();
}

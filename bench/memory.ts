/**
 * Memory per stored token in the MemoryStore (issue 12): the V8 heap after a full GC, before and after
 * BENCH_MEMORY_TOKENS (200,000) tokens issued through TokenService, divided by the count; RSS growth
 * beside it. Two shapes, each in a fresh store: application tokens (client credentials: an access
 * token only) and user tokens with a refresh token (two rows per issue).
 *
 *   node --expose-gc --import tsx bench/memory.ts
 *
 * Without --expose-gc (e.g. from `npm run bench`) it runs itself again in a child process with it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MemoryStore } from '@tokenstore/cache';
import { TokenService } from '@tokenstore/core';
import { formatRate } from './support.js';

export interface MemoryBenchRow {
  shape: string;
  tokens: number;
  heapBytesPerToken: number;
  rssBytesPerToken: number;
  /** Heap of the empty store (lru-cache preallocates its `max` slots per kind). */
  emptyStoreHeapBytes: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function settledHeap(): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) gc!();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}

async function measureShape(shape: 'application' | 'user+refresh', count: number): Promise<MemoryBenchRow> {
  const empty = settledHeap();
  // Room for every row: the figure is the cost of a stored token, not of eviction.
  const store = new MemoryStore({ maxEntries: count });
  const service = new TokenService({ store });
  const { consumerKey } = await service.registerClient({ name: 'bench', grantTypes: ['client_credentials', 'refresh_token'] });
  const before = settledHeap();
  for (let i = 0; i < count; i++) {
    if (shape === 'application') await service.issueAccessToken({ consumerKey, scopes: 'read write' });
    else await service.issueAccessToken({ consumerKey, userId: `user-${i % 10_000}`, scopes: 'openid profile', issueRefreshToken: true });
  }
  const after = settledHeap();
  const sizes = store.sizes();
  if (sizes.accessToken.rows !== count) throw new Error(`expected ${count} stored access tokens, found ${sizes.accessToken.rows}`);
  await service.close();
  return {
    shape,
    tokens: count,
    heapBytesPerToken: (after.heap - before.heap) / count,
    rssBytesPerToken: (after.rss - before.rss) / count,
    emptyStoreHeapBytes: before.heap - empty.heap,
  };
}

export async function benchMemory(): Promise<MemoryBenchRow[] | undefined> {
  if (!gc) {
    const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`bench/memory.ts exited with ${result.status}`);
    return undefined;
  }
  const count = Number(process.env.BENCH_MEMORY_TOKENS ?? 200_000);
  const rows = [await measureShape('application', count), await measureShape('user+refresh', count)];
  console.log(`\n[bench:memory] MemoryStore, ${count} tokens issued through TokenService, heap after full GC (node --expose-gc)`);
  console.table(
    rows.map((row) => ({
      shape: row.shape === 'application' ? 'application token (access only)' : 'user token + refresh token',
      'heap bytes / token': formatRate(row.heapBytesPerToken),
      'RSS bytes / token': formatRate(row.rssBytesPerToken),
      'heap MB per 100,000': ((row.heapBytesPerToken * 100_000) / 2 ** 20).toFixed(1),
      [`empty store (maxEntries ${count}) MB`]: (row.emptyStoreHeapBytes / 2 ** 20).toFixed(1),
    })),
  );
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchMemory();
}

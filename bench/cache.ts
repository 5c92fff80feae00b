/**
 * Memory store benchmark (issue 2): validate and issue through TokenService + MemoryStore, against the
 * same work done directly with lru-cache + node:crypto (the physical limit of this design).
 * Run: node --import tsx bench/cache.ts
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { MemoryStore } from '@tokenstore/cache';
import { TokenService } from '@tokenstore/core';
import { LRUCache } from 'lru-cache';
import { formatRate, measureThroughput, printTable } from './support.js';

const TOKENS = 50_000;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);

interface RawRecord {
  consumerKey: string;
  userId: string;
  scopes: string[];
  state: string;
  expiresAt: number | null;
}

export interface CacheBenchResult {
  operation: string;
  service: number;
  raw: number;
  ratio: number;
}

export async function benchCache(): Promise<CacheBenchResult[]> {
  const service = new TokenService({ store: new MemoryStore({ maxEntries: 1_000_000 }), requireRegisteredClient: true });
  const client = await service.registerClient({ name: 'bench' });
  const tokens: string[] = [];
  for (let i = 0; i < TOKENS; i++) {
    tokens.push(
      (await service.issueAccessToken({ consumerKey: client.consumerKey, userId: `user-${i}`, scopes: 'read write' })).accessToken,
    );
  }

  // The physical limit: a bare LRU keyed by token value, the record as the value.
  const raw = new LRUCache<string, RawRecord>({ max: 1_000_000 });
  const rawTokens: string[] = [];
  for (let i = 0; i < TOKENS; i++) {
    const token = randomBytes(32).toString('base64url');
    raw.set(token, {
      consumerKey: client.consumerKey,
      userId: `user-${i}`,
      scopes: ['read', 'write'],
      state: 'ACTIVE',
      expiresAt: Date.now() + 3_600_000,
    });
    rawTokens.push(token);
  }
  const rawValidate = (i: number) => {
    const record = raw.get(rawTokens[i % TOKENS] as string);
    return record !== undefined && record.state === 'ACTIVE' && (record.expiresAt === null || record.expiresAt > Date.now())
      ? record
      : null;
  };
  const rawIssue = (i: number) => {
    const token = randomBytes(32).toString('base64url');
    raw.set(token, {
      consumerKey: client.consumerKey,
      userId: `user-${i}`,
      scopes: ['read', 'write'],
      state: 'ACTIVE',
      expiresAt: Date.now() + 3_600_000,
    });
    return token;
  };

  // Interleave service and raw measurements so both see the same machine state.
  const results: CacheBenchResult[] = [];
  const svcValidate = await measureThroughput((i) => service.validateAccessToken(tokens[i % TOKENS] as string), {
    durationMs: DURATION_MS,
  });
  const rawValidateRate = await measureThroughput(rawValidate, { durationMs: DURATION_MS });
  results.push({
    operation: 'validate',
    service: svcValidate.opsPerSecond,
    raw: rawValidateRate.opsPerSecond,
    ratio: svcValidate.opsPerSecond / rawValidateRate.opsPerSecond,
  });
  const svcIssue = await measureThroughput(
    (i) => service.issueAccessToken({ consumerKey: client.consumerKey, userId: `issue-${i}`, scopes: 'read write' }),
    {
      durationMs: DURATION_MS,
    },
  );
  const rawIssueRate = await measureThroughput(rawIssue, { durationMs: DURATION_MS });
  results.push({
    operation: 'issue',
    service: svcIssue.opsPerSecond,
    raw: rawIssueRate.opsPerSecond,
    ratio: svcIssue.opsPerSecond / rawIssueRate.opsPerSecond,
  });
  await service.close();

  printTable(
    'Memory store: TokenService + MemoryStore vs raw lru-cache + node:crypto (ops/s, 1 worker)',
    results.map((r) => ({
      operation: r.operation,
      'service ops/s': formatRate(r.service),
      'raw ops/s': formatRate(r.raw),
      'service/raw': r.ratio.toFixed(2),
    })),
  );
  const validate = results.find((r) => r.operation === 'validate');
  console.log(`validate ratio ${validate?.ratio.toFixed(2)} (target >= 0.50): ${validate && validate.ratio >= 0.5 ? 'MET' : 'NOT MET'}`);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchCache();
}

/**
 * What a user would otherwise write (issue 12): a token store on Keyv (`keyv` + `@keyv/postgres`,
 * token records stored as JSON by value under the token, with Keyv's TTL, as Keyv's README shows),
 * against TokenService on the SQL store, on the same PostgreSQL, in one run: validate, issue and
 * revoke per second, medians of interleaved rounds, and the ratios.
 *
 *   node --import tsx bench/keyv.ts
 *
 * Needs TOKENSTORE_TEST_POSTGRES_URL. Env: BENCH_DURATION_MS=3000 BENCH_ROUNDS=3 BENCH_CONCURRENCY=32
 * BENCH_POOL_SIZE=10 (both sides) BENCH_KEYV_TOKENS=100000 (loaded in bulk into each before measuring;
 * revocations take the second half, each token once).
 * Uses the schemas `tokenstore_bench_keyv` (Keyv's table `tokens`) and `tokenstore_bench_keyv_sql`.
 */
import { pathToFileURL } from 'node:url';
import KeyvPostgres from '@keyv/postgres';
import { generateTokenValue, TokenService } from '@tokenstore/core';
import Keyv from 'keyv';
import pg from 'pg';
import { bulkKey, bulkLoadTokens } from '../packages/rdbms/test/support/bulk-load.js';
import { namespacedDatabaseName } from '../packages/rdbms/test/support/isolated-database.js';
import { TestDatabase } from '../packages/rdbms/test/support/test-database.js';
import { closedLoop, formatRate, interleaved } from './support.js';

interface KeyvTokenRecord {
  clientId: string;
  userId: string;
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
  state: 'ACTIVE' | 'REVOKED';
}

/**
 * The token store one writes on Keyv: a record per token value, expiring through Keyv's TTL; clients
 * under `client:<id>`. Everything a store does beyond get/set would have to be built on top of it
 * (see the README's list of what this does not guarantee).
 */
export class KeyvTokenStore {
  constructor(readonly keyv: Keyv<KeyvTokenRecord | { name: string }>) {}

  async registerClient(clientId: string): Promise<void> {
    await this.keyv.set(`client:${clientId}`, { name: clientId });
  }

  async issue(clientId: string, userId: string, scopes: string[], validitySeconds = 3600): Promise<string> {
    if (!(await this.keyv.get(`client:${clientId}`))) throw new Error('unknown client');
    const token = generateTokenValue();
    const now = Date.now();
    const record: KeyvTokenRecord = { clientId, userId, scopes, issuedAt: now, expiresAt: now + validitySeconds * 1000, state: 'ACTIVE' };
    await this.keyv.set(`token:${token}`, record, validitySeconds * 1000);
    return token;
  }

  async validate(token: string): Promise<KeyvTokenRecord | null> {
    const record = (await this.keyv.get(`token:${token}`)) as KeyvTokenRecord | undefined;
    return record && record.state === 'ACTIVE' && record.expiresAt > Date.now() ? record : null;
  }

  /** Read, then write back REVOKED: two round trips, and nothing stops a concurrent writer in between. */
  async revoke(token: string): Promise<boolean> {
    const record = (await this.keyv.get(`token:${token}`)) as KeyvTokenRecord | undefined;
    if (record?.state !== 'ACTIVE') return false;
    await this.keyv.set(`token:${token}`, { ...record, state: 'REVOKED' }, Math.max(1, record.expiresAt - Date.now()));
    return true;
  }
}

export interface KeyvBenchRow {
  operation: 'validate' | 'issue' | 'revoke';
  tokenstoreOpsPerSec: number;
  keyvOpsPerSec: number;
  /** TokenService on the SQL store / the Keyv store, median of the per-round ratios. */
  ratio: number;
}

export async function benchKeyv(): Promise<KeyvBenchRow[] | undefined> {
  const url = process.env.TOKENSTORE_TEST_POSTGRES_URL;
  if (!url) {
    console.log('[bench:keyv] skipped — TOKENSTORE_TEST_POSTGRES_URL is not set');
    return undefined;
  }
  const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
  const poolSize = Number(process.env.BENCH_POOL_SIZE ?? 10);
  const count = Number(process.env.BENCH_KEYV_TOKENS ?? 100_000);

  const keyvSchema = namespacedDatabaseName('tokenstore_bench_keyv');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${keyvSchema} CASCADE`);
  await admin.end();
  const keyvAdapter = new KeyvPostgres({ uri: url, schema: keyvSchema, table: 'tokens', max: poolSize });
  const keyv = new Keyv<KeyvTokenRecord | { name: string }>({ store: keyvAdapter });
  keyv.on('error', (error) => console.error('[bench:keyv] keyv error', error));
  const keyvStore = new KeyvTokenStore(keyv);

  const database = await TestDatabase.open('postgres', url, 'tokenstore_bench_keyv_sql', { poolSize });
  const service = new TokenService({ store: await database.createStore() });
  try {
    const { consumerKey } = await service.registerClient({ name: 'bench' });
    await keyvStore.registerClient(consumerKey);
    const issueService = (i: number) =>
      service.issueAccessToken({ consumerKey, userId: `user-${i % 1000}`, scopes: 'openid profile' }).then((t) => t.accessToken);
    const issueKeyv = (i: number) => keyvStore.issue(consumerKey, `user-${i % 1000}`, ['openid', 'profile']);
    // Both tables filled in bulk (INSERT … SELECT on the SQL side, Keyv's setMany in chunks on the
    // other): the same count of ACTIVE, unexpired tokens, the same shape.
    const now = Date.now();
    await bulkLoadTokens(database.query, 'postgres', { kind: 'accessToken', first: 0, count, expired: false, now, retiredEvery: 0 });
    const serviceTokens = Array.from({ length: count }, (_, i) => bulkKey('accessToken', i));
    const keyvTokens = Array.from({ length: count }, () => generateTokenValue());
    for (let first = 0; first < count; first += 1000) {
      const entries = keyvTokens.slice(first, first + 1000).map((token, k) => {
        const record: KeyvTokenRecord = {
          clientId: consumerKey,
          userId: `user-${(first + k) % 1000}`,
          scopes: ['openid', 'profile'],
          issuedAt: now,
          expiresAt: now + 3_600_000,
          state: 'ACTIVE',
        };
        return { key: `token:${token}`, value: record, ttl: 3_600_000 };
      });
      await keyv.setMany(entries);
    }
    await database.query('VACUUM ANALYZE tokenstore_access_token');
    await closedLoop(500, concurrency, () => undefined);

    const random = (tokens: string[]) => tokens[Math.floor(Math.random() * tokens.length)]!;
    // Revocations take tokens from the end of each list (each revoked once while they last).
    const validTokens = { service: serviceTokens.slice(0, count / 2), keyv: keyvTokens.slice(0, count / 2) };
    // When they run out, already revoked ones (both sides then answer "not active" after one read).
    const revokeFrom = (tokens: string[]) => {
      const revoked: string[] = [];
      return () => {
        if (tokens.length <= count / 2) return random(revoked);
        const token = tokens.pop()!;
        revoked.push(token);
        return token;
      };
    };
    const serviceToRevoke = revokeFrom([...serviceTokens]);
    const keyvToRevoke = revokeFrom([...keyvTokens]);
    let n = 0;
    const operations = [
      {
        operation: 'validate' as const,
        service: () => service.validateAccessToken(random(validTokens.service)),
        keyv: () => keyvStore.validate(random(validTokens.keyv)),
      },
      { operation: 'issue' as const, service: () => issueService(n++), keyv: () => issueKeyv(n++) },
      {
        operation: 'revoke' as const,
        service: () => service.revokeAccessToken(serviceToRevoke()),
        keyv: () => keyvStore.revoke(keyvToRevoke()),
      },
    ];
    const rows: KeyvBenchRow[] = [];
    for (const { operation, service: ours, keyv: theirs } of operations) {
      const result = await interleaved(rounds, durationMs, concurrency, ours, theirs);
      rows.push({ operation, tokenstoreOpsPerSec: result.a, keyvOpsPerSec: result.b, ratio: result.ratio });
    }
    if ((await service.validateAccessToken(validTokens.service[0]!)) === null || (await keyvStore.validate(validTokens.keyv[0]!)) === null)
      throw new Error('a token that was never revoked no longer validates');
    console.log(
      `\n[bench:keyv] PostgreSQL, pool ${poolSize} each, ${concurrency} in flight, ${count} tokens loaded into each first, medians of ${rounds} interleaved rounds of ${durationMs} ms`,
    );
    console.table(
      rows.map((row) => ({
        operation: row.operation,
        'TokenService + SQL store ops/s': formatRate(row.tokenstoreOpsPerSec),
        'Keyv + @keyv/postgres ops/s': formatRate(row.keyvOpsPerSec),
        'tokenstore / keyv': `${(row.ratio * 100).toFixed(1)}%`,
      })),
    );
    return rows;
  } finally {
    await service.close();
    await database.close();
    await keyv.disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchKeyv();
}

import { CassandraStore } from '@tokenstore/cassandra';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDriver, detectCassandra, printSkip, type StartedCassandra, startCassandra } from './support/environment.js';
import { accessTokenRow, HOUR, NOW, refreshTokenRow } from './support/rows.js';

const KEYSPACE = 'tokenstore_it_ttl';
const RETENTION = { expiredSeconds: 600, inactiveSeconds: 3600 };
const environment = await detectCassandra();
if (environment.kind === 'skip') printSkip('TTL tests', environment.reason);

describe.skipIf(environment.kind === 'skip')('cassandra TTLs', () => {
  let started: StartedCassandra;
  let driver: cassandra.Client;
  let store: CassandraStore;

  beforeAll(async () => {
    started = await startCassandra(environment);
    driver = await connectDriver(started.url);
    store = await CassandraStore.create({ client: driver, keyspace: KEYSPACE, createSchema: true, retention: RETENTION });
  });
  afterAll(async () => {
    await store?.close();
    await driver?.shutdown();
    await started?.stop();
  });

  /** Remaining TTL in seconds of a cell, or null when it has none. */
  async function ttlOf(table: string, column: string, where: string, params: unknown[]): Promise<number | null> {
    const result = await driver.execute(`SELECT TTL(${column}) AS ttl FROM ${KEYSPACE}.${table} WHERE ${where}`, params, { prepare: true });
    return (result.first()?.ttl as number | null) ?? null;
  }

  it('writes a row USING TTL = remaining lifetime + expired retention, computed from the times passed in', async () => {
    // Issued "in 2030" by the fake clock: only the difference expiresAt - issuedAt counts.
    const row = accessTokenRow({ issuedAt: NOW, expiresAt: NOW + HOUR });
    await store.insert('accessToken', row);
    const ttl = await ttlOf('access_tokens', 'consumer_key', 'key = ?', [row.key]);
    expect(ttl).toBeGreaterThan(3600 + 600 - 30);
    expect(ttl).toBeLessThanOrEqual(3600 + 600);
  });

  it('gives the lookup entries the TTL of their row', async () => {
    const row = refreshTokenRow({ issuedAt: NOW, expiresAt: NOW + 24 * HOUR });
    await store.insert('refreshToken', row);
    const rowTtl = (await ttlOf('refresh_tokens', 'consumer_key', 'key = ?', [row.key]))!;
    // (tokens_by_consumer and tokens_by_grant have key columns only, whose TTL CQL cannot select.)
    const byUser = (await ttlOf('tokens_by_user', 'consumer_key', 'user_id = ? AND kind = ? AND token_key = ?', [
      row.userId,
      'refreshToken',
      row.key,
    ]))!;
    expect(rowTtl).toBeGreaterThan(24 * 3600);
    expect(Math.abs(byUser - rowTtl)).toBeLessThanOrEqual(5);
  });

  it('writes no TTL for a token that never expires', async () => {
    const row = accessTokenRow({ expiresAt: null });
    await store.insert('accessToken', row);
    expect(await ttlOf('access_tokens', 'consumer_key', 'key = ?', [row.key])).toBeNull();
    expect(await ttlOf('access_tokens', 'state', 'key = ?', [row.key])).toBeNull();
  });

  it('keeps the row expiring as one after a state change: the changed cells get the remaining TTL', async () => {
    const row = accessTokenRow({ issuedAt: NOW, expiresAt: NOW + HOUR });
    await store.insert('accessToken', row);
    // Hours later on the fake clock; the row's TTL still runs in real time.
    expect(await store.compareAndSetState('accessToken', row.key, { from: 'ACTIVE', to: 'REVOKED', at: NOW + 3 * HOUR })).toBe(true);
    const untouched = (await ttlOf('access_tokens', 'consumer_key', 'key = ?', [row.key]))!;
    const changed = (await ttlOf('access_tokens', 'state', 'key = ?', [row.key]))!;
    expect(Math.abs(changed - untouched)).toBeLessThanOrEqual(2);
  });

  it('writes no TTL at all past maxTtlSeconds (such rows rely on the purge)', async () => {
    const capped = new CassandraStore({ client: driver, keyspace: KEYSPACE, maxTtlSeconds: 3600 });
    const row = accessTokenRow({ issuedAt: NOW, expiresAt: NOW + 2 * HOUR });
    await capped.insert('accessToken', row);
    expect(await ttlOf('access_tokens', 'consumer_key', 'key = ?', [row.key])).toBeNull();
  });
});

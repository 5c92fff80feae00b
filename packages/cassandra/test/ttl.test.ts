import { CassandraStore } from '@tokenstore/cassandra';
import { TokenService } from '@tokenstore/core';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retainedTtl, type TtlPolicy } from '../src/ttl.js';
import { connectDriver, detectCassandra, printSkip, type StartedCassandra, startCassandra } from './support/environment.js';
import { namespacedKeyspace } from './support/keyspace.js';
import { accessTokenRow, HOUR, NOW, refreshTokenRow } from './support/rows.js';

const KEYSPACE = namespacedKeyspace('tokenstore_it_ttl');
const RETENTION = { expiredSeconds: 600, inactiveSeconds: 3600 };
const environment = await detectCassandra();
if (environment.kind === 'skip') printSkip('TTL tests', environment.reason);

describe('retainedTtl: the TTL of a row that leaves ACTIVE now', () => {
  const policy: TtlPolicy = { ...RETENTION, extraTtlSeconds: 7 * 86_400, maxTtlSeconds: 20 * 365 * 86_400 };

  it('covers the inactive retention from the state change when the row would vanish before it ends', () => {
    // Expires 60 s from now: 660 s left (60 s + expired retention); kept the inactive retention, 1 h, instead.
    expect(retainedTtl(660, policy)).toBe(3600);
  });

  it('keeps the remaining TTL when it already ends later (its expiry plus the expired retention)', () => {
    expect(retainedTtl(86_400 + 600, policy)).toBe(86_400 + 600);
    expect(retainedTtl(3601, policy)).toBe(3601);
  });

  it('leaves a row without TTL without one (it never expires, or its TTL was past maxTtlSeconds): the purge removes it', () => {
    expect(retainedTtl(0, policy)).toBe(0);
  });

  it('writes no TTL when the inactive retention is past maxTtlSeconds', () => {
    expect(retainedTtl(660, { ...policy, maxTtlSeconds: 3000 })).toBe(0);
  });
});

describe.skipIf(environment.kind === 'skip')('cassandra TTLs', () => {
  let started: StartedCassandra;
  let driver: cassandra.Client;
  let store: CassandraStore;

  beforeAll(async () => {
    started = await startCassandra(environment);
    driver = await connectDriver(started.url);
    store = await CassandraStore.create({ client: driver, keyspace: KEYSPACE, createSchema: true });
    // The service owns the retention and hands it to its store.
    new TokenService({ store, retention: RETENTION });
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

  it('extends the whole row and its lookup entries to the inactive retention when a short-lived row is revoked', async () => {
    const row = accessTokenRow({ issuedAt: NOW, expiresAt: NOW + 60_000 });
    await store.insert('accessToken', row);
    expect(await store.compareAndSetState('accessToken', row.key, { from: 'ACTIVE', to: 'REVOKED', at: NOW })).toBe(true);
    for (const column of ['consumer_key', 'state', 'issued_at'])
      expect(await ttlOf('access_tokens', column, 'key = ?', [row.key])).toBeGreaterThan(3600 - 30);
    const byUser = await ttlOf('tokens_by_user', 'consumer_key', 'user_id = ? AND kind = ? AND token_key = ?', [
      row.userId,
      'accessToken',
      row.key,
    ]);
    expect(byUser).toBeGreaterThan(3600 - 30);
    expect((await store.get('accessToken', row.key))?.state).toBe('REVOKED');
  });

  it('extends a rotated short-lived refresh token to the inactive retention, so its reuse is recognised', async () => {
    const row = refreshTokenRow({ issuedAt: NOW, expiresAt: NOW + 60_000 });
    await store.insert('refreshToken', row);
    const rotated = await store.rotateRefreshToken({
      key: row.key,
      expected: { state: 'ACTIVE', reuseCount: 0 },
      at: NOW,
      successor: {
        refreshToken: refreshTokenRow({ issuedAt: NOW, grantId: row.grantId }),
        accessToken: accessTokenRow({ issuedAt: NOW, grantId: row.grantId }),
      },
    });
    expect(rotated).toBe(true);
    for (const column of ['consumer_key', 'state', 'rotated_at'])
      expect(await ttlOf('refresh_tokens', column, 'key = ?', [row.key])).toBeGreaterThan(3600 - 30);
    expect((await store.get('refreshToken', row.key))?.state).toBe('INACTIVE');
  });

  it('writes no TTL at all past maxTtlSeconds (such rows rely on the purge)', async () => {
    const capped = new CassandraStore({ client: driver, keyspace: KEYSPACE, maxTtlSeconds: 3600 });
    const row = accessTokenRow({ issuedAt: NOW, expiresAt: NOW + 2 * HOUR });
    await capped.insert('accessToken', row);
    expect(await ttlOf('access_tokens', 'consumer_key', 'key = ?', [row.key])).toBeNull();
  });
});

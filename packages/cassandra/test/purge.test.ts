import { CassandraStore } from '@tokenstore/cassandra';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDriver, detectCassandra, printSkip, type StartedCassandra, startCassandra } from './support/environment.js';
import { emptyKeyspace, namespacedKeyspace } from './support/keyspace.js';
import { accessTokenRow, HOUR, NOW } from './support/rows.js';

const KEYSPACE = namespacedKeyspace('tokenstore_it_purge');
const environment = await detectCassandra();
if (environment.kind === 'skip') printSkip('purge tests', environment.reason);

describe.skipIf(environment.kind === 'skip')('cassandra purge', () => {
  let started: StartedCassandra;
  let driver: cassandra.Client;
  let store: CassandraStore;

  beforeAll(async () => {
    started = await startCassandra(environment);
    driver = await connectDriver(started.url);
    await CassandraStore.create({ client: driver, keyspace: KEYSPACE, createSchema: true }).then((created) => created.close());
  });
  beforeEach(async () => {
    await emptyKeyspace(driver, KEYSPACE);
    store = new CassandraStore({ client: driver, keyspace: KEYSPACE });
  });
  afterAll(async () => {
    await driver?.shutdown();
    await started?.stop();
  });

  const keysIn = async (table: string) =>
    (await driver.execute(`SELECT token_key FROM ${KEYSPACE}.${table}`)).rows.map((row) => row.token_key as string);
  const criteria = (now: number, limit = 100) => ({ now, expiredBefore: now, inactiveBefore: now - HOUR, limit });

  it('deletes a purged row together with its lookup entries and its index entries', async () => {
    const expired = accessTokenRow({ expiresAt: NOW + 60_000, exclusive: true, reuseKey: 'reuse-purged' });
    const live = accessTokenRow({ expiresAt: NOW + 10 * HOUR });
    await store.insert('accessToken', expired);
    await store.insert('accessToken', live);
    expect(await store.purge('accessToken', criteria(NOW + 2 * 60_000))).toBe(1);
    expect(await store.get('accessToken', expired.key)).toBeNull();
    for (const table of ['tokens_by_user', 'tokens_by_consumer', 'tokens_by_grant', 'purge_index']) {
      expect(await keysIn(table)).not.toContain(expired.key);
      if (table !== 'purge_index') expect(await keysIn(table)).toContain(live.key);
    }
    expect(await store.findActiveAccessToken('reuse-purged')).toBeNull();
    expect((await driver.execute(`SELECT * FROM ${KEYSPACE}.access_token_slots WHERE reuse_key = 'reuse-purged'`)).rowLength).toBe(0);
  });

  it('does not count a row that vanished on its own (TTL), and drops its index entry', async () => {
    const vanished = accessTokenRow({ expiresAt: NOW + 60_000 });
    await store.insert('accessToken', vanished);
    // What TTL would have done: the row is gone, its index entry still points at it.
    await driver.execute(`DELETE FROM ${KEYSPACE}.access_tokens WHERE key = ?`, [vanished.key], { prepare: true });
    expect(await store.purge('accessToken', criteria(NOW + 2 * 60_000))).toBe(0);
    expect(await keysIn('purge_index')).not.toContain(vanished.key);
  });

  it('purges a revoked never-expiring row once its inactive retention has passed, not before', async () => {
    const forever = accessTokenRow({ expiresAt: null });
    await store.insert('accessToken', forever);
    expect(await store.compareAndSetState('accessToken', forever.key, { from: 'ACTIVE', to: 'REVOKED', at: NOW + 1000 })).toBe(true);
    expect(await store.purge('accessToken', criteria(NOW + HOUR))).toBe(0);
    expect(await store.purge('accessToken', criteria(NOW + HOUR + 1000))).toBe(1);
    expect(await store.get('accessToken', forever.key)).toBeNull();
  });

  it('keeps a row whose old index entry is stale: the row, not the entry, decides', async () => {
    const row = accessTokenRow({ expiresAt: null });
    await store.insert('accessToken', row);
    // A lost race left an inactive entry although the row stayed ACTIVE.
    await driver.execute(
      `INSERT INTO ${KEYSPACE}.purge_index (kind, reason, bucket, event_at, token_key) VALUES ('accessToken', 'inactive', ?, ?, ?)`,
      [new Date(NOW), new Date(NOW + 1000), row.key],
      { prepare: true },
    );
    await driver.execute(
      `INSERT INTO ${KEYSPACE}.purge_buckets (kind, reason, bucket) VALUES ('accessToken', 'inactive', ?)`,
      [new Date(NOW)],
      {
        prepare: true,
      },
    );
    expect(await store.purge('accessToken', criteria(NOW + 10 * HOUR))).toBe(0);
    expect(await store.get('accessToken', row.key)).toEqual(row);
    expect(await keysIn('purge_index')).not.toContain(row.key);
  });
});

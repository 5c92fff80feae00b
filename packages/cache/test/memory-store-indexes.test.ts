import { MemoryStore, type MemoryStoreSizes } from '@tokenstore/cache';
import { ManualClock, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { accessTokenRow, authorizationCodeRow, refreshTokenRow, withRetention } from './support.js';

/** Every index of every kind holds no more entries than its kind holds rows. */
function expectIndexesWithinRows(sizes: MemoryStoreSizes): void {
  for (const kind of ['accessToken', 'refreshToken', 'authorizationCode'] as const) {
    const table = sizes[kind];
    expect(table.byUser).toBeLessThanOrEqual(table.rows);
    expect(table.byConsumerKey).toBeLessThanOrEqual(table.rows);
    expect(table.byGrant).toBeLessThanOrEqual(table.rows);
    // Lazily cleaned logs stay within twice the rows (plus their fixed compaction threshold).
    expect(table.scanOrder).toBeLessThanOrEqual(Math.max(1024, 2 * table.rows) + 1);
    expect(table.expiryQueue).toBeLessThanOrEqual(Math.max(1024, 2 * table.rows) + 1);
    expect(table.stateQueue).toBeLessThanOrEqual(Math.max(1024, 2 * table.rows) + 1);
  }
  expect(sizes.accessToken.activeByReuseKey).toBeLessThanOrEqual(sizes.accessToken.rows);
}

describe('MemoryStore secondary indexes', () => {
  it('forgets evicted rows: bulk revocation only counts rows still held', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, maxEntries: 10 });
    const alice = Array.from({ length: 10 }, () => accessTokenRow(clock.now(), { userId: 'alice', consumerKey: 'shop' }));
    for (const row of alice) await store.insert('accessToken', row);
    for (let i = 0; i < 4; i++) await store.insert('accessToken', accessTokenRow(clock.now(), { userId: 'bob', consumerKey: 'shop' }));
    // The four least recently used rows of alice were evicted.
    expect(await store.get('accessToken', alice[0]!.key)).toBeNull();
    expect(store.sizes().accessToken).toMatchObject({ rows: 10, byUser: 10, byConsumerKey: 10, byGrant: 10 });
    expect(await store.revokeTokens({ userId: 'alice' }, clock.now())).toEqual({ accessToken: 6, refreshToken: 0, authorizationCode: 0 });
    expect(await store.revokeTokens({ consumerKey: 'shop' }, clock.now())).toEqual({
      accessToken: 4,
      refreshToken: 0,
      authorizationCode: 0,
    });
    expect(await store.revokeTokens({ grantId: alice[0]!.grantId }, clock.now())).toEqual({
      accessToken: 0,
      refreshToken: 0,
      authorizationCode: 0,
    });
  });

  it('forgets the reuse lookup of an evicted exclusive token, so a new one can be issued', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, maxEntries: 2 });
    await store.insert('accessToken', accessTokenRow(clock.now(), { exclusive: true, reuseKey: 'alice-read' }));
    await store.insert('accessToken', accessTokenRow(clock.now()));
    await store.insert('accessToken', accessTokenRow(clock.now()));
    expect(await store.findActiveAccessToken('alice-read')).toBeNull();
    expect(store.sizes().accessToken.activeByReuseKey).toBe(0);
    expect(await store.insert('accessToken', accessTokenRow(clock.now(), { exclusive: true, reuseKey: 'alice-read' }))).toEqual({
      inserted: true,
    });
  });

  it('moves the reuse lookup with the row through state changes and re-keying', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const row = accessTokenRow(clock.now(), { exclusive: true, reuseKey: 'r' });
    await store.insert('accessToken', row);
    await store.replaceKey('accessToken', row.key, { ...row, key: 'new-key', value: 'new-key' });
    expect((await store.findActiveAccessToken('r'))?.key).toBe('new-key');
    await store.compareAndSetState('accessToken', 'new-key', { from: 'ACTIVE', to: 'REVOKED', at: clock.now() });
    expect(await store.findActiveAccessToken('r')).toBeNull();
    expect(store.sizes().accessToken.activeByReuseKey).toBe(0);
  });

  it('empties every index when rows leave by purge', async () => {
    const clock = new ManualClock();
    const store = withRetention(new MemoryStore({ clock }), { expiredSeconds: 3600 });
    for (let i = 0; i < 50; i++) {
      await store.insert('accessToken', accessTokenRow(clock.now(), { userId: `user-${i}`, exclusive: true, reuseKey: `r-${i}` }));
      await store.insert('refreshToken', refreshTokenRow(clock.now(), { userId: `user-${i}` }));
      await store.insert('authorizationCode', authorizationCodeRow(clock.now(), { userId: `user-${i}` }));
    }
    clock.advanceSeconds(2 * 86_400);
    const now = clock.now();
    for (const kind of ['accessToken', 'refreshToken', 'authorizationCode'] as const)
      expect(await store.purge(kind, { now, expiredBefore: now, inactiveBefore: now, limit: 1000 })).toBe(50);
    const sizes = store.sizes();
    for (const kind of ['accessToken', 'refreshToken', 'authorizationCode'] as const)
      expect(sizes[kind]).toMatchObject({ rows: 0, byUser: 0, byConsumerKey: 0, byGrant: 0, expiryQueue: 0 });
    expect(sizes.accessToken.activeByReuseKey).toBe(0);
  });

  it('keeps every index bounded by the rows held while far more rows than maxEntries pass through', async () => {
    const clock = new ManualClock();
    const maxEntries = 100;
    const store = new MemoryStore({ clock, maxEntries });
    for (let i = 0; i < 5000; i++) {
      clock.advance(1000);
      const now = clock.now();
      const access = accessTokenRow(now, {
        userId: `user-${i}`,
        consumerKey: `client-${i % 300}`,
        exclusive: i % 2 === 0,
        reuseKey: `r-${i}`,
      });
      await store.insert('accessToken', access);
      const refresh = refreshTokenRow(now, { userId: `user-${i}`, grantId: access.grantId });
      await store.insert('refreshToken', refresh);
      await store.insert('authorizationCode', authorizationCodeRow(now, { userId: `user-${i}`, grantId: access.grantId }));
      if (i % 3 === 0) await store.revokeTokens({ grantId: access.grantId }, now);
      if (i % 5 === 0)
        await store.rotateRefreshToken({
          key: refresh.key,
          expected: { state: 'ACTIVE', reuseCount: 0 },
          at: now,
          successor: {
            refreshToken: refreshTokenRow(now, { grantId: access.grantId }),
            accessToken: accessTokenRow(now, { grantId: access.grantId }),
          },
        });
      if (i % 7 === 0) await store.replaceKey('accessToken', access.key, { ...access, key: `${access.key}-rekeyed` });
      if (i % 50 === 0) expectIndexesWithinRows(store.sizes());
    }
    const sizes = store.sizes();
    expectIndexesWithinRows(sizes);
    for (const kind of ['accessToken', 'refreshToken', 'authorizationCode'] as const)
      expect(sizes[kind].rows).toBeLessThanOrEqual(maxEntries);
  });

  it('counts only what purge deletes itself, never more than the limit, oldest due rows first', async () => {
    const clock = new ManualClock();
    const store = withRetention(new MemoryStore({ clock }), { expiredSeconds: 86_400 });
    const start = clock.now();
    const rows = Array.from({ length: 20 }, (_, i) => accessTokenRow(start, { expiresAt: start + (20 - i) * 1000 }));
    for (const row of rows) await store.insert('accessToken', row);
    const live = accessTokenRow(start, { expiresAt: start + 3_600_000 });
    await store.insert('accessToken', live);
    clock.advanceSeconds(60);
    const criteria = { now: clock.now(), expiredBefore: clock.now(), inactiveBefore: start, limit: 5 };
    expect(await store.purge('accessToken', criteria)).toBe(5);
    // The five that expired first are gone.
    for (const row of rows.slice(15)) expect(await store.get('accessToken', row.key)).toBeNull();
    for (const row of rows.slice(0, 15)) expect(await store.get('accessToken', row.key)).not.toBeNull();
    expect(await store.purge('accessToken', { ...criteria, limit: 100 })).toBe(15);
    expect(await store.purge('accessToken', { ...criteria, limit: 100 })).toBe(0);
    expect(await store.get('accessToken', live.key)).not.toBeNull();
  });

  it('purges a row that changed state as soon as the inactive cut-off passes its state change', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const row = accessTokenRow(clock.now(), { expiresAt: null });
    await store.insert('accessToken', row);
    clock.advanceSeconds(10);
    await store.compareAndSetState('accessToken', row.key, { from: TokenState.Active, to: TokenState.Revoked, at: clock.now() });
    const changedAt = clock.now();
    const criteria = (inactiveBefore: number) => ({ now: clock.now(), expiredBefore: 0, inactiveBefore, limit: 10 });
    expect(await store.purge('accessToken', criteria(changedAt - 1))).toBe(0);
    expect(await store.purge('accessToken', criteria(changedAt))).toBe(1);
  });

  it('deletes a retired row only once both deadlines have passed, whichever queue finds it due first, popping each entry once', async () => {
    const clock = new ManualClock();
    // Long native retention: only purge removes rows here.
    const store = withRetention(new MemoryStore({ clock }), { expiredSeconds: 86_400, inactiveSeconds: 86_400 });
    const start = clock.now();
    const at = (seconds: number) => start + seconds * 1000;
    const expiresFirst = accessTokenRow(start, { expiresAt: at(1) });
    const retiresFirst = accessTokenRow(start, { expiresAt: at(20) });
    for (const row of [expiresFirst, retiresFirst]) await store.insert('accessToken', row);
    await store.compareAndSetState('accessToken', retiresFirst.key, { from: TokenState.Active, to: TokenState.Revoked, at: at(2) });
    await store.compareAndSetState('accessToken', expiresFirst.key, { from: TokenState.Active, to: TokenState.Revoked, at: at(10) });
    clock.set(at(30));
    const criteria = (expiredBefore: number, inactiveBefore: number) => ({ now: clock.now(), expiredBefore, inactiveBefore, limit: 10 });

    // expiresFirst is due by its expiry but still within its inactive retention; retiresFirst the other way round.
    expect(await store.purge('accessToken', criteria(at(5), at(5)))).toBe(0);
    expect(store.sizes().accessToken).toMatchObject({ rows: 2, expiryQueue: 1, stateQueue: 1 });
    // The entries that were not due for deletion are not popped again by the next batch.
    expect(await store.purge('accessToken', criteria(at(5), at(5)))).toBe(0);
    expect(store.sizes().accessToken).toMatchObject({ rows: 2, expiryQueue: 1, stateQueue: 1 });

    expect(await store.purge('accessToken', criteria(at(5), at(15)))).toBe(1);
    expect(await store.get('accessToken', expiresFirst.key)).toBeNull();
    expect(await store.get('accessToken', retiresFirst.key)).not.toBeNull();
    expect(await store.purge('accessToken', criteria(at(25), at(15)))).toBe(1);
    expect(await store.get('accessToken', retiresFirst.key)).toBeNull();
    expect(store.sizes().accessToken).toMatchObject({ rows: 0, expiryQueue: 0, stateQueue: 0 });
  });
});

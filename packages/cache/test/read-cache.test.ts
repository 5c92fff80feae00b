import { MemoryStore, ReadCache } from '@tokenstore/cache';
import { ErrorCode, ManualClock, type Retention, TokenService, TokenState, type TokenStore } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { accessTokenRow, clientRow, countingStore, holdReads, refreshTokenRow } from './support.js';

/** A read cache over a counting MemoryStore, all on one manual clock. */
function setup(options: { ttlMs?: number; negativeTtlMs?: number; maxEntries?: number } = {}) {
  const clock = new ManualClock();
  const backing = new MemoryStore({ clock });
  const { store: inner, calls, control } = countingStore(backing);
  const cache = new ReadCache(inner, { clock, ...options });
  return { clock, backing, inner, calls, control, cache };
}

describe('ReadCache', () => {
  it("hands the service's retention to the inner store", () => {
    const clock = new ManualClock();
    const handed: Retention[] = [];
    const inner: TokenStore = Object.assign(new MemoryStore({ clock }), { useRetention: (retention: Retention) => handed.push(retention) });
    new TokenService({ store: new ReadCache(inner, { clock }), clock, retention: { inactiveSeconds: 600, expiredSeconds: 60 } });
    expect(handed).toEqual([{ inactiveSeconds: 600, expiredSeconds: 60 }]);
  });

  it('answers repeated lookups of a row from the cache', async () => {
    const { clock, backing, calls, cache } = setup();
    const row = accessTokenRow(clock.now());
    await backing.insert('accessToken', row);
    for (let i = 0; i < 10; i++) expect(await cache.get('accessToken', row.key)).toEqual(row);
    expect(calls.get).toBe(1);
    // The hit rate a metrics reader sees.
    expect(cache.stats()).toEqual({ hits: 9, misses: 1 });
  });

  it('shares one inner lookup between concurrent misses for the same key', async () => {
    const { clock, backing, calls, cache } = setup();
    const row = accessTokenRow(clock.now());
    await backing.insert('accessToken', row);
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.get('accessToken', row.key)));
    expect(results.every((found) => found?.key === row.key)).toBe(true);
    expect(calls.get).toBe(1);
  });

  it('remembers an unknown key for negativeTtlMs, so a flood of invalid tokens reaches the inner store once', async () => {
    const { clock, calls, cache } = setup({ negativeTtlMs: 1000 });
    for (let i = 0; i < 100; i++) expect(await cache.get('accessToken', 'forged-token')).toBeNull();
    expect(calls.get).toBe(1);
    clock.advance(1000);
    await cache.get('accessToken', 'forged-token');
    expect(calls.get).toBe(1);
    clock.advance(1);
    await cache.get('accessToken', 'forged-token');
    expect(calls.get).toBe(2);
  });

  it('asks the inner store every time when negative caching is off', async () => {
    const { calls, cache } = setup({ negativeTtlMs: 0 });
    for (let i = 0; i < 5; i++) await cache.get('refreshToken', 'unknown');
    expect(calls.get).toBe(5);
  });

  it('finds a row inserted through it right after the key was remembered as unknown', async () => {
    const { clock, cache } = setup();
    const row = accessTokenRow(clock.now());
    expect(await cache.get('accessToken', row.key)).toBeNull();
    await cache.insert('accessToken', row);
    expect(await cache.get('accessToken', row.key)).toEqual(row);
  });

  it('sees its own state changes at once', async () => {
    const { clock, cache } = setup();
    const row = accessTokenRow(clock.now());
    await cache.insert('accessToken', row);
    await cache.get('accessToken', row.key);
    await cache.compareAndSetState('accessToken', row.key, { from: 'ACTIVE', to: 'REVOKED', at: clock.now() });
    expect((await cache.get('accessToken', row.key))?.state).toBe(TokenState.Revoked);
  });

  it('forgets the old refresh token and both successors when it rotates', async () => {
    const { clock, cache } = setup();
    const old = refreshTokenRow(clock.now());
    await cache.insert('refreshToken', old);
    const successor = { refreshToken: refreshTokenRow(clock.now()), accessToken: accessTokenRow(clock.now()) };
    await cache.get('refreshToken', old.key);
    await cache.get('refreshToken', successor.refreshToken.key);
    await cache.get('accessToken', successor.accessToken.key);
    await cache.rotateRefreshToken({ key: old.key, expected: { state: 'ACTIVE', reuseCount: 0 }, at: clock.now(), successor });
    expect((await cache.get('refreshToken', old.key))?.state).toBe(TokenState.Inactive);
    expect(await cache.get('refreshToken', successor.refreshToken.key)).toEqual(successor.refreshToken);
    expect(await cache.get('accessToken', successor.accessToken.key)).toEqual(successor.accessToken);
  });

  it('drops exactly the cached rows a bulk revocation matches and keeps the others cached', async () => {
    const { clock, cache, calls } = setup();
    const alice = accessTokenRow(clock.now(), { userId: 'alice' });
    const bob = accessTokenRow(clock.now(), { userId: 'bob' });
    await cache.insert('accessToken', alice);
    await cache.insert('accessToken', bob);
    await cache.get('accessToken', alice.key);
    await cache.get('accessToken', bob.key);
    const before = calls.get ?? 0;
    await cache.revokeTokens({ userId: 'alice' }, clock.now());
    expect((await cache.get('accessToken', alice.key))?.state).toBe(TokenState.Revoked);
    expect((await cache.get('accessToken', bob.key))?.state).toBe(TokenState.Active);
    expect(calls.get).toBe(before + 1);
  });

  it('drops cached rows that a purge deleted', async () => {
    const { clock, cache } = setup();
    const row = accessTokenRow(clock.now(), { expiresAt: clock.now() + 1000 });
    await cache.insert('accessToken', row);
    await cache.get('accessToken', row.key);
    clock.advance(1000);
    const now = clock.now();
    expect(await cache.purge('accessToken', { now, expiredBefore: now, inactiveBefore: now, limit: 10 })).toBe(1);
    expect(await cache.get('accessToken', row.key)).toBeNull();
  });

  it('forgets both keys of a re-keyed row', async () => {
    const { clock, cache } = setup();
    const row = accessTokenRow(clock.now());
    await cache.insert('accessToken', row);
    await cache.get('accessToken', row.key);
    expect(await cache.get('accessToken', 'rewrapped-key')).toBeNull();
    await cache.replaceKey('accessToken', row.key, { ...row, key: 'rewrapped-key' });
    expect(await cache.get('accessToken', row.key)).toBeNull();
    expect((await cache.get('accessToken', 'rewrapped-key'))?.userId).toBe(row.userId);
  });

  it('caches clients and forgets them when created, updated or deleted through it', async () => {
    const { clock, cache, calls } = setup();
    const client = clientRow(clock.now());
    expect(await cache.getClient(client.consumerKey)).toBeNull();
    await cache.createClient(client);
    expect(await cache.getClient(client.consumerKey)).toEqual(client);
    await cache.getClient(client.consumerKey);
    expect(calls.getClient).toBe(2);
    expect(await cache.updateClient({ ...client, name: 'Renamed', updatedAt: client.updatedAt + 1 }, client.updatedAt)).toBe(true);
    expect((await cache.getClient(client.consumerKey))?.name).toBe('Renamed');
    await cache.deleteClient(client.consumerKey);
    expect(await cache.getClient(client.consumerKey)).toBeNull();
  });

  it('passes the expected updatedAt of a client update through, and forgets its cached copy when the update is refused', async () => {
    const { clock, backing, cache } = setup();
    const client = clientRow(clock.now());
    await cache.createClient(client);
    const cached = (await cache.getClient(client.consumerKey))!;
    // Another node changes the client: this cache still holds the old copy.
    const elsewhere = { ...client, name: 'Changed elsewhere', updatedAt: client.updatedAt + 1 };
    expect(await backing.updateClient(elsewhere, client.updatedAt)).toBe(true);
    expect(await cache.updateClient({ ...cached, name: 'Stale write', updatedAt: cached.updatedAt + 1 }, cached.updatedAt)).toBe(false);
    // The caller re-reads to try again: it must see the inner store's row, not the stale cached one.
    expect(await cache.getClient(client.consumerKey)).toEqual(elsewhere);
  });

  it('never caches the reuse lookup: every call reaches the inner store', async () => {
    const { clock, cache, calls } = setup();
    await cache.insert('accessToken', accessTokenRow(clock.now(), { exclusive: true, reuseKey: 'r' }));
    for (let i = 0; i < 3; i++) expect(await cache.findActiveAccessToken('r')).not.toBeNull();
    expect(calls.findActiveAccessToken).toBe(3);
  });

  it('does not cache a lookup that was in flight when a write to its key landed', async () => {
    const { clock, backing, cache, calls, control } = setup();
    const row = accessTokenRow(clock.now());
    await backing.insert('accessToken', row);
    const release = holdReads(control);
    const pending = cache.get('accessToken', row.key);
    await cache.compareAndSetState('accessToken', row.key, { from: 'ACTIVE', to: 'REVOKED', at: clock.now() });
    release();
    expect((await pending)?.state).toBe(TokenState.Active);
    expect((await cache.get('accessToken', row.key))?.state).toBe(TokenState.Revoked);
    expect(calls.get).toBe(2);
  });

  it('counts ttlMs from when a slow read started: a row read before another node revoked it is served at most ttlMs after the read began', async () => {
    const { clock, backing, cache, calls, control } = setup({ ttlMs: 5000 });
    const row = accessTokenRow(clock.now());
    await backing.insert('accessToken', row);
    const release = holdReads(control);
    const pending = cache.get('accessToken', row.key);
    // The row is read now; the answer takes 4 s to arrive, and another node revokes the token meanwhile.
    clock.advance(4000);
    await backing.compareAndSetState('accessToken', row.key, { from: 'ACTIVE', to: 'REVOKED', at: clock.now() });
    release();
    expect((await pending)?.state).toBe(TokenState.Active);
    clock.advance(1000);
    expect((await cache.get('accessToken', row.key))?.state, 'served at 5 s after the read began').toBe(TokenState.Active);
    clock.advance(1);
    expect((await cache.get('accessToken', row.key))?.state, 'served past 5 s after the read began').toBe(TokenState.Revoked);
    expect(calls.get).toBe(2);
  });

  it('does not cache a row whose read took longer than ttlMs', async () => {
    const { clock, backing, cache, calls, control } = setup({ ttlMs: 5000, negativeTtlMs: 1000 });
    const row = accessTokenRow(clock.now());
    await backing.insert('accessToken', row);
    const release = holdReads(control);
    const pending = cache.get('accessToken', row.key);
    const unknown = cache.get('accessToken', 'unknown-key');
    clock.advance(5001);
    release();
    await pending;
    await unknown;
    await cache.get('accessToken', row.key);
    await cache.get('accessToken', 'unknown-key');
    expect(calls.get).toBe(4);
  });

  it('hands out frozen rows: a caller cannot change what is cached', async () => {
    const { clock, cache } = setup();
    const row = accessTokenRow(clock.now());
    await cache.insert('accessToken', row);
    const first = (await cache.get('accessToken', row.key))!;
    expect(() => first.scopes.push('admin')).toThrow(TypeError);
    expect(() => {
      first.state = TokenState.Revoked;
    }).toThrow(TypeError);
    expect(await cache.get('accessToken', row.key)).toEqual(row);
  });

  it('keeps at most maxEntries lookups per kind', async () => {
    const { cache } = setup({ maxEntries: 5 });
    for (let i = 0; i < 50; i++) await cache.get('accessToken', `unknown-${i}`);
    expect(cache.cachedEntries().accessToken).toBe(5);
  });

  describe('staleness bound for changes made on other nodes', () => {
    it('serves a row revoked elsewhere for at most ttlMs', async () => {
      const clock = new ManualClock();
      const shared = new MemoryStore({ clock });
      const nodeA = new ReadCache(shared, { clock, ttlMs: 5000 });
      const nodeB = new ReadCache(shared, { clock, ttlMs: 5000 });
      const row = accessTokenRow(clock.now());
      await nodeA.insert('accessToken', row);
      expect((await nodeA.get('accessToken', row.key))?.state).toBe('ACTIVE');
      await nodeB.revokeTokens({ userId: row.userId }, clock.now());
      expect((await nodeB.get('accessToken', row.key))?.state).toBe('REVOKED');
      clock.advance(5000);
      expect((await nodeA.get('accessToken', row.key))?.state).toBe('ACTIVE');
      clock.advance(1);
      expect((await nodeA.get('accessToken', row.key))?.state).toBe('REVOKED');
    });

    it('reports a key created elsewhere as unknown for at most negativeTtlMs', async () => {
      const clock = new ManualClock();
      const shared = new MemoryStore({ clock });
      const nodeA = new ReadCache(shared, { clock, negativeTtlMs: 1000 });
      const nodeB = new ReadCache(shared, { clock });
      const row = accessTokenRow(clock.now());
      expect(await nodeA.get('accessToken', row.key)).toBeNull();
      await nodeB.insert('accessToken', row);
      expect(await nodeA.get('accessToken', row.key)).toBeNull();
      clock.advance(1001);
      expect(await nodeA.get('accessToken', row.key)).toEqual(row);
    });
  });

  it('takes its name and capabilities from the inner store', () => {
    const { cache, backing } = setup();
    expect(cache.backend).toBe('cache+memory');
    expect(cache.capabilities).toEqual(backing.capabilities);
  });

  it('closes the inner store, refuses calls with CLOSED afterwards, and closing again is harmless', async () => {
    const { clock, cache, backing } = setup();
    const row = accessTokenRow(clock.now());
    await cache.insert('accessToken', row);
    await cache.get('accessToken', row.key);
    await cache.close();
    await cache.close();
    await expect(cache.get('accessToken', row.key)).rejects.toMatchObject({ code: ErrorCode.Closed, backend: 'cache+memory' });
    await expect(cache.getClient('c')).rejects.toMatchObject({ code: ErrorCode.Closed });
    await expect(cache.findActiveAccessToken('r')).rejects.toMatchObject({ code: ErrorCode.Closed });
    await expect(backing.get('accessToken', row.key)).rejects.toMatchObject({ code: ErrorCode.Closed });
  });
});

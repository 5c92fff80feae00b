import { MemoryStore } from '@tokenstore/cache';
import { ErrorCode, ManualClock, TokenService, TokenState, type TokenStore, TokenStoreError } from '@tokenstore/core';
import { describe, expect, it, vi } from 'vitest';
import { accessTokenRow, authorizationCodeRow, clientRow, refreshTokenRow, withRetention } from './support.js';

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(TokenStoreError);
  await expect(promise).rejects.toMatchObject({ code });
}

describe('MemoryStore', () => {
  const clock = new ManualClock();

  describe('copies, never references', () => {
    it('keeps what was inserted even if the caller changes its object afterwards', async () => {
      const store = new MemoryStore({ clock });
      const row = accessTokenRow(clock.now());
      await store.insert('accessToken', row);
      row.state = TokenState.Revoked;
      row.scopes.push('admin');
      expect(await store.get('accessToken', row.key)).toMatchObject({ state: 'ACTIVE', scopes: ['read'] });
    });

    it('hands out frozen rows: a caller cannot change what is stored', async () => {
      const store = new MemoryStore({ clock });
      const row = accessTokenRow(clock.now(), { exclusive: true, reuseKey: 'r1' });
      await store.insert('accessToken', row);
      const found = [
        await store.get('accessToken', row.key),
        await store.findActiveAccessToken('r1'),
        (await store.scan('accessToken', { cursor: null, limit: 10 })).rows[0],
      ];
      const refused = await store.insert('accessToken', accessTokenRow(clock.now(), { exclusive: true, reuseKey: 'r1' }));
      if (!refused.inserted) found.push(refused.active);
      expect(found).toHaveLength(4);
      for (const copy of found) {
        expect(() => copy!.scopes.push('admin')).toThrow(TypeError);
        expect(() => {
          copy!.state = TokenState.Revoked;
        }).toThrow(TypeError);
      }
      // And the caller's own object stays the caller's: changing it after the insert changes nothing stored.
      row.scopes.push('admin');
      row.state = TokenState.Revoked;
      expect(await store.get('accessToken', row.key)).toMatchObject({ state: TokenState.Active, scopes: ['read'] });
    });

    it('copies client rows in and hands them out frozen, including their lists and validity overrides', async () => {
      const store = new MemoryStore({ clock });
      const client = clientRow(clock.now(), { validity: { userAccessTokenValidity: 60 } });
      await store.createClient(client);
      client.redirectUris.push('https://evil.example/cb');
      const read = (await store.getClient(client.consumerKey))!;
      expect(() => read.grantTypes.push('password')).toThrow(TypeError);
      expect(() => {
        read.validity.userAccessTokenValidity = -1;
      }).toThrow(TypeError);
      expect(await store.getClient(client.consumerKey)).toEqual({ ...client, redirectUris: ['https://client.example.com/cb'] });
    });
  });

  describe('retention TTLs on the injected clock', () => {
    it('lets an ACTIVE row go once past its expiry plus the expired retention, and not before', async () => {
      const store = withRetention(new MemoryStore({ clock: new ManualClock() }), { expiredSeconds: 60 });
      const own = store.options.clock as ManualClock;
      const row = accessTokenRow(own.now(), { expiresAt: own.now() + 1000 });
      await store.insert('accessToken', row);
      own.advance(1000 + 60_000);
      expect(await store.get('accessToken', row.key)).not.toBeNull();
      own.advance(1);
      expect(await store.get('accessToken', row.key)).toBeNull();
      expect(store.sizes().accessToken).toMatchObject({ rows: 0, byUser: 0, byGrant: 0, byConsumerKey: 0 });
    });

    it('keeps a never-expiring ACTIVE row until it is evicted or revoked', async () => {
      const own = new ManualClock();
      const store = new MemoryStore({ clock: own });
      const row = accessTokenRow(own.now(), { expiresAt: null });
      await store.insert('accessToken', row);
      own.advanceSeconds(100 * 365 * 24 * 3600);
      expect(await store.get('accessToken', row.key)).toEqual(row);
    });

    it('keeps a revoked row for the inactive retention from its state change', async () => {
      const own = new ManualClock();
      const store = withRetention(new MemoryStore({ clock: own }), { inactiveSeconds: 600 });
      const row = accessTokenRow(own.now(), { expiresAt: null });
      await store.insert('accessToken', row);
      own.advanceSeconds(60);
      await store.revokeTokens({ userId: 'alice' }, own.now());
      own.advanceSeconds(600);
      expect((await store.get('accessToken', row.key))?.state).toBe('REVOKED');
      own.advance(1);
      expect(await store.get('accessToken', row.key)).toBeNull();
    });

    it('keeps a consumed code past its expiry until the inactive retention from its consumption ends (the later deadline)', async () => {
      const own = new ManualClock();
      const store = withRetention(new MemoryStore({ clock: own }), { inactiveSeconds: 86_400, expiredSeconds: 0 });
      const code = authorizationCodeRow(own.now(), { expiresAt: own.now() + 300_000 });
      await store.insert('authorizationCode', code);
      await store.compareAndSetState('authorizationCode', code.key, { from: 'ACTIVE', to: 'INACTIVE', at: own.now() });
      own.advance(300_001);
      // Expired, but a replay must still be recognised: it stays for the inactive retention.
      expect((await store.get('authorizationCode', code.key))?.state).toBe('INACTIVE');
      own.advance(86_400_000 - 300_001);
      expect(await store.get('authorizationCode', code.key)).not.toBeNull();
      own.advance(1);
      expect(await store.get('authorizationCode', code.key)).toBeNull();
    });

    it('keeps a revoked row until its expiry plus the expired retention when that ends after the inactive retention', async () => {
      const own = new ManualClock();
      const store = withRetention(new MemoryStore({ clock: own }), { inactiveSeconds: 600, expiredSeconds: 3600 });
      const row = accessTokenRow(own.now(), { expiresAt: own.now() + 60_000 });
      await store.insert('accessToken', row);
      await store.compareAndSetState('accessToken', row.key, { from: 'ACTIVE', to: 'REVOKED', at: own.now() });
      own.advance(60_000 + 3_600_000);
      expect((await store.get('accessToken', row.key))?.state).toBe('REVOKED');
      own.advance(1);
      expect(await store.get('accessToken', row.key)).toBeNull();
    });

    it('drops the reuse lookup of an exclusive token that went past its retention', async () => {
      const own = new ManualClock();
      const store = new MemoryStore({ clock: own });
      await store.insert('accessToken', accessTokenRow(own.now(), { exclusive: true, reuseKey: 'r', expiresAt: own.now() + 1000 }));
      expect(await store.findActiveAccessToken('r')).not.toBeNull();
      own.advance(1001);
      expect(await store.findActiveAccessToken('r')).toBeNull();
      expect(store.sizes().accessToken.activeByReuseKey).toBe(0);
      expect(await store.insert('accessToken', accessTokenRow(own.now(), { exclusive: true, reuseKey: 'r' }))).toEqual({ inserted: true });
    });
  });

  describe('rotation', () => {
    it('writes nothing when a successor key is taken', async () => {
      const store = new MemoryStore({ clock });
      const old = refreshTokenRow(clock.now());
      const taken = accessTokenRow(clock.now());
      await store.insert('refreshToken', old);
      await store.insert('accessToken', taken);
      const successor = { refreshToken: refreshTokenRow(clock.now()), accessToken: accessTokenRow(clock.now(), { key: taken.key }) };
      await expectCode(
        store.rotateRefreshToken({ key: old.key, expected: { state: 'ACTIVE', reuseCount: 0 }, at: clock.now(), successor }),
        ErrorCode.Conflict,
      );
      expect(await store.get('refreshToken', old.key)).toEqual(old);
      expect(await store.get('refreshToken', successor.refreshToken.key)).toBeNull();
    });
  });

  describe('scan', () => {
    it('does not show a row again after it was re-keyed behind the cursor', async () => {
      const store = new MemoryStore({ clock });
      const rows = Array.from({ length: 6 }, () => accessTokenRow(clock.now()));
      for (const row of rows) await store.insert('accessToken', row);
      const first = await store.scan('accessToken', { cursor: null, limit: 3 });
      for (const row of first.rows)
        await store.replaceKey('accessToken', row.key, { ...row, key: `${row.key}-v2`, value: `${row.key}-v2` });
      const second = await store.scan('accessToken', { cursor: first.cursor, limit: 10 });
      expect(second.rows.map((row) => row.key)).toEqual(rows.slice(3).map((row) => row.key));
      expect(second.cursor).toBeNull();
    });

    it('refuses a cursor it did not hand out', async () => {
      const store = new MemoryStore({ clock });
      await expectCode(store.scan('accessToken', { cursor: 'not-a-cursor', limit: 10 }), ErrorCode.InvalidInput);
      await expectCode(store.scan('accessToken', { cursor: null, limit: 0 }), ErrorCode.InvalidInput);
    });
  });

  describe('memory bound', () => {
    it('evicts least recently used rows to stay under maxMemoryBytes', async () => {
      const store = new MemoryStore({ clock, maxMemoryBytes: 64 * 1024 });
      for (let i = 0; i < 1000; i++) await store.insert('accessToken', accessTokenRow(clock.now(), { value: 'x'.repeat(200) }));
      const { rows } = store.sizes().accessToken;
      expect(rows).toBeGreaterThan(10);
      expect(rows).toBeLessThan(1000);
    });

    it('refuses a row larger than the whole bound instead of dropping it silently', async () => {
      const store = new MemoryStore({ clock, maxMemoryBytes: 4096 });
      const row = accessTokenRow(clock.now(), { value: 'x'.repeat(8192) });
      await expectCode(store.insert('accessToken', row), ErrorCode.BackendError);
      expect(await store.get('accessToken', row.key)).toBeNull();
      expect(store.sizes().accessToken).toMatchObject({ rows: 0, byUser: 0 });
    });
  });

  describe('close', () => {
    it('refuses every call with CLOSED afterwards, and closing again is harmless', async () => {
      const store = new MemoryStore({ clock });
      const row = accessTokenRow(clock.now());
      await store.insert('accessToken', row);
      await store.close();
      await store.close();
      const calls: Array<(s: TokenStore) => Promise<unknown>> = [
        (s) => s.insert('accessToken', accessTokenRow(clock.now())),
        (s) => s.get('accessToken', row.key),
        (s) => s.findActiveAccessToken(row.reuseKey),
        (s) => s.compareAndSetState('accessToken', row.key, { from: 'ACTIVE', to: 'REVOKED', at: 0 }),
        (s) =>
          s.rotateRefreshToken({
            key: 'k',
            expected: { state: 'ACTIVE', reuseCount: 0 },
            at: 0,
            successor: { refreshToken: refreshTokenRow(0), accessToken: accessTokenRow(0) },
          }),
        (s) => s.revokeTokens({ userId: 'alice' }, 0),
        (s) => s.createClient(clientRow(0)),
        (s) => s.getClient('c'),
        (s) => s.updateClient(clientRow(0), 0),
        (s) => s.deleteClient('c'),
        (s) => s.purge('accessToken', { now: 0, expiredBefore: 0, inactiveBefore: 0, limit: 1 }),
        (s) => s.acquirePurgeLease('me', 0, 1000),
        (s) => s.releasePurgeLease('me'),
        (s) => s.scan('client', { cursor: null, limit: 1 }),
        (s) => s.replaceKey('accessToken', row.key, row),
      ];
      for (const call of calls) await expectCode(call(store), ErrorCode.Closed);
      expect(store.sizes()).toMatchObject({ clients: 0, accessToken: { rows: 0, byUser: 0, activeByReuseKey: 0 } });
    });
  });

  it('refuses an unknown kind as invalid input', async () => {
    const store = new MemoryStore({ clock });
    // biome-ignore lint/suspicious/noExplicitAny: a JavaScript caller could pass anything
    await expectCode(store.get('client' as any, 'k'), ErrorCode.InvalidInput);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    await expectCode(store.get('__proto__' as any, 'k'), ErrorCode.InvalidInput);
  });
});

describe('synchronous validation path (peek)', () => {
  it('answers validation through peek, and still rejects (never throws synchronously) on bad input or a closed store', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const service = new TokenService({ store, clock });
    const { consumerKey } = await service.registerClient({});
    const issued = await service.issueAccessToken({ consumerKey, userId: 'alice' });
    const peek = vi.spyOn(store, 'peek');
    const get = vi.spyOn(store, 'get');
    expect(await service.validateAccessToken(issued.accessToken)).toMatchObject({ userId: 'alice' });
    expect(peek).toHaveBeenCalledTimes(1);
    expect(get).not.toHaveBeenCalled();
    const bad = service.validateAccessToken('has space');
    expect(bad).toBeInstanceOf(Promise);
    await expect(bad).rejects.toMatchObject({ code: ErrorCode.InvalidInput });
    await store.close();
    await expect(service.validateAccessToken(issued.accessToken)).rejects.toMatchObject({ code: ErrorCode.Closed });
  });
});

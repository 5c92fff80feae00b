import { type PurgeCriteria, type PurgeRunEvent, Purger, type TokenKind, type TokenStore } from '@tokenstore/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGate, settle, waitUntil } from '../concurrency-tools.js';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../context.js';
import { DAY, HOUR, MINUTE, SECOND } from './fixtures.js';

/** Retention the purge tests configure: revoked/inactive rows kept an hour, expired rows ten minutes. */
const RETENTION = { inactiveSeconds: 3600, expiredSeconds: 600 };

/** Counts and, when asked, holds the purge-related calls a purger makes to the store. */
function instrument(store: TokenStore) {
  const observed = { leases: 0, purges: 0, inFlight: 0, maxInFlight: 0, gate: null as ReturnType<typeof createGate> | null };
  const proxy = new Proxy(store, {
    get(target, property) {
      if (property === 'acquirePurgeLease')
        return (owner: string, now: number, ttlMs: number) => {
          observed.leases++;
          return target.acquirePurgeLease(owner, now, ttlMs);
        };
      if (property === 'purge')
        return async (kind: TokenKind, criteria: PurgeCriteria) => {
          observed.purges++;
          observed.inFlight++;
          observed.maxInFlight = Math.max(observed.maxInFlight, observed.inFlight);
          try {
            if (observed.gate) await observed.gate.promise;
            return await target.purge(kind, criteria);
          } finally {
            observed.inFlight--;
          }
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, observed };
}

export function purgeTests(ctx: ConformanceContext): void {
  describe('purge', () => {
    /** Exact stores report exactly `expected`; stores with native TTL at most that many (rows may have gone on their own). */
    const expectRemoved = (actual: number, expected: number) => {
      if (ctx.exactPurgeCounts) expect(actual).toBe(expected);
      else expect(actual).toBeLessThanOrEqual(expected);
    };
    const purging = (batchSize = 1000) => ctx.createService({ retention: RETENTION, purge: { batchSize } });

    afterEach(() => {
      vi.useRealTimers();
    });

    it('deletes expired rows once the expired retention has passed, and leaves live and never-expiring ones', async () => {
      const service = purging();
      const expiring = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, validitySeconds: 60 });
      const live = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, validitySeconds: 2 * 3600 });
      const forever = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, validitySeconds: -1 });
      ctx.clock.advance(MINUTE + 9 * MINUTE);
      const early = await service.purgeExpired();
      expect(early.removed).toEqual({ accessToken: 0, refreshToken: 0, authorizationCode: 0 });
      expect(await service.inspectAccessToken(expiring.accessToken)).not.toBeNull();
      ctx.clock.advance(MINUTE);
      const run = await service.purgeExpired();
      expectRemoved(run.removed.accessToken, 1);
      expect(await service.inspectAccessToken(expiring.accessToken)).toBeNull();
      expect(await service.validateAccessToken(live.accessToken)).not.toBeNull();
      expect(await service.validateAccessToken(forever.accessToken)).not.toBeNull();
    });

    it('deletes revoked, consumed and rotated rows once the inactive retention has passed (after their expired retention), and keeps them until then', async () => {
      const service = purging();
      // The retired rows expire (30 min) well before their inactive retention ends (1 h): that decides.
      const revoked = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', validitySeconds: 1800 });
      await service.revokeAccessToken(revoked.accessToken);
      const code = await service.issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        redirectUri: CLIENT_REDIRECT_URIS[0],
        validitySeconds: 1800,
      });
      const redeemed = await service.redeemAuthorizationCode({
        code: code.code,
        consumerKey: ctx.client.consumerKey,
        redirectUri: CLIENT_REDIRECT_URIS[0],
        validitySeconds: 4 * 3600,
      });
      const original = await service.issueAccessToken({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        validitySeconds: 4 * 3600,
        issueRefreshToken: true,
        refreshTokenValiditySeconds: 1800,
      });
      const rotated = await service.refreshAccessToken({
        refreshToken: original.refreshToken!,
        consumerKey: ctx.client.consumerKey,
        validitySeconds: 4 * 3600,
      });
      ctx.clock.advance(HOUR - 1);
      const early = await service.purgeExpired();
      expect(early.removed).toEqual({ accessToken: 0, refreshToken: 0, authorizationCode: 0 });
      expect((await service.inspectAccessToken(revoked.accessToken))?.state).toBe('REVOKED');
      ctx.clock.advance(1);
      const run = await service.purgeExpired();
      expectRemoved(run.removed.accessToken, 1);
      expectRemoved(run.removed.refreshToken, 1);
      expectRemoved(run.removed.authorizationCode, 1);
      expect(await service.inspectAccessToken(revoked.accessToken)).toBeNull();
      // The live successors are untouched.
      expect(await service.validateAccessToken(redeemed.accessToken)).not.toBeNull();
      expect(await service.validateAccessToken(rotated.accessToken)).not.toBeNull();
      await service.refreshAccessToken({ refreshToken: rotated.refreshToken!, consumerKey: ctx.client.consumerKey });
    });

    it('deletes in batches of at most the batch size and reports removed rows and batches in its event', async () => {
      const service = purging(7);
      const events: PurgeRunEvent[] = [];
      service.events.on('purge', (event) => events.push(event));
      for (let i = 0; i < 30; i++)
        await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: `user-${i}`, validitySeconds: 60 });
      ctx.clock.advance(11 * MINUTE + SECOND);
      const run = await service.purgeExpired();
      expect(events).toEqual([run]);
      expect(run).toMatchObject({ backlog: false });
      expect(run.error).toBeUndefined();
      expect(run.durationMs).toBeGreaterThanOrEqual(0);
      expectRemoved(run.removed.accessToken, 30);
      expect(run.removed.refreshToken + run.removed.authorizationCode).toBe(0);
      // 30 rows in batches of 7: four full batches and one of 2 for access tokens, one empty batch per other
      // kind (provider artifacts included, on stores that keep them).
      const batches = 7 + (ctx.store.artifacts ? 1 : 0);
      if (ctx.exactPurgeCounts) expect(run.batches).toBe(batches);
      else expect(run.batches).toBeLessThanOrEqual(batches);
    });

    it('never deletes more than the limit in one store call', async () => {
      for (let i = 0; i < 30; i++)
        await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: `user-${i}`, validitySeconds: 60 });
      ctx.clock.advance(2 * MINUTE);
      const now = ctx.clock.now();
      const criteria = { now, expiredBefore: now, inactiveBefore: now - DAY, limit: 7 };
      const deleted: number[] = [];
      for (let call = 0; call < 10; call++) {
        const count = await ctx.store.purge('accessToken', criteria);
        expect(count).toBeLessThanOrEqual(7);
        deleted.push(count);
        if (count === 0) break;
      }
      if (ctx.exactPurgeCounts) expect(deleted).toEqual([7, 7, 7, 7, 2, 0]);
      else expect(deleted.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(30);
    });

    it('leaves rows that are not due: live, never-expiring, ACTIVE without expiry, inside either retention window', async () => {
      const service = purging();
      await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, validitySeconds: -1 });
      await service.issueAccessToken({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        validitySeconds: 90,
        issueRefreshToken: true,
      });
      const before = await ctx.inspect();
      ctx.clock.advance(MINUTE);
      const run = await service.purgeExpired();
      expect(run.removed).toEqual({ accessToken: 0, refreshToken: 0, authorizationCode: 0 });
      expect((await ctx.inspect()).length).toBe(before.length);
    });

    describe('background purger', () => {
      const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });

      /** A purger on `store` whose finished runs are counted in `finished`. */
      const purger = (store: TokenStore, random: () => number, intervalSeconds = 60) => {
        const events = ctx.createEmitter();
        const runs = { finished: 0 };
        events.on('purge', () => {
          runs.finished++;
        });
        const background = new Purger({
          store,
          clock: ctx.clock,
          events,
          purge: { intervalSeconds, batchSize: 100, timeBudgetMs: 5000 },
          retention: RETENTION,
          random,
        });
        return { background, runs };
      };

      it('is off by default', async () => {
        fakeTimers();
        const { store, observed } = instrument(ctx.store);
        const service = ctx.createService();
        const background = new Purger({
          store,
          clock: ctx.clock,
          events: service.events,
          purge: service.options.purge,
          retention: service.options.retention,
        });
        background.start();
        expect(service.purger.running).toBe(false);
        expect(background.running).toBe(false);
        await vi.advanceTimersByTimeAsync(DAY);
        await settle();
        expect(observed.leases).toBe(0);
      });

      it('runs first after a jittered delay within the interval, then once per interval', async () => {
        fakeTimers();
        const { store, observed } = instrument(ctx.store);
        const { background, runs } = purger(store, () => 0.25);
        background.start();
        expect(background.running).toBe(true);
        await vi.advanceTimersByTimeAsync(15 * SECOND - 1);
        expect(observed.leases).toBe(0);
        await vi.advanceTimersByTimeAsync(1);
        expect(observed.leases).toBe(1);
        await waitUntil(() => runs.finished === 1, 'the first run finished');
        await settle();
        await vi.advanceTimersByTimeAsync(MINUTE - 1);
        expect(observed.leases).toBe(1);
        await vi.advanceTimersByTimeAsync(1);
        expect(observed.leases).toBe(2);
        await waitUntil(() => runs.finished === 2, 'the second run finished');
        await background.stop();

        const late = purger(store, () => 0.9);
        late.background.start();
        await vi.advanceTimersByTimeAsync(54 * SECOND - 1);
        expect(observed.leases).toBe(2);
        await vi.advanceTimersByTimeAsync(1);
        expect(observed.leases).toBe(3);
        await late.background.stop();
      });

      it('never overlaps itself, even when a run outlasts the interval', async () => {
        fakeTimers();
        const { store, observed } = instrument(ctx.store);
        observed.gate = createGate();
        const { background } = purger(store, () => 0, 1);
        background.start();
        await vi.advanceTimersByTimeAsync(0);
        await waitUntil(() => observed.inFlight === 1, 'the first batch is in flight');
        const manual = background.runOnce();
        expect(background.runOnce()).toBe(manual);
        await vi.advanceTimersByTimeAsync(10 * SECOND);
        await settle();
        expect(observed.leases).toBe(1);
        expect(observed.maxInFlight).toBe(1);
        observed.gate.open();
        const event = await manual;
        expect(event.error).toBeUndefined();
        expect(observed.maxInFlight).toBe(1);
        await background.stop();
      });

      it('stop() waits for the batch in flight, and nothing runs after it', async () => {
        fakeTimers();
        const { store, observed } = instrument(ctx.store);
        observed.gate = createGate();
        const { background } = purger(store, () => 0, 1);
        background.start();
        await vi.advanceTimersByTimeAsync(0);
        await waitUntil(() => observed.inFlight === 1, 'a batch is in flight');
        let stopped = false;
        const stopping = background.stop().then(() => {
          stopped = true;
        });
        await settle();
        expect(stopped).toBe(false);
        observed.gate.open();
        await stopping;
        expect(stopped).toBe(true);
        expect(observed.inFlight).toBe(0);
        const purgesAtStop = observed.purges;
        await vi.advanceTimersByTimeAsync(MINUTE);
        await settle();
        expect(observed.purges).toBe(purgesAtStop);
        expect(background.running).toBe(false);
      });
    });
  });
}

import { generateTokenValue, RewrapJob, type TokenStore } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { createGate } from '../../concurrency-tools.js';
import type { ConformanceContext } from '../../context.js';
import { clientRow } from '../../rows.js';
import { migration } from './migration.js';

const NEW_REDIRECT_URIS = ['https://client.example.com/moved'];

/**
 * A store that delegates every method to `inner`, except that once armed, the next `getClient` of
 * one client reads the row and then waits at a gate before answering: the caller holds what it read
 * while the test lets another writer change the client.
 */
function holdingStore(inner: TokenStore) {
  let armed: { consumerKey: string; reached: () => void; released: Promise<void> } | null = null;
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'getClient')
        return async (consumerKey: string) => {
          const row = await target.getClient(consumerKey);
          const hold = armed;
          if (hold !== null && hold.consumerKey === consumerKey) {
            armed = null;
            hold.reached();
            await hold.released;
          }
          return row;
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store,
    /** Holds the next read of `consumerKey`: `reached` resolves once it has read, `release()` lets it answer. */
    holdNextRead(consumerKey: string) {
      const reached = createGate();
      const released = createGate();
      armed = { consumerKey, reached: reached.open, released: released.promise };
      return { reached: reached.promise, release: released.open };
    },
  };
}

export function clientInterleavingTests(ctx: ConformanceContext): void {
  describe('client updates under interleaving', () => {
    describe('rewrap of a client', () => {
      async function legacyClient() {
        const { legacy, current } = migration(ctx);
        const registered = await ctx.createServiceOver({ protector: legacy }).registerClient({
          name: 'legacy client',
          grantTypes: ['client_credentials'],
          redirectUris: ['https://legacy.example.com/cb'],
        });
        const held = holdingStore(ctx.store);
        return {
          registered,
          held,
          /** The migration window's service: writes the new form, still reads the old one. */
          service: ctx.createServiceOver({ protector: current }),
          job: new RewrapJob(ctx.createServiceOver({ store: held.store, protector: current }), { kinds: ['client'] }),
        };
      }

      it('never writes back the secret it read: a secret regenerated meanwhile stays, the leaked one stays dead', async () => {
        const { registered, held, service, job } = await legacyClient();
        const hold = held.holdNextRead(registered.consumerKey);
        const running = job.run();
        await hold.reached;
        const secret = await service.regenerateClientSecret(registered.consumerKey);
        hold.release();
        const summary = await running;

        expect(await service.verifyClientSecret(registered.consumerKey, secret)).toBe(true);
        expect(await service.verifyClientSecret(registered.consumerKey, registered.consumerSecret)).toBe(false);
        // The regenerated secret was already in the new form: the job converted nothing, and says so.
        expect(summary.completed).toBe(true);
        expect(summary.counts.client.converted).toBe(0);
      });

      it('converts what is stored now when the client changed meanwhile, keeping the other change', async () => {
        const { registered, held, service, job } = await legacyClient();
        const hold = held.holdNextRead(registered.consumerKey);
        const running = job.run();
        await hold.reached;
        await service.updateClient(registered.consumerKey, { redirectUris: NEW_REDIRECT_URIS });
        hold.release();
        const summary = await running;

        expect((await service.getClient(registered.consumerKey))?.redirectUris).toEqual(NEW_REDIRECT_URIS);
        expect(await service.verifyClientSecret(registered.consumerKey, registered.consumerSecret)).toBe(true);
        const stored = await ctx.store.getClient(registered.consumerKey);
        expect(ctx.protector.isCurrent({ key: stored!.secretKey, value: stored!.secretValue })).toBe(true);
        expect(summary.counts.client.converted).toBe(1);
      });
    });

    it('updateClient never writes back the secret it read: a secret regenerated meanwhile stays', async () => {
      const held = holdingStore(ctx.store);
      const hold = held.holdNextRead(ctx.client.consumerKey);
      const updating = ctx
        .createServiceOver({ store: held.store })
        .updateClient(ctx.client.consumerKey, { redirectUris: NEW_REDIRECT_URIS });
      await hold.reached;
      const secret = await ctx.service.regenerateClientSecret(ctx.client.consumerKey);
      hold.release();
      const updated = await updating;

      expect(updated.redirectUris).toEqual(NEW_REDIRECT_URIS);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, secret)).toBe(true);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, ctx.client.consumerSecret)).toBe(false);
      expect((await ctx.service.getClient(ctx.client.consumerKey))?.redirectUris).toEqual(NEW_REDIRECT_URIS);
    });

    it('regenerateClientSecret never writes back the grant types it read: both changes survive', async () => {
      const held = holdingStore(ctx.store);
      const hold = held.holdNextRead(ctx.client.consumerKey);
      const regenerating = ctx.createServiceOver({ store: held.store }).regenerateClientSecret(ctx.client.consumerKey);
      await hold.reached;
      await ctx.service.updateClient(ctx.client.consumerKey, { grantTypes: ['client_credentials'] });
      hold.release();
      const secret = await regenerating;

      expect((await ctx.service.getClient(ctx.client.consumerKey))?.grantTypes).toEqual(['client_credentials']);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, secret)).toBe(true);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, ctx.client.consumerSecret)).toBe(false);
    });

    it('store: updateClient is compare-and-set on updatedAt — a stale expectation writes nothing, the current one replaces the row', async () => {
      const row = clientRow(ctx.clock.now(), { secretKey: ctx.protector.protect(generateTokenValue()).key });
      await ctx.store.createClient(row);
      const changed = { ...row, name: 'Changed', grantTypes: ['authorization_code'], updatedAt: row.updatedAt + 2 };
      expect(await ctx.store.updateClient(changed, row.updatedAt)).toBe(true);

      const stale = { ...row, secretKey: ctx.protector.protect(generateTokenValue()).key, updatedAt: row.updatedAt + 1 };
      expect(await ctx.store.updateClient(stale, row.updatedAt)).toBe(false);
      expect(await ctx.store.getClient(row.consumerKey)).toEqual(changed);

      const next = { ...changed, redirectUris: NEW_REDIRECT_URIS, updatedAt: changed.updatedAt + 1 };
      expect(await ctx.store.updateClient(next, changed.updatedAt)).toBe(true);
      expect(await ctx.store.getClient(row.consumerKey)).toEqual(next);
      expect(await ctx.store.updateClient({ ...next, consumerKey: 'no-such-client' }, next.updatedAt)).toBe(false);
      expect(await ctx.store.getClient('no-such-client')).toBeNull();
    });

    it('two updateClient calls with different fields: both changes survive', async () => {
      const held = holdingStore(ctx.store);
      const hold = held.holdNextRead(ctx.client.consumerKey);
      const renaming = ctx.createServiceOver({ store: held.store }).updateClient(ctx.client.consumerKey, { name: 'Renamed' });
      await hold.reached;
      await ctx.service.updateClient(ctx.client.consumerKey, { grantTypes: ['client_credentials'] });
      hold.release();
      await renaming;

      expect(await ctx.service.getClient(ctx.client.consumerKey)).toMatchObject({ name: 'Renamed', grantTypes: ['client_credentials'] });
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, ctx.client.consumerSecret)).toBe(true);
    });
  });
}

import { type ArtifactPayload, type ArtifactService, type ArtifactStore, ErrorCode, type StoredArtifact } from '@tokenstore/core';
import { describe, expect, it, type TestContext } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { findPlaintextsAtRest, snapshotRows } from '../storage-search.js';
import { artifactRewrapTests } from './artifact-rewrap.js';
import { DAY, MINUTE, randomValue, SECOND } from './fixtures.js';

/** Every model oidc-provider 9 stores, and one it may add later: the store must not care which. */
export const PROVIDER_MODELS = [
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'Client',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'Interaction',
  'ReplayDetection',
  'PushedAuthorizationRequest',
  'Grant',
  'BackchannelAuthenticationRequest',
  'FutureModel_2',
] as const;

const RETENTION = { inactiveSeconds: 3600, expiredSeconds: 600 };

/** A payload shaped like the provider's: `jti` is the id, plus the fields the store indexes. */
export function payloadOf(model: string, id: string, extra: ArtifactPayload = {}): ArtifactPayload {
  return { iat: 1_900_000_000, exp: 1_900_003_600, jti: id, kind: model, accountId: 'alice', scope: 'openid offline_access', ...extra };
}

/**
 * oidc-provider artifacts (issue 14) through `ArtifactService` on the store's `artifacts`: round trips
 * of every model, expiry, exactly-once consumption, revocation by grant, uid and user-code lookups,
 * purge, protection at rest and bad input.
 */
export function artifactTests(ctx: ConformanceContext): void {
  describe('artifacts', () => {
    /** The store's artifact primitives, or a skipped test with the reason printed. */
    const primitives = (t: TestContext): ArtifactStore => {
      const artifacts = ctx.store.artifacts;
      if (!artifacts) {
        console.log(`[conformance] ${ctx.options.name}: artifacts skipped — the store has no artifacts primitives`);
        t.skip();
      }
      return artifacts as ArtifactStore;
    };
    const service = (t: TestContext): ArtifactService => {
      primitives(t);
      return ctx.service.artifacts;
    };
    const newId = (label: string) => {
      const id = randomValue(43);
      ctx.recordPlaintext(label, id);
      return id;
    };

    it('finds every model by id exactly as upserted, and only under its own model name', async (t) => {
      const artifacts = service(t);
      const ids = new Map<string, string>();
      for (const model of PROVIDER_MODELS) {
        const id = newId(`${model} id`);
        ids.set(model, id);
        await artifacts.upsert(model, id, payloadOf(model, id, { grantId: 'grant-1', nested: { a: [1, 'two', null] } }), 3600);
      }
      for (const model of PROVIDER_MODELS) {
        const id = ids.get(model) as string;
        expect(await artifacts.find(model, id)).toEqual(payloadOf(model, id, { grantId: 'grant-1', nested: { a: [1, 'two', null] } }));
      }
      expect(await artifacts.find('Grant', ids.get('Session') as string)).toBeUndefined();
      expect(await artifacts.find('Session', newId('unknown id'))).toBeUndefined();
    });

    it('replaces an artifact on a second upsert of the same id', async (t) => {
      const artifacts = service(t);
      const id = newId('session id');
      await artifacts.upsert('Session', id, payloadOf('Session', id, { uid: 'uid-a', accountId: 'alice' }), 3600);
      await artifacts.upsert('Session', id, payloadOf('Session', id, { uid: 'uid-b', accountId: 'bob' }), 3600);
      expect(await artifacts.find('Session', id)).toMatchObject({ accountId: 'bob', uid: 'uid-b' });
      expect(await artifacts.findByUid('Session', 'uid-a')).toBeUndefined();
      expect(await artifacts.findByUid('Session', 'uid-b')).toMatchObject({ accountId: 'bob' });
    });

    it('stops finding an artifact once expiresIn has passed, before any purge, and never expires one without it', async (t) => {
      const artifacts = service(t);
      const expiring = newId('expiring id');
      const forever = newId('never-expiring id');
      await artifacts.upsert('AccessToken', expiring, payloadOf('AccessToken', expiring), 60);
      await artifacts.upsert('Grant', forever, payloadOf('Grant', forever));
      ctx.clock.advance(59 * SECOND);
      expect(await artifacts.find('AccessToken', expiring)).toBeDefined();
      ctx.clock.advance(1 * SECOND);
      expect(await artifacts.find('AccessToken', expiring)).toBeUndefined();
      expect(await artifacts.consume('AccessToken', expiring)).toBe(false);
      ctx.clock.advance(3650 * DAY);
      expect(await artifacts.find('Grant', forever)).toEqual(payloadOf('Grant', forever));
    });

    it('consumes exactly once under 50 concurrent calls, and later finds show consumed in seconds', async (t) => {
      const artifacts = service(t);
      const id = newId('code id');
      await artifacts.upsert('AuthorizationCode', id, payloadOf('AuthorizationCode', id, { grantId: 'g' }), 600);
      const consumedAt = ctx.clock.now();
      const results = await Promise.all(Array.from({ length: 50 }, () => artifacts.consume('AuthorizationCode', id)));
      expect(results.filter(Boolean)).toHaveLength(1);
      ctx.clock.advance(5 * SECOND);
      expect(await artifacts.consume('AuthorizationCode', id)).toBe(false);
      expect(await artifacts.find('AuthorizationCode', id)).toEqual({
        ...payloadOf('AuthorizationCode', id, { grantId: 'g' }),
        consumed: Math.floor(consumedAt / 1000),
      });
    });

    it('insertOnce accepts exactly one of 50 concurrent first uses, refuses a replay until it expires, then accepts it again', async (t) => {
      const artifacts = service(t);
      const id = newId('proof id');
      const results = await Promise.all(Array.from({ length: 50 }, () => artifacts.insertOnce('DPoPProof', id, {}, 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await artifacts.insertOnce('DPoPProof', id, {}, 60)).toBe(false);
      expect(await artifacts.insertOnce('ReplayDetection', id, {}, 60)).toBe(true);
      ctx.clock.advance(61 * SECOND);
      // Expired and not purged yet: its place is taken again.
      expect(await artifacts.insertOnce('DPoPProof', id, {}, 60)).toBe(true);
      expect(await artifacts.insertOnce('DPoPProof', id, {}, 60)).toBe(false);
    });

    it('revokeByGrantId deletes every model of the grant and nothing else', async (t) => {
      const artifacts = service(t);
      const grantModels = [
        'AccessToken',
        'RefreshToken',
        'AuthorizationCode',
        'DeviceCode',
        'BackchannelAuthenticationRequest',
        'FutureModel_2',
      ];
      const ofGrant = grantModels.map((model) => ({ model, id: newId(`${model} of grant`) }));
      const others = [...grantModels, 'Session', 'Grant'].map((model) => ({ model, id: newId(`${model} elsewhere`) }));
      for (const { model, id } of ofGrant) await artifacts.upsert(model, id, payloadOf(model, id, { grantId: 'grant-x' }), 3600);
      for (const [index, { model, id }] of others.entries())
        await artifacts.upsert(model, id, payloadOf(model, id, index % 2 === 0 ? { grantId: 'grant-y' } : {}), 3600);
      expect(await artifacts.revokeByGrantId('grant-x')).toBe(ofGrant.length);
      for (const { model, id } of ofGrant) expect(await artifacts.find(model, id)).toBeUndefined();
      for (const { model, id } of others) expect(await artifacts.find(model, id)).toBeDefined();
      expect(await artifacts.revokeByGrantId('grant-x')).toBe(0);
    });

    it('finds a session by uid, only under its model, and no more once destroyed', async (t) => {
      const artifacts = service(t);
      const id = newId('session id');
      const uid = newId('session uid');
      await artifacts.upsert('Session', id, payloadOf('Session', id, { uid }), 3600);
      expect(await artifacts.findByUid('Session', uid)).toMatchObject({ uid, accountId: 'alice', kind: 'Session' });
      expect(await artifacts.findByUid('Interaction', uid)).toBeUndefined();
      expect(await artifacts.findByUid('Session', newId('other uid'))).toBeUndefined();
      expect(await artifacts.destroy('Session', id)).toBe(true);
      expect(await artifacts.findByUid('Session', uid)).toBeUndefined();
      expect(await artifacts.find('Session', id)).toBeUndefined();
      expect(await artifacts.destroy('Session', id)).toBe(false);
    });

    it('finds a device code by user code with its id, user code and consumption', async (t) => {
      const artifacts = service(t);
      const id = newId('device code');
      const userCode = 'BCDFGHJK';
      ctx.recordPlaintext('user code', userCode);
      await artifacts.upsert('DeviceCode', id, payloadOf('DeviceCode', id, { userCode, grantId: 'g-dev' }), 600);
      expect(await artifacts.findByUserCode('DeviceCode', userCode)).toEqual(payloadOf('DeviceCode', id, { userCode, grantId: 'g-dev' }));
      expect(await artifacts.findByUserCode('DeviceCode', 'BCDFGHJL')).toBeUndefined();
      expect(await artifacts.consume('DeviceCode', id)).toBe(true);
      expect(await artifacts.findByUserCode('DeviceCode', userCode)).toMatchObject({ consumed: expect.any(Number) });
      ctx.clock.advance(10 * MINUTE);
      expect(await artifacts.findByUserCode('DeviceCode', userCode)).toBeUndefined();
    });

    it('is purged by the service purger once expired past the retention; live and never-expiring ones stay', async (t) => {
      const store = primitives(t);
      const purging = ctx.createService({ retention: RETENTION, purge: { batchSize: 2 } });
      const expired = Array.from({ length: 5 }, (_, index) => ({ model: PROVIDER_MODELS[index] as string, id: newId(`expired ${index}`) }));
      for (const { model, id } of expired) await purging.artifacts.upsert(model, id, payloadOf(model, id), 60);
      const live = newId('live id');
      const forever = newId('forever id');
      await purging.artifacts.upsert('RefreshToken', live, payloadOf('RefreshToken', live), 2 * 3600);
      await purging.artifacts.upsert('Grant', forever, payloadOf('Grant', forever));
      ctx.clock.advance(MINUTE + 5 * MINUTE);
      expect((await purging.purgeExpired()).artifacts).toBe(0);
      ctx.clock.advance(5 * MINUTE);
      const run = await purging.purgeExpired();
      if (ctx.exactPurgeCounts) expect(run.artifacts).toBe(5);
      else expect(run.artifacts).toBeLessThanOrEqual(5);
      const key = (id: string) => ctx.protector.protect(id).key;
      for (const { model, id } of expired) expect(await store.getArtifact(model, key(id))).toBeNull();
      expect(await store.getArtifact('RefreshToken', key(live))).not.toBeNull();
      expect(await store.getArtifact('Grant', key(forever))).not.toBeNull();
      expect(await purging.artifacts.find('Grant', forever)).toBeDefined();
    });

    it('keeps ids and user codes only as lookup keys outside plain mode, and payloads sealed in encrypt mode', async (t) => {
      const artifacts = service(t);
      const mode = ctx.protector.mode;
      const id = newId('device code');
      const userCode = 'WXYZWXYZ';
      const sessionId = newId('session id');
      const marker = `marker-${randomValue(16)}`;
      await artifacts.upsert('DeviceCode', id, payloadOf('DeviceCode', id, { userCode, marker }), 600);
      await artifacts.upsert('Session', sessionId, payloadOf('Session', sessionId, { uid: 'u-1', marker }), 600);
      const rows = await ctx.inspect();
      const found = findPlaintextsAtRest(
        rows,
        new Map([
          [sessionId, 'session id'],
          [userCode, 'user code'],
          [marker, 'payload'],
          // A device code keeps its id in its payload in hash mode: the provider saves the code it found by user code again.
          ...(mode === 'hash' ? [] : [[id, 'device code'] as [string, string]]),
        ]),
      );
      if (mode === 'plain') expect(found).toEqual(expect.arrayContaining(['session id', 'user code', 'payload']));
      else if (mode === 'hash') expect(found).toEqual(['payload']);
      else expect(found).toEqual([]);
      expect(await artifacts.findByUserCode('DeviceCode', userCode)).toEqual(payloadOf('DeviceCode', id, { userCode, marker }));
      expect(await artifacts.find('Session', sessionId)).toEqual(payloadOf('Session', sessionId, { uid: 'u-1', marker }));
    });

    it('refuses bad input with INVALID_INPUT and changes nothing', async (t) => {
      const store = primitives(t);
      const artifacts = ctx.service.artifacts;
      const id = newId('kept id');
      await artifacts.upsert('AccessToken', id, payloadOf('AccessToken', id, { grantId: 'g' }), 60);
      const before = snapshotRows(await ctx.inspect());
      const bad: Array<() => Promise<unknown>> = [
        () => artifacts.upsert('', id, {}, 60),
        () => artifacts.upsert('Access Token', id, {}, 60),
        () => artifacts.upsert('AccessToken', '', {}, 60),
        () => artifacts.upsert('AccessToken', 'a\nb', {}, 60),
        () => artifacts.upsert('AccessToken', id, null as unknown as ArtifactPayload, 60),
        () => artifacts.upsert('AccessToken', id, [] as unknown as ArtifactPayload, 60),
        () => artifacts.upsert('AccessToken', id, { grantId: 42 }, 60),
        () => artifacts.upsert('AccessToken', id, { uid: '' }, 60),
        () => artifacts.upsert('AccessToken', id, { consumed: 'yes' }, 60),
        () => artifacts.upsert('AccessToken', id, {}, -1),
        () => artifacts.upsert('AccessToken', id, {}, Number.NaN),
        () => artifacts.upsert('AccessToken', id, {}, '60' as unknown as number),
        () => artifacts.upsert('AccessToken', id, { big: 'x'.repeat(600 * 1024) }, 60),
        () => artifacts.find('AccessToken', 42 as unknown as string),
        () => artifacts.findByUid('Session', ''),
        () => artifacts.findByUserCode('DeviceCode', undefined as unknown as string),
        () => artifacts.consume('1Model', id),
        () => artifacts.destroy('AccessToken', ''),
        () => artifacts.revokeByGrantId(''),
        () => artifacts.insertOnce('DPoPProof', id, {}, undefined as unknown as number),
        () => artifacts.insertOnce('DPoP Proof', id, {}, 60),
        () => store.upsertArtifact({ model: 'AccessToken' } as StoredArtifact),
        () => store.upsertArtifact(null as unknown as StoredArtifact),
        () => store.getArtifact('AccessToken', ''),
        () => store.findArtifactByUid('', 'k'),
        () => store.findArtifactByUserCode('DeviceCode', 'k'.repeat(600)),
        () => store.consumeArtifact('AccessToken', 'k', Number.NaN),
        () => store.deleteArtifact('AccessToken', null as unknown as string),
        () => store.deleteArtifactsOfGrant(7 as unknown as string),
        () => store.purgeArtifacts({ now: 1, expiredBefore: 1, inactiveBefore: 1, limit: 0 }),
        () => store.insertArtifact({ model: 'AccessToken', key: 'k' } as StoredArtifact),
        () => store.replaceArtifact(null as unknown as StoredArtifact, null as unknown as StoredArtifact),
        () => store.deleteArtifactIf({ model: 'Access Token' } as StoredArtifact),
        () => store.scanArtifacts({ cursor: null, limit: 0 }),
        () => store.scanArtifacts({ cursor: 'not a cursor of this store', limit: 10 }),
      ];
      for (const call of bad) await expectTokenStoreError(call, ErrorCode.InvalidInput);
      expect(snapshotRows(await ctx.inspect())).toEqual(before);
      expect(await artifacts.find('AccessToken', id)).toBeDefined();
    });

    artifactRewrapTests(ctx, { primitives, newId });
  });
}

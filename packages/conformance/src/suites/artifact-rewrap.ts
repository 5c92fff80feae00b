import { type ArtifactStore, ErrorCode, RewrapJob, type StoredArtifact } from '@tokenstore/core';
import { describe, expect, it, type TestContext } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { PROVIDER_MODELS, payloadOf } from './artifacts.js';
import { migration } from './interleavings/migration.js';

/**
 * The rewrap of provider artifacts (part of the `artifacts` topic): the store primitives the job uses
 * (insert, replace and delete of the version read, the scan) and a rewrap from the previous protection.
 */
export function artifactRewrapTests(
  ctx: ConformanceContext,
  helpers: { primitives: (t: TestContext) => ArtifactStore; newId: (label: string) => string },
): void {
  const { primitives, newId } = helpers;
  describe('rewrap', () => {
    /** A row as the service would store it now, straight through the primitives. */
    const rowOf = (overrides: Partial<StoredArtifact> = {}): StoredArtifact => {
      const id = newId('primitive id');
      return {
        model: 'AuthorizationCode',
        key: ctx.protector.protect(id).key,
        value: ctx.protector.protect(id).value,
        payload: JSON.stringify({ grantId: 'g-rewrap' }),
        sealed: false,
        grantId: 'g-rewrap',
        uidKey: null,
        userCodeKey: null,
        expiresAt: ctx.clock.now() + 600_000,
        consumedAt: null,
        updatedAt: ctx.clock.now(),
        ...overrides,
      };
    };

    it('insertArtifact inserts only where no row is, and writes nothing otherwise', async (t) => {
      const store = primitives(t);
      const row = rowOf();
      expect(await store.insertArtifact(row)).toBe(true);
      expect(await store.getArtifact(row.model, row.key)).toEqual(row);
      expect(await store.insertArtifact({ ...row, payload: '{"other":true}', updatedAt: row.updatedAt + 1 })).toBe(false);
      expect(await store.getArtifact(row.model, row.key)).toEqual(row);
      // The same key under another model is another row.
      expect(await store.insertArtifact({ ...row, model: 'AccessToken' })).toBe(true);
    });

    it('replaceArtifact and deleteArtifactIf act only on the version read: a consumption or a new write in between wins', async (t) => {
      const store = primitives(t);
      const row = rowOf();
      await store.upsertArtifact(row);
      expect(await store.consumeArtifact(row.model, row.key, row.updatedAt + 5)).toBe(true);
      const consumed = { ...row, consumedAt: row.updatedAt + 5 };
      // Stale versions: refused, nothing written.
      expect(await store.replaceArtifact(row, { ...row, payload: '{"stale":true}' })).toBe(false);
      expect(await store.deleteArtifactIf(row)).toBe(false);
      expect(await store.deleteArtifactIf({ ...consumed, updatedAt: row.updatedAt - 1 })).toBe(false);
      expect(await store.getArtifact(row.model, row.key)).toEqual(consumed);
      // The version stored: replaced (every field), then deleted.
      const next = { ...consumed, payload: '{"resealed":true}', uidKey: 'uid-key-after' };
      expect(await store.replaceArtifact(consumed, next)).toBe(true);
      expect(await store.getArtifact(row.model, row.key)).toEqual(next);
      expect(await store.findArtifactByUid(row.model, 'uid-key-after')).toEqual(next);
      expect(await store.deleteArtifactIf(next)).toBe(true);
      expect(await store.getArtifact(row.model, row.key)).toBeNull();
      expect(await store.findArtifactByUid(row.model, 'uid-key-after')).toBeNull();
      expect(await store.deleteArtifactIf(next)).toBe(false);
      expect(await store.replaceArtifact(next, next)).toBe(false);
      await expectTokenStoreError(() => store.replaceArtifact(row, { ...row, key: `${row.key}-other` }), ErrorCode.InvalidInput);
    });

    it('scanArtifacts pages through every row of every model exactly once', async (t) => {
      const store = primitives(t);
      const written = new Set<string>();
      for (let index = 0; index < 23; index++) {
        const row = rowOf({ model: PROVIDER_MODELS[index % 4] as string, grantId: null });
        await store.upsertArtifact(row);
        written.add(`${row.model}/${row.key}`);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<ArtifactStore['scanArtifacts']>> = await store.scanArtifacts({ cursor, limit: 5 });
        expect(page.rows.length).toBeLessThanOrEqual(5);
        for (const row of page.rows) seen.push(`${row.model}/${row.key}`);
        cursor = page.cursor;
        pages++;
      } while (cursor !== null && pages < 100);
      expect(cursor).toBeNull();
      expect(new Set(seen).size).toBe(seen.length);
      expect(new Set(seen)).toEqual(written);
    });

    it('a rewrap from the previous protection converts every artifact: found by id, uid and user code without the fallback, consumed ones stay consumed', async (t) => {
      const store = primitives(t);
      const { legacy, current } = migration(ctx);
      const before = ctx.createServiceOver({ protector: legacy }).artifacts;
      const ids = PROVIDER_MODELS.map((model) => ({ model, id: newId(`${model} id before rewrap`) }));
      for (const { model, id } of ids) await before.upsert(model, id, payloadOf(model, id, { grantId: 'g-before' }), 3600);
      const sessionId = newId('session id before rewrap');
      const uid = newId('session uid before rewrap');
      await before.upsert('Session', sessionId, payloadOf('Session', sessionId, { uid }), 3600);
      const deviceCode = newId('device code before rewrap');
      const userCode = 'QRSTQRST';
      ctx.recordPlaintext('user code', userCode);
      await before.upsert('DeviceCode', deviceCode, payloadOf('DeviceCode', deviceCode, { userCode }), 600);
      const code = ids.find(({ model }) => model === 'AuthorizationCode') as { id: string };
      expect(await before.consume('AuthorizationCode', code.id)).toBe(true);

      const summary = await new RewrapJob(
        { store: ctx.store, protector: current, clock: ctx.clock },
        { kinds: ['artifact'], batchSize: 4 },
      ).run();
      expect(summary.completed).toBe(true);
      expect(summary.counts.artifact).toMatchObject({ converted: ids.length + 2, failed: 0, skipped: 0, unconvertible: 0 });

      const after = ctx.createServiceOver({ protector: ctx.protector }).artifacts;
      for (const { model, id } of ids) expect(await after.find(model, id)).toMatchObject({ jti: id, grantId: 'g-before' });
      // Found by uid without its id in hash mode (nothing presented restores it; the provider reads accountId and the grants).
      expect(await after.findByUid('Session', uid)).toMatchObject({ uid, kind: 'Session', accountId: 'alice' });
      expect(await after.find('Session', sessionId)).toMatchObject({ jti: sessionId, uid });
      expect(await after.findByUserCode('DeviceCode', userCode)).toMatchObject({ jti: deviceCode, userCode });
      expect(await after.find('AuthorizationCode', code.id)).toMatchObject({ consumed: expect.any(Number) });
      expect(await after.consume('AuthorizationCode', code.id)).toBe(false);
      expect(await after.revokeByGrantId('g-before')).toBe(ids.length);
      // Nothing is left in the legacy form: every row is in the current one.
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<ArtifactStore['scanArtifacts']>> = await store.scanArtifacts({ cursor, limit: 100 });
        for (const row of page.rows) expect(ctx.protector.isCurrent({ key: row.key, value: row.value })).toBe(true);
        cursor = page.cursor;
      } while (cursor !== null);
      const again = await new RewrapJob({ store: ctx.store, protector: current, clock: ctx.clock }, { kinds: ['artifact'] }).run();
      expect(again.counts.artifact).toMatchObject({ converted: 0, failed: 0 });
    });
  });
}

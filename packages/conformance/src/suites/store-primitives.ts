import { ErrorCode, generateTokenValue, type StoredAccessToken, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { accessTokenRow, authorizationCodeRow, DAY, MINUTE, refreshTokenRow, SECOND } from './fixtures.js';

/** The contract of store.ts, called directly: what the service relies on from every backend. */
export function storePrimitiveTests(ctx: ConformanceContext): void {
  describe('store primitives', () => {
    it('stores and returns a row of each kind exactly, in any state', async () => {
      const rows = [
        ['accessToken', accessTokenRow(ctx, { state: TokenState.Revoked, expiresAt: null })],
        ['refreshToken', refreshTokenRow(ctx, { state: TokenState.Inactive, rotatedAt: ctx.clock.now(), reuseCount: 2 })],
        [
          'authorizationCode',
          authorizationCodeRow(ctx, {
            redirectUri: 'https://client.example.com/callback',
            codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
            codeChallengeMethod: 'S256',
            nonce: 'n-0S6_WzA2Mj',
            scopes: ['openid', 'profile'],
          }),
        ],
      ] as const;
      for (const [kind, row] of rows) {
        expect(await ctx.store.insert(kind, row)).toEqual({ inserted: true });
        expect(await ctx.store.get(kind, row.key)).toEqual(row);
      }
    });

    it('refuses a second row with the same key (CONFLICT) and keeps the first', async () => {
      const row = accessTokenRow(ctx);
      await ctx.store.insert('accessToken', row);
      await expectTokenStoreError(ctx.store.insert('accessToken', { ...row, userId: 'mallory' }), ErrorCode.Conflict);
      expect((await ctx.store.get('accessToken', row.key))?.userId).toBe(row.userId);
    });

    it('returns null for an unknown key of every kind', async () => {
      for (const kind of ['accessToken', 'refreshToken', 'authorizationCode'] as const)
        expect(await ctx.store.get(kind, ctx.protector.protect(generateTokenValue()).key)).toBeNull();
    });

    it('finds the ACTIVE exclusive token of a reuse key, expired or not, and only that one', async () => {
      const exclusive = accessTokenRow(ctx, { exclusive: true, expiresAt: ctx.clock.now() + MINUTE });
      const other = accessTokenRow(ctx, { exclusive: false, reuseKey: exclusive.reuseKey });
      await ctx.store.insert('accessToken', other);
      expect(await ctx.store.findActiveAccessToken(exclusive.reuseKey)).toBeNull();
      await ctx.store.insert('accessToken', exclusive);
      ctx.clock.advance(2 * MINUTE);
      expect(await ctx.store.findActiveAccessToken(exclusive.reuseKey)).toEqual(exclusive);
      expect(await ctx.store.compareAndSetState('accessToken', exclusive.key, { from: 'ACTIVE', to: 'EXPIRED', at: ctx.clock.now() })).toBe(
        true,
      );
      expect(await ctx.store.findActiveAccessToken(exclusive.reuseKey)).toBeNull();
      const successor = accessTokenRow(ctx, { exclusive: true, reuseKey: exclusive.reuseKey });
      expect(await ctx.store.insert('accessToken', successor)).toEqual({ inserted: true });
      expect((await ctx.store.findActiveAccessToken(exclusive.reuseKey))?.key).toBe(successor.key);
    });

    it('changes a state only from the expected state, recording when', async () => {
      const row = authorizationCodeRow(ctx);
      await ctx.store.insert('authorizationCode', row);
      ctx.clock.advance(SECOND);
      const at = ctx.clock.now();
      expect(await ctx.store.compareAndSetState('authorizationCode', row.key, { from: 'REVOKED', to: 'INACTIVE', at })).toBe(false);
      expect(await ctx.store.compareAndSetState('authorizationCode', row.key, { from: 'ACTIVE', to: 'INACTIVE', at })).toBe(true);
      expect(await ctx.store.compareAndSetState('authorizationCode', row.key, { from: 'ACTIVE', to: 'INACTIVE', at })).toBe(false);
      expect(await ctx.store.get('authorizationCode', row.key)).toEqual({ ...row, state: 'INACTIVE', stateChangedAt: at });
      expect(await ctx.store.compareAndSetState('authorizationCode', 'no-such-key', { from: 'ACTIVE', to: 'INACTIVE', at })).toBe(false);
    });

    it('rotates a refresh token only from the expected state and reuse count, counting grace-window reuses', async () => {
      const row = refreshTokenRow(ctx);
      await ctx.store.insert('refreshToken', row);
      const successor = () => ({
        refreshToken: refreshTokenRow(ctx, { grantId: row.grantId }),
        accessToken: accessTokenRow(ctx, { grantId: row.grantId }),
      });
      const rotatedAt = ctx.clock.now();
      expect(
        await ctx.store.rotateRefreshToken({
          key: row.key,
          expected: { state: 'INACTIVE', reuseCount: 0 },
          at: rotatedAt,
          successor: successor(),
        }),
      ).toBe(false);
      expect(
        await ctx.store.rotateRefreshToken({
          key: row.key,
          expected: { state: 'ACTIVE', reuseCount: 0 },
          at: rotatedAt,
          successor: successor(),
        }),
      ).toBe(true);
      ctx.clock.advance(5 * SECOND);
      const again = successor();
      expect(
        await ctx.store.rotateRefreshToken({
          key: row.key,
          expected: { state: 'INACTIVE', reuseCount: 0 },
          at: ctx.clock.now(),
          successor: again,
        }),
      ).toBe(true);
      expect(await ctx.store.get('refreshToken', row.key)).toEqual({
        ...row,
        state: 'INACTIVE',
        rotatedAt,
        stateChangedAt: rotatedAt,
        reuseCount: 1,
      });
      expect(await ctx.store.get('refreshToken', again.refreshToken.key)).toEqual(again.refreshToken);
      expect(await ctx.store.get('accessToken', again.accessToken.key)).toEqual(again.accessToken);
      expect(
        await ctx.store.rotateRefreshToken({
          key: row.key,
          expected: { state: 'INACTIVE', reuseCount: 0 },
          at: ctx.clock.now(),
          successor: successor(),
        }),
      ).toBe(false);
    });

    it('revokes ACTIVE rows of every kind, rotated refresh tokens and consumed codes, and nothing else', async () => {
      const grantId = 'grant-under-test';
      const access = accessTokenRow(ctx, { grantId });
      const rotated = refreshTokenRow(ctx, { grantId, state: 'INACTIVE', rotatedAt: ctx.clock.now() });
      const current = refreshTokenRow(ctx, { grantId });
      const consumed = authorizationCodeRow(ctx, { grantId, state: 'INACTIVE' });
      const pending = authorizationCodeRow(ctx, { grantId });
      const expired = accessTokenRow(ctx, { grantId, state: 'EXPIRED' });
      await ctx.store.insert('accessToken', access);
      await ctx.store.insert('accessToken', expired);
      await ctx.store.insert('refreshToken', rotated);
      await ctx.store.insert('refreshToken', current);
      await ctx.store.insert('authorizationCode', consumed);
      await ctx.store.insert('authorizationCode', pending);
      ctx.clock.advance(SECOND);
      const at = ctx.clock.now();
      expect(await ctx.store.revokeTokens({ grantId }, at)).toEqual({ accessToken: 1, refreshToken: 2, authorizationCode: 2 });
      expect(await ctx.store.get('accessToken', access.key)).toMatchObject({ state: 'REVOKED', stateChangedAt: at });
      expect(await ctx.store.get('refreshToken', rotated.key)).toMatchObject({ state: 'REVOKED', stateChangedAt: at });
      expect(await ctx.store.get('authorizationCode', pending.key)).toMatchObject({ state: 'REVOKED' });
      expect(await ctx.store.get('authorizationCode', consumed.key)).toMatchObject({ state: 'REVOKED', stateChangedAt: at });
      expect(await ctx.store.get('accessToken', expired.key)).toEqual(expired);
    });

    it('creates, reads, replaces and deletes client rows', async () => {
      const client = {
        consumerKey: 'store-client',
        secretKey: ctx.protector.protect(generateTokenValue()).key,
        secretValue: null,
        name: 'Store client',
        grantTypes: ['client_credentials'],
        redirectUris: ['https://client.example.com/cb'],
        allowedScopes: ['device_*', 'read'],
        resourceServer: true,
        validity: { applicationAccessTokenValidity: -1 },
        createdAt: ctx.clock.now(),
        updatedAt: ctx.clock.now(),
      };
      await ctx.store.createClient(client);
      expect(await ctx.store.getClient('store-client')).toEqual(client);
      await expectTokenStoreError(ctx.store.createClient(client), ErrorCode.Conflict);
      const renamed = {
        ...client,
        name: 'Renamed',
        allowedScopes: [],
        resourceServer: false,
        validity: {},
        updatedAt: client.updatedAt + 1,
      };
      expect(await ctx.store.updateClient(renamed, client.updatedAt)).toBe(true);
      expect(await ctx.store.getClient('store-client')).toEqual(renamed);
      expect(await ctx.store.updateClient({ ...client, consumerKey: 'missing-client' }, client.updatedAt)).toBe(false);
      expect(await ctx.store.deleteClient('store-client')).toBe(true);
      expect(await ctx.store.deleteClient('store-client')).toBe(false);
      expect(await ctx.store.getClient('store-client')).toBeNull();
    });

    it('pages through every row of a kind with an opaque cursor, each row once', async () => {
      const keys = new Set<string>();
      for (let i = 0; i < 25; i++) {
        const row = accessTokenRow(ctx, { userId: `user-${i}` });
        await ctx.store.insert('accessToken', row);
        keys.add(row.key);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const result: { rows: StoredAccessToken[]; cursor: string | null } = await ctx.store.scan('accessToken', { cursor, limit: 10 });
        expect(result.rows.length).toBeLessThanOrEqual(10);
        seen.push(...result.rows.map((row) => row.key));
        cursor = result.cursor;
        if (cursor === null) break;
      }
      expect(cursor).toBeNull();
      expect(seen).toHaveLength(25);
      expect(new Set(seen)).toEqual(keys);
      const clients = await ctx.store.scan('client', { cursor: null, limit: 100 });
      expect(clients.rows.map((client) => client.consumerKey)).toContain(ctx.client.consumerKey);
    });

    it('keeps a scan complete while rows are re-keyed under it', async () => {
      const identities = new Map<string, string>();
      for (let i = 0; i < 20; i++) {
        const row = accessTokenRow(ctx, { userId: `user-${i}` });
        await ctx.store.insert('accessToken', row);
        identities.set(row.key, row.grantId);
      }
      const grantsSeen = new Set<string>();
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const result: { rows: StoredAccessToken[]; cursor: string | null } = await ctx.store.scan('accessToken', { cursor, limit: 5 });
        for (const row of result.rows) {
          grantsSeen.add(row.grantId);
          const replacement = { ...row, ...ctx.protector.protect(generateTokenValue()) };
          expect(await ctx.store.replaceKey('accessToken', row.key, replacement)).toBe(true);
        }
        cursor = result.cursor;
        if (cursor === null) break;
      }
      expect(cursor).toBeNull();
      expect(grantsSeen).toEqual(new Set(identities.values()));
    });

    it('replaces a row key, keeping every other field and the reuse lookup, and refuses a missing old key', async () => {
      const row = accessTokenRow(ctx, { exclusive: true });
      await ctx.store.insert('accessToken', row);
      const replacement = { ...row, ...ctx.protector.protect(generateTokenValue()) };
      expect(await ctx.store.replaceKey('accessToken', row.key, replacement)).toBe(true);
      expect(await ctx.store.get('accessToken', row.key)).toBeNull();
      expect(await ctx.store.get('accessToken', replacement.key)).toEqual(replacement);
      expect((await ctx.store.findActiveAccessToken(row.reuseKey))?.key).toBe(replacement.key);
      expect(await ctx.store.replaceKey('accessToken', row.key, { ...replacement, key: 'another-key' })).toBe(false);
      expect(await ctx.store.get('accessToken', 'another-key')).toBeNull();
    });

    it('moves only key and value: a revocation landing between a rewrap read and its rewrite is kept', async () => {
      const row = accessTokenRow(ctx);
      await ctx.store.insert('accessToken', row);
      const readByRewrap = (await ctx.store.get('accessToken', row.key))!;
      const at = ctx.clock.now() + SECOND;
      expect(await ctx.store.compareAndSetState('accessToken', row.key, { from: TokenState.Active, to: TokenState.Revoked, at })).toBe(
        true,
      );
      const rewritten = { ...readByRewrap, ...ctx.protector.protect(generateTokenValue()) };
      expect(await ctx.store.replaceKey('accessToken', row.key, rewritten)).toBe(true);
      expect(await ctx.store.get('accessToken', rewritten.key)).toMatchObject({ state: TokenState.Revoked, stateChangedAt: at });
    });

    it('only deletes the old row when the new key already exists (the rewrap already happened)', async () => {
      const row = refreshTokenRow(ctx);
      const already = refreshTokenRow(ctx, { grantId: row.grantId });
      await ctx.store.insert('refreshToken', row);
      await ctx.store.insert('refreshToken', already);
      await ctx.store.replaceKey('refreshToken', row.key, { ...row, key: already.key, value: already.value });
      expect(await ctx.store.get('refreshToken', row.key)).toBeNull();
      expect(await ctx.store.get('refreshToken', already.key)).toEqual(already);
    });

    it(`grants the purge lease to one owner at a time on shared stores, to every caller otherwise`, async () => {
      const now = ctx.clock.now();
      expect(await ctx.store.acquirePurgeLease('node-a', now, MINUTE)).toBe(true);
      expect(await ctx.store.acquirePurgeLease('node-a', now + SECOND, MINUTE)).toBe(true);
      const other = await ctx.store.acquirePurgeLease('node-b', now + 2 * SECOND, MINUTE);
      if (!ctx.storeCapabilities.shared) {
        expect(other).toBe(true);
        return;
      }
      expect(other).toBe(false);
      expect(await ctx.store.acquirePurgeLease('node-b', now + SECOND + MINUTE + 1, MINUTE)).toBe(true);
      await ctx.store.releasePurgeLease('node-b');
      expect(await ctx.store.acquirePurgeLease('node-a', now + DAY, MINUTE)).toBe(true);
    });

    it('refuses every call with CLOSED once closed', async () => {
      await ctx.store.close();
      await expectTokenStoreError(ctx.store.get('accessToken', 'any-key'), ErrorCode.Closed);
      await expectTokenStoreError(ctx.store.insert('accessToken', accessTokenRow(ctx)), ErrorCode.Closed);
      await expectTokenStoreError(ctx.store.getClient('any-client'), ErrorCode.Closed);
      await expectTokenStoreError(ctx.store.revokeTokens({ grantId: 'g' }, ctx.clock.now()), ErrorCode.Closed);
    });
  });
}

import { ErrorCode, type SecurityEvent } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { DAY, HOUR, SECOND } from './fixtures.js';

export function refreshRotationTests(ctx: ConformanceContext): void {
  describe('refresh rotation', () => {
    const start = (scopes: string[] = ['read', 'write'], service = ctx.service) =>
      service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes, issueRefreshToken: true });
    const isValid = async (token: string) => (await ctx.service.validateAccessToken(token)) !== null;

    it('rotates: the new pair works, and the old refresh token no longer does', async () => {
      const first = await start();
      const now = ctx.clock.now();
      const second = await ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      expect(second.refreshToken).toBeDefined();
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(second.grantId).toBe(first.grantId);
      expect(second.refreshTokenExpiresAt).toBe(now + DAY);
      expect(await ctx.service.validateAccessToken(second.accessToken)).toMatchObject({
        grantType: 'refresh_token',
        scopes: ['read', 'write'],
      });
      const third = await ctx.service.refreshAccessToken({ refreshToken: second.refreshToken!, consumerKey: ctx.client.consumerKey });
      expect(await isValid(third.accessToken)).toBe(true);
    });

    it('treats a rotated refresh token presented again as theft: REUSE_DETECTED and the whole family revoked', async () => {
      const security: SecurityEvent[] = [];
      ctx.service.events.on('security', (event) => security.push(event));
      const first = await start();
      const second = await ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      const unrelated = await start();
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.ReuseDetected,
      );
      expect(await isValid(first.accessToken)).toBe(false);
      expect(await isValid(second.accessToken)).toBe(false);
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: second.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.Revoked,
      );
      expect(await isValid(unrelated.accessToken)).toBe(true);
      expect(security).toHaveLength(1);
      expect(security[0]).toMatchObject({ kind: 'refresh-reuse', consumerKey: ctx.client.consumerKey, grantId: first.grantId });
    });

    it('accepts a rotated token again inside the grace period, up to the reuse count, then detects reuse', async () => {
      const service = ctx.createService({ refresh: { gracePeriodSeconds: 30, maxReuseCount: 2 } });
      const first = await start(['read'], service);
      const rotated = await service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      ctx.clock.advanceSeconds(10);
      const again = await service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      ctx.clock.advanceSeconds(10);
      const onceMore = await service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      for (const tokens of [rotated, again, onceMore]) expect(await isValid(tokens.accessToken)).toBe(true);
      await expectTokenStoreError(
        service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.ReuseDetected,
      );
      for (const tokens of [rotated, again, onceMore]) expect(await isValid(tokens.accessToken)).toBe(false);
    });

    it('detects reuse once the grace period is over', async () => {
      const service = ctx.createService({ refresh: { gracePeriodSeconds: 30, maxReuseCount: 5 } });
      const first = await start(['read'], service);
      const rotated = await service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      ctx.clock.advance(30 * SECOND + 1);
      await expectTokenStoreError(
        service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.ReuseDetected,
      );
      expect(await isValid(rotated.accessToken)).toBe(false);
    });

    it("narrows the new access token's scopes without narrowing the grant", async () => {
      const first = await start(['read', 'write']);
      const narrowed = await ctx.service.refreshAccessToken({
        refreshToken: first.refreshToken!,
        consumerKey: ctx.client.consumerKey,
        scopes: 'read',
      });
      expect(narrowed.scopes).toEqual(['read']);
      expect((await ctx.service.validateAccessToken(narrowed.accessToken))?.scopes).toEqual(['read']);
      const full = await ctx.service.refreshAccessToken({ refreshToken: narrowed.refreshToken!, consumerKey: ctx.client.consumerKey });
      expect(full.scopes).toEqual(['read', 'write']);
    });

    it('refuses scopes beyond the original grant, without rotating', async () => {
      const first = await start(['read']);
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({
          refreshToken: first.refreshToken!,
          consumerKey: ctx.client.consumerKey,
          scopes: ['read', 'admin'],
        }),
        ErrorCode.InvalidInput,
      );
      await ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
    });

    it('refuses an expired refresh token', async () => {
      const first = await start();
      ctx.clock.advance(DAY);
      const codes = ctx.storeCapabilities.nativeExpiry ? [ErrorCode.Expired, ErrorCode.NotFound] : [ErrorCode.Expired];
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey }),
        codes,
      );
    });

    it('refuses a refresh token presented by another client, without rotating it', async () => {
      const other = await ctx.service.registerClient();
      const first = await start();
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: other.consumerKey }),
        ErrorCode.NotFound,
      );
      await ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
    });

    it("gives successors the client's validities", async () => {
      const client = await ctx.service.registerClient({ validity: { userAccessTokenValidity: 600, refreshTokenValidity: 2 * 3600 } });
      const first = await ctx.service.issueAccessToken({ consumerKey: client.consumerKey, userId: 'alice', issueRefreshToken: true });
      ctx.clock.advance(HOUR);
      const now = ctx.clock.now();
      const next = await ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: client.consumerKey });
      expect(next.expiresAt).toBe(now + 600 * SECOND);
      expect(next.refreshTokenExpiresAt).toBe(now + 2 * HOUR);
    });
  });
}

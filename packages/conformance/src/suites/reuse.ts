import { ErrorCode, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { HOUR, SECOND } from './fixtures.js';

export function reuseAndDeviceScopeTests(ctx: ConformanceContext): void {
  describe('reuse & device scopes', () => {
    it('issues a distinct token to every request when reuse is off (the default)', async () => {
      const request = { consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read'] };
      const first = await ctx.service.issueAccessToken(request);
      const second = await ctx.service.issueAccessToken(request);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(second.reused).toBe(false);
      expect(await ctx.service.validateAccessToken(first.accessToken)).not.toBeNull();
      expect(await ctx.service.validateAccessToken(second.accessToken)).not.toBeNull();
    });

    if (!ctx.recoverable) {
      it('refuses to combine reuse with a mode that keeps only a digest (configuration error at construction)', async () => {
        await expectTokenStoreError(() => ctx.createService({ reuseTokens: true }), ErrorCode.Misconfiguration);
      });
      return;
    }

    const reusing = () => ctx.createService({ reuseTokens: true });

    it('returns the same token for the same client, user, user type and scope set, whatever the order and duplicates', async () => {
      const service = reusing();
      const first = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read', 'write'] });
      const second = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: 'write read read' });
      expect(first.reused).toBe(false);
      expect(second.reused).toBe(true);
      expect(second.accessToken).toBe(first.accessToken);
      expect(second.grantId).toBe(first.grantId);
      expect(second.refreshToken).toBeUndefined();
    });

    it('reports the remaining lifetime of a reused token', async () => {
      const service = reusing();
      const first = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      ctx.clock.advanceSeconds(1000);
      const second = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      expect(second.accessToken).toBe(first.accessToken);
      expect(second.expiresAt).toBe(first.expiresAt);
      expect(second.expiresIn).toBe(2600);
    });

    it('issues a different token for a different scope set', async () => {
      const service = reusing();
      const read = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read'] });
      const readWrite = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read', 'write'] });
      const none = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(new Set([read.accessToken, readWrite.accessToken, none.accessToken]).size).toBe(3);
    });

    it('gives device_ipad and device_iphone their own tokens, each reused for its device', async () => {
      const service = reusing();
      const ask = (device: string) =>
        service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read', device] });
      const ipad = await ask('device_ipad');
      const iphone = await ask('device_iphone');
      expect(iphone.accessToken).not.toBe(ipad.accessToken);
      expect((await ask('device_ipad')).accessToken).toBe(ipad.accessToken);
      expect((await ask('device_iphone')).accessToken).toBe(iphone.accessToken);
    });

    it('keeps users, user types and clients apart', async () => {
      const service = reusing();
      const other = await ctx.service.registerClient();
      const tokens = await Promise.all([
        service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' }),
        service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'bob' }),
        service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', userType: 'APPLICATION' }),
        service.issueAccessToken({ consumerKey: other.consumerKey, userId: 'alice' }),
      ]);
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(4);
    });

    it('replaces an expired reused token with a new one', async () => {
      const service = reusing();
      const first = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      ctx.clock.advance(HOUR + SECOND);
      const second = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(second.reused).toBe(false);
      expect(await service.validateAccessToken(first.accessToken)).toBeNull();
      expect(await service.validateAccessToken(second.accessToken)).not.toBeNull();
      const third = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(third.accessToken).toBe(second.accessToken);
    });

    it('replaces a revoked reused token with a new one', async () => {
      const service = reusing();
      const first = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(await service.revokeAccessToken(first.accessToken)).toBe(true);
      const second = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(second.accessToken).not.toBe(first.accessToken);
      expect((await service.inspectAccessToken(first.accessToken))?.state).toBe(TokenState.Revoked);
    });

    it('does not hand out a token issued without reuse', async () => {
      const plainToken = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      const reused = await reusing().issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(reused.accessToken).not.toBe(plainToken.accessToken);
      expect(reused.reused).toBe(false);
    });
  });
}

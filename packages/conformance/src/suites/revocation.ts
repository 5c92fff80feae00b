import { ErrorCode, TokenState, UserType } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { randomValue } from './fixtures.js';

export function revocationTests(ctx: ConformanceContext): void {
  describe('revocation', () => {
    const userToken = (userId: string, consumerKey = ctx.client.consumerKey) =>
      ctx.service.issueAccessToken({ consumerKey, userId, issueRefreshToken: true });
    const isValid = async (token: string) => (await ctx.service.validateAccessToken(token)) !== null;

    it('revokes one access token and leaves the others of the same user valid', async () => {
      const revoked = await userToken('alice');
      const kept = await userToken('alice');
      expect(await ctx.service.revokeAccessToken(revoked.accessToken)).toBe(true);
      expect(await isValid(revoked.accessToken)).toBe(false);
      expect((await ctx.service.inspectAccessToken(revoked.accessToken))?.state).toBe(TokenState.Revoked);
      expect(await isValid(kept.accessToken)).toBe(true);
      expect(await ctx.service.revokeAccessToken(revoked.accessToken)).toBe(false);
    });

    it('reports false when revoking a token it does not know', async () => {
      expect(await ctx.service.revokeAccessToken(randomValue(43))).toBe(false);
      expect(await ctx.service.revokeRefreshToken(randomValue(43))).toBe(false);
      expect(await ctx.service.revokeToken(randomValue(43))).toBe(false);
    });

    it('revokes a refresh token and, with it, the whole grant; other grants stay valid', async () => {
      const family = await userToken('alice');
      const unrelated = await userToken('alice');
      expect(await ctx.service.revokeRefreshToken(family.refreshToken!)).toBe(true);
      expect(await isValid(family.accessToken)).toBe(false);
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: family.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.Revoked,
      );
      expect(await isValid(unrelated.accessToken)).toBe(true);
      const next = await ctx.service.refreshAccessToken({ refreshToken: unrelated.refreshToken!, consumerKey: ctx.client.consumerKey });
      expect(await isValid(next.accessToken)).toBe(true);
    });

    it('revokes by RFC 7009 request, trying the hinted kind first and then the other', async () => {
      const first = await userToken('alice');
      const second = await userToken('alice');
      expect(await ctx.service.revokeToken(first.accessToken, 'refresh_token')).toBe(true);
      expect(await isValid(first.accessToken)).toBe(false);
      expect(await ctx.service.revokeToken(second.refreshToken!)).toBe(true);
      expect(await isValid(second.accessToken)).toBe(false);
    });

    it("revokes every token and code of a user, and nobody else's", async () => {
      const a1 = await userToken('alice');
      const a2 = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read'] });
      const code = await ctx.service.issueAuthorizationCode({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      const bob = await userToken('bob');
      const counts = await ctx.service.revokeTokensOfUser('alice');
      expect(counts).toEqual({ accessToken: 2, refreshToken: 1, authorizationCode: 1 });
      expect(await isValid(a1.accessToken)).toBe(false);
      expect(await isValid(a2.accessToken)).toBe(false);
      await expectTokenStoreError(
        ctx.service.redeemAuthorizationCode({ code: code.code, consumerKey: ctx.client.consumerKey }),
        ErrorCode.Revoked,
      );
      expect(await isValid(bob.accessToken)).toBe(true);
    });

    it("narrows a user's revocation to one client or one user type", async () => {
      const other = await ctx.service.registerClient();
      const here = await userToken('alice');
      const there = await userToken('alice', other.consumerKey);
      const asApplication = await ctx.service.issueAccessToken({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        userType: UserType.Application,
      });
      const counts = await ctx.service.revokeTokensOfUser('alice', {
        consumerKey: ctx.client.consumerKey,
        userType: UserType.ApplicationUser,
      });
      expect(counts.accessToken).toBe(1);
      expect(await isValid(here.accessToken)).toBe(false);
      expect(await isValid(there.accessToken)).toBe(true);
      expect(await isValid(asApplication.accessToken)).toBe(true);
    });

    it("revokes every token of a client, and no other client's", async () => {
      const other = await ctx.service.registerClient();
      const app = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      const user = await userToken('alice');
      const kept = await userToken('alice', other.consumerKey);
      const counts = await ctx.service.revokeTokensOfClient(ctx.client.consumerKey);
      expect(counts).toEqual({ accessToken: 2, refreshToken: 1, authorizationCode: 0 });
      expect(await isValid(app.accessToken)).toBe(false);
      expect(await isValid(user.accessToken)).toBe(false);
      expect(await isValid(kept.accessToken)).toBe(true);
    });

    it('revokes a grant family (code, tokens, rotated successors) and nothing else', async () => {
      const code = await ctx.service.issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const first = await ctx.service.redeemAuthorizationCode({
        code: code.code,
        consumerKey: ctx.client.consumerKey,
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const second = await ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      const unrelated = await userToken('alice');
      expect(second.grantId).toBe(code.grantId);
      const counts = await ctx.service.revokeGrant(code.grantId);
      // Both access tokens and the current refresh token were ACTIVE; the rotated refresh token and the
      // consumed code were INACTIVE, and are revoked too (isRevocable: either could still lead to a token).
      expect(counts).toEqual({ accessToken: 2, refreshToken: 2, authorizationCode: 1 });
      expect(await isValid(first.accessToken)).toBe(false);
      expect(await isValid(second.accessToken)).toBe(false);
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: second.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.Revoked,
      );
      expect(await isValid(unrelated.accessToken)).toBe(true);
    });

    it('counts only what was still revocable', async () => {
      const issued = await userToken('alice');
      expect(await ctx.service.revokeGrant(issued.grantId)).toEqual({ accessToken: 1, refreshToken: 1, authorizationCode: 0 });
      expect(await ctx.service.revokeGrant(issued.grantId)).toEqual({ accessToken: 0, refreshToken: 0, authorizationCode: 0 });
      expect(await ctx.service.revokeTokensOfUser('nobody')).toEqual({ accessToken: 0, refreshToken: 0, authorizationCode: 0 });
    });
  });
}

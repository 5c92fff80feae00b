import { ErrorCode, pkceChallenge, type SecurityEvent } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { MINUTE, randomVerifier, SECOND } from './fixtures.js';

export function authorizationCodeTests(ctx: ConformanceContext): void {
  describe('authorization codes', () => {
    const redirectUri = CLIENT_REDIRECT_URIS[0];
    const issueCode = (extra: { codeChallenge?: string; codeChallengeMethod?: 'S256' | 'plain'; nonce?: string } = {}) =>
      ctx.service.issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        redirectUri,
        scopes: ['openid', 'profile'],
        ...extra,
      });
    const redeem = (code: string, extra: { codeVerifier?: string; redirectUri?: string; consumerKey?: string } = {}) =>
      ctx.service.redeemAuthorizationCode({ code, consumerKey: ctx.client.consumerKey, redirectUri, ...extra });
    /** A store with native expiry may have let an expired row go: then the code is simply unknown. */
    const expiredCodes = () => (ctx.storeCapabilities.nativeExpiry ? [ErrorCode.Expired, ErrorCode.NotFound] : [ErrorCode.Expired]);

    it("redeems a code once for an access token and a refresh token of the code's user, scopes and grant", async () => {
      const now = ctx.clock.now();
      const code = await issueCode();
      expect(code.expiresAt).toBe(now + 5 * MINUTE);
      const tokens = await redeem(code.code);
      expect(tokens.refreshToken).toBeDefined();
      expect(tokens.grantId).toBe(code.grantId);
      expect(await ctx.service.validateAccessToken(tokens.accessToken)).toMatchObject({
        userId: 'alice',
        scopes: ['openid', 'profile'],
        grantType: 'authorization_code',
        grantId: code.grantId,
      });
    });

    it('refuses a second redemption as a replay and revokes every token issued from the code', async () => {
      const security: SecurityEvent[] = [];
      ctx.service.events.on('security', (event) => security.push(event));
      const code = await issueCode();
      const first = await redeem(code.code);
      await expectTokenStoreError(redeem(code.code), ErrorCode.Replay);
      expect(await ctx.service.validateAccessToken(first.accessToken)).toBeNull();
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.Revoked,
      );
      expect(security).toEqual([
        {
          kind: 'code-replay',
          consumerKey: ctx.client.consumerKey,
          grantId: code.grantId,
          // The consumed code itself is revoked with its grant (isRevocable), so it cannot be consumed again.
          revoked: { accessToken: 1, refreshToken: 1, authorizationCode: 1 },
        },
      ]);
      // The grant is gone for good; a third presentation is refused as revoked, with nothing left to revoke.
      await expectTokenStoreError(redeem(code.code), ErrorCode.Revoked);
    });

    it('refuses an expired code', async () => {
      const code = await issueCode();
      ctx.clock.advance(5 * MINUTE);
      await expectTokenStoreError(redeem(code.code), expiredCodes());
    });

    it('honours a code validity given with the request or by the client', async () => {
      const client = await ctx.service.registerClient({ validity: { authorizationCodeValidity: 30 }, redirectUris: [redirectUri] });
      const now = ctx.clock.now();
      const byClient = await ctx.service.issueAuthorizationCode({ consumerKey: client.consumerKey, userId: 'alice' });
      const byRequest = await ctx.service.issueAuthorizationCode({
        consumerKey: client.consumerKey,
        userId: 'alice',
        validitySeconds: 600,
      });
      expect(byClient.expiresAt).toBe(now + 30 * SECOND);
      expect(byRequest.expiresAt).toBe(now + 10 * MINUTE);
      ctx.clock.advanceSeconds(30);
      await expectTokenStoreError(
        ctx.service.redeemAuthorizationCode({ code: byClient.code, consumerKey: client.consumerKey }),
        expiredCodes(),
      );
      await ctx.service.redeemAuthorizationCode({ code: byRequest.code, consumerKey: client.consumerKey });
    });

    it('refuses a code presented by another client, without consuming it', async () => {
      const other = await ctx.service.registerClient({ redirectUris: [redirectUri] });
      const code = await issueCode();
      await expectTokenStoreError(redeem(code.code, { consumerKey: other.consumerKey }), ErrorCode.NotFound);
      await redeem(code.code);
    });

    it('requires exactly the redirect URI the code was issued for, without consuming it on a mismatch', async () => {
      const code = await issueCode();
      await expectTokenStoreError(
        ctx.service.redeemAuthorizationCode({ code: code.code, consumerKey: ctx.client.consumerKey }),
        ErrorCode.InvalidInput,
      );
      await expectTokenStoreError(redeem(code.code, { redirectUri: CLIENT_REDIRECT_URIS[1] }), ErrorCode.InvalidInput);
      await expectTokenStoreError(redeem(code.code, { redirectUri: `${redirectUri}/` }), ErrorCode.InvalidInput);
      await redeem(code.code);
    });

    it('refuses to issue a code for a redirect URI the client did not register', async () => {
      await expectTokenStoreError(
        ctx.service.issueAuthorizationCode({
          consumerKey: ctx.client.consumerKey,
          userId: 'alice',
          redirectUri: 'https://attacker.example/cb',
        }),
        ErrorCode.InvalidInput,
      );
    });

    it('checks a PKCE S256 verifier: missing or wrong is refused without consuming the code, the right one redeems', async () => {
      const verifier = randomVerifier();
      ctx.recordPlaintext('PKCE verifier', verifier);
      const code = await issueCode({ codeChallenge: pkceChallenge(verifier, 'S256'), codeChallengeMethod: 'S256' });
      await expectTokenStoreError(redeem(code.code), ErrorCode.InvalidInput);
      await expectTokenStoreError(redeem(code.code, { codeVerifier: randomVerifier() }), ErrorCode.InvalidInput);
      await expectTokenStoreError(redeem(code.code, { codeVerifier: pkceChallenge(verifier, 'S256') }), ErrorCode.InvalidInput);
      const tokens = await redeem(code.code, { codeVerifier: verifier });
      expect(await ctx.service.validateAccessToken(tokens.accessToken)).not.toBeNull();
    });

    it('checks a PKCE plain verifier (the default method when a challenge comes without one)', async () => {
      const verifier = randomVerifier();
      ctx.recordPlaintext('PKCE verifier', verifier);
      const code = await issueCode({ codeChallenge: verifier });
      await expectTokenStoreError(redeem(code.code, { codeVerifier: randomVerifier() }), ErrorCode.InvalidInput);
      await redeem(code.code, { codeVerifier: verifier });
    });

    it('returns what the code carries when consumed: user, scopes, redirect URI, PKCE fields, nonce, grant', async () => {
      const verifier = randomVerifier();
      const challenge = pkceChallenge(verifier, 'S256');
      const code = await issueCode({ codeChallenge: challenge, codeChallengeMethod: 'S256', nonce: 'n-0S6_WzA2Mj' });
      const info = await ctx.service.consumeAuthorizationCode({
        code: code.code,
        consumerKey: ctx.client.consumerKey,
        redirectUri,
        codeVerifier: verifier,
      });
      expect(info).toEqual({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        scopes: ['openid', 'profile'],
        redirectUri,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
        nonce: 'n-0S6_WzA2Mj',
        grantId: code.grantId,
        issuedAt: ctx.clock.now(),
        expiresAt: code.expiresAt,
      });
      await expectTokenStoreError(redeem(code.code, { codeVerifier: verifier }), ErrorCode.Replay);
    });

    it('refuses a revoked code', async () => {
      const code = await issueCode();
      await ctx.service.revokeGrant(code.grantId);
      await expectTokenStoreError(redeem(code.code), ErrorCode.Revoked);
    });

    it('refuses a code that was never issued', async () => {
      await expectTokenStoreError(redeem(randomVerifier()), ErrorCode.NotFound);
    });
  });
}

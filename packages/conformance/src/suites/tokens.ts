import { ErrorCode, TokenState, UserType } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { DAY, HOUR, randomValue, SECOND } from './fixtures.js';

const BASE64URL_256_BITS = /^[A-Za-z0-9_-]{43}$/;

export function tokenAndExpiryTests(ctx: ConformanceContext): void {
  describe('tokens & expiry', () => {
    it('issues an application token that validates with the client as its user', async () => {
      const now = ctx.clock.now();
      const issued = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      expect(issued.accessToken).toMatch(BASE64URL_256_BITS);
      expect(issued).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, expiresAt: now + HOUR, reused: false });
      expect(issued.refreshToken).toBeUndefined();
      const info = await ctx.service.validateAccessToken(issued.accessToken);
      expect(info).toEqual({
        consumerKey: ctx.client.consumerKey,
        userId: ctx.client.consumerKey,
        userType: UserType.Application,
        scopes: [],
        grantId: issued.grantId,
        grantType: 'client_credentials',
        issuedAt: now,
        expiresAt: now + HOUR,
        state: TokenState.Active,
      });
    });

    it('issues a user token that carries the user, the user type and the normalised scope set', async () => {
      const issued = await ctx.service.issueAccessToken({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        scopes: 'write read read',
      });
      expect(issued.scopes).toEqual(['read', 'write']);
      const info = await ctx.service.validateAccessToken(issued.accessToken);
      expect(info).toMatchObject({ userId: 'alice', userType: UserType.ApplicationUser, scopes: ['read', 'write'], grantType: 'password' });
    });

    it('returns null for a token that was never issued', async () => {
      await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      expect(await ctx.service.validateAccessToken(randomValue(43))).toBeNull();
      expect(await ctx.service.inspectAccessToken(randomValue(43))).toBeNull();
    });

    it('gives every token its own value and grant', async () => {
      const issued = [];
      for (let i = 0; i < 20; i++)
        issued.push(await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' }));
      expect(new Set(issued.map((t) => t.accessToken)).size).toBe(20);
      expect(new Set(issued.map((t) => t.grantId)).size).toBe(20);
    });

    it('keeps a token valid until the instant before its expiry, and never from then on', async () => {
      const issued = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      ctx.clock.advance(HOUR - 1);
      expect(await ctx.service.validateAccessToken(issued.accessToken)).not.toBeNull();
      ctx.clock.advance(1);
      expect(await ctx.service.validateAccessToken(issued.accessToken)).toBeNull();
      ctx.clock.advance(DAY);
      expect(await ctx.service.validateAccessToken(issued.accessToken)).toBeNull();
    });

    it('reports an expired token as EXPIRED when inspected while the store still holds it', async () => {
      const issued = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      ctx.clock.advance(HOUR);
      const info = await ctx.service.inspectAccessToken(issued.accessToken);
      // A store with native expiry may already have let the row go; it must never report it ACTIVE.
      if (info !== null || !ctx.storeCapabilities.nativeExpiry) expect(info?.state).toBe(TokenState.Expired);
    });

    it('never returns an expired token as valid, whether or not purge has run', async () => {
      const issued = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, validitySeconds: 60 });
      ctx.clock.advance(61 * SECOND);
      expect(await ctx.service.validateAccessToken(issued.accessToken)).toBeNull();
      await ctx.service.purgeExpired();
      expect(await ctx.service.validateAccessToken(issued.accessToken)).toBeNull();
      ctx.clock.advance(2 * DAY);
      await ctx.service.purgeExpired();
      expect(await ctx.service.validateAccessToken(issued.accessToken)).toBeNull();
    });

    it('treats a negative validity as "never expires"', async () => {
      const issued = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, validitySeconds: -1 });
      expect(issued.expiresAt).toBeNull();
      expect(issued.expiresIn).toBeNull();
      ctx.clock.advanceSeconds(100 * 365 * 24 * 3600);
      await ctx.service.purgeExpired();
      const info = await ctx.service.validateAccessToken(issued.accessToken);
      expect(info).toMatchObject({ expiresAt: null, state: TokenState.Active });
    });

    it('applies separate default validities to application and user tokens', async () => {
      const service = ctx.createService({ validity: { applicationAccessToken: 120, userAccessToken: 900 } });
      const now = ctx.clock.now();
      const app = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      const user = await service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(app.expiresAt).toBe(now + 120 * SECOND);
      expect(user.expiresAt).toBe(now + 900 * SECOND);
      ctx.clock.advanceSeconds(120);
      expect(await service.validateAccessToken(app.accessToken)).toBeNull();
      expect(await service.validateAccessToken(user.accessToken)).not.toBeNull();
    });

    it("applies a client's validity overrides before the service defaults", async () => {
      const client = await ctx.service.registerClient({
        validity: { applicationAccessTokenValidity: 60, userAccessTokenValidity: -1, refreshTokenValidity: 7200 },
      });
      const now = ctx.clock.now();
      const app = await ctx.service.issueAccessToken({ consumerKey: client.consumerKey });
      const user = await ctx.service.issueAccessToken({ consumerKey: client.consumerKey, userId: 'alice', issueRefreshToken: true });
      expect(app.expiresAt).toBe(now + 60 * SECOND);
      expect(user.expiresAt).toBeNull();
      expect(user.refreshTokenExpiresAt).toBe(now + 2 * HOUR);
      const defaults = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      expect(defaults.expiresAt).toBe(now + HOUR);
    });

    it('lets a validity given with the request win over the client override', async () => {
      const client = await ctx.service.registerClient({ validity: { applicationAccessTokenValidity: 60 } });
      const now = ctx.clock.now();
      const issued = await ctx.service.issueAccessToken({ consumerKey: client.consumerKey, validitySeconds: 30 });
      expect(issued.expiresAt).toBe(now + 30 * SECOND);
    });

    it('issues a refresh token with the access token when asked, valid for a day by default', async () => {
      const now = ctx.clock.now();
      const issued = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', issueRefreshToken: true });
      expect(issued.refreshToken).toMatch(BASE64URL_256_BITS);
      expect(issued.refreshToken).not.toBe(issued.accessToken);
      expect(issued.refreshTokenExpiresAt).toBe(now + DAY);
    });

    it('accepts a caller-supplied token value (e.g. a JWT) of up to 8 KiB', async () => {
      for (const length of [600, 8192]) {
        const value = randomValue(length);
        const issued = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', accessToken: value });
        expect(issued.accessToken).toBe(value);
        expect(await ctx.service.validateAccessToken(value)).toMatchObject({ userId: 'alice' });
      }
    });

    it('refuses a caller-supplied value that is already in use, leaving the first token intact', async () => {
      const value = randomValue(120);
      const first = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', accessToken: value });
      await expectTokenStoreError(
        ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'bob', accessToken: value }),
        ErrorCode.Conflict,
      );
      expect(await ctx.service.validateAccessToken(first.accessToken)).toMatchObject({ userId: 'alice' });
    });
  });
}

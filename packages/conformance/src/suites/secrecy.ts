import { ErrorCode } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { accessTokenRow, DAY, randomValue } from './fixtures.js';

/**
 * Provokes the errors and events most likely to carry a value, and ends with the sweep over
 * everything the suite recorded so far (events, error messages and causes, console output).
 */
export function secrecyTests(ctx: ConformanceContext): void {
  describe('secrecy', () => {
    it('keeps a duplicate caller-supplied token out of the conflict error', async () => {
      const value = randomValue(200);
      await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', accessToken: value });
      const error = await expectTokenStoreError(
        ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', accessToken: value }),
        ErrorCode.Conflict,
      );
      expect(`${error.message} ${String(error.cause)}`).not.toContain(value);
    });

    it('keeps lookup keys out of store errors', async () => {
      const row = accessTokenRow(ctx);
      await ctx.store.insert('accessToken', row);
      const error = await expectTokenStoreError(ctx.store.insert('accessToken', row), ErrorCode.Conflict);
      expect(`${error.message} ${String(error.cause)}`).not.toContain(row.key);
    });

    it('keeps values out of replay, reuse and purge events', async () => {
      const code = await ctx.service.issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const redeem = () =>
        ctx.service.redeemAuthorizationCode({ code: code.code, consumerKey: ctx.client.consumerKey, redirectUri: CLIENT_REDIRECT_URIS[0] });
      const tokens = await redeem();
      await expectTokenStoreError(redeem(), ErrorCode.Replay);
      const other = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', issueRefreshToken: true });
      await ctx.service.refreshAccessToken({ refreshToken: other.refreshToken!, consumerKey: ctx.client.consumerKey });
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: other.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.ReuseDetected,
      );
      ctx.clock.advance(2 * DAY);
      await ctx.service.purgeExpired();
      expect(ctx.recorder.plaintextsOfCurrentTest().has(tokens.accessToken)).toBe(true);
      expect(ctx.recorder.leaks()).toEqual([]);
    });

    it('exposed no issued plaintext in any event, error message or console output so far', () => {
      expect(ctx.recorder.plaintextCount).toBeGreaterThan(100);
      expect(ctx.recorder.exposureCount).toBeGreaterThan(100);
      expect(ctx.recorder.leaks()).toEqual([]);
    });
  });
}

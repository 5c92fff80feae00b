import { ErrorCode, isTokenStoreError, TokenState, type TokenStoreError } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { settleAll } from '../concurrency-tools.js';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { accessTokenRow, authorizationCodeRow, refreshTokenRow } from './fixtures.js';

/** The codes of the errors, failing on anything that is not a TokenStoreError. */
function codesOf(errors: unknown[]): string[] {
  for (const error of errors) if (!isTokenStoreError(error)) throw error;
  return (errors as TokenStoreError[]).map((error) => error.code);
}

export function concurrencyTests(ctx: ConformanceContext): void {
  describe('concurrency', () => {
    const callers = () => ctx.capabilities.concurrency;
    const reuseCallers = () => Math.max(2, Math.round(ctx.capabilities.concurrency / 2));

    it('lets exactly one of many concurrent redemptions of one code succeed; the others are REPLAY', async () => {
      const code = await ctx.service.issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const redeem = () =>
        ctx.service.redeemAuthorizationCode({ code: code.code, consumerKey: ctx.client.consumerKey, redirectUri: CLIENT_REDIRECT_URIS[0] });
      const { values, errors } = await settleAll(Array.from({ length: callers() }, () => redeem));
      expect(values).toHaveLength(1);
      const codes = new Set(codesOf(errors));
      if (ctx.capabilities.contention === 'decided') expect(codes).toEqual(new Set([ErrorCode.Replay]));
      else {
        // A loser whose transaction timed out under contention is not told REPLAY, and sets off no revocation.
        for (const code of codes) expect([ErrorCode.Replay, ErrorCode.Conflict, ErrorCode.BackendUnavailable]).toContain(code);
        if (!codes.has(ErrorCode.Replay)) return;
      }
      // The others were replays, so nothing issued from the code may stay valid: not even the winner's tokens.
      expect(await ctx.service.validateAccessToken(values[0]!.accessToken)).toBeNull();
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: values[0]!.refreshToken!, consumerKey: ctx.client.consumerKey }),
        ErrorCode.Revoked,
      );
    });

    it('lets exactly one of many concurrent refreshes with one refresh token succeed; the others are CONFLICT, REUSE_DETECTED or REVOKED', async () => {
      const first = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', issueRefreshToken: true });
      const refresh = () => ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      const { values, errors } = await settleAll(Array.from({ length: callers() }, () => refresh));
      expect(values).toHaveLength(1);
      // A caller that reads after another caller's reuse detection revoked the family gets REVOKED.
      for (const code of codesOf(errors)) expect([ErrorCode.Conflict, ErrorCode.ReuseDetected, ErrorCode.Revoked]).toContain(code);
    });

    if (ctx.recoverable) {
      it('hands out exactly one token to many concurrent reuse-mode requests for one key', async () => {
        const service = ctx.createService({ reuseTokens: true });
        const issue = () =>
          service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read', 'device_ipad'] });
        const { values, errors } = await settleAll(Array.from({ length: reuseCallers() }, () => issue));
        expect(errors).toEqual([]);
        expect(new Set(values.map((issued) => issued.accessToken)).size).toBe(1);
        expect(values.filter((issued) => !issued.reused)).toHaveLength(1);
      });
    } else {
      it('hands every one of many concurrent requests its own token when reuse is impossible', async () => {
        const issue = () => ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read'] });
        const { values, errors } = await settleAll(Array.from({ length: reuseCallers() }, () => issue));
        expect(errors).toEqual([]);
        expect(new Set(values.map((issued) => issued.accessToken)).size).toBe(reuseCallers());
      });
    }

    it('store: lets exactly one of many concurrent compareAndSetState calls on one code win', async () => {
      const row = authorizationCodeRow(ctx);
      await ctx.store.insert('authorizationCode', row);
      const at = ctx.clock.now();
      const results = await Promise.all(
        Array.from({ length: callers() }, () =>
          ctx.store.compareAndSetState('authorizationCode', row.key, { from: TokenState.Active, to: TokenState.Inactive, at }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await ctx.store.get('authorizationCode', row.key))?.state).toBe(TokenState.Inactive);
    });

    it('store: lets exactly one of many concurrent exclusive inserts for one reuse key in, returning the winner to the others', async () => {
      const template = accessTokenRow(ctx, { exclusive: true });
      const rows = Array.from({ length: reuseCallers() }, () => accessTokenRow(ctx, { exclusive: true, reuseKey: template.reuseKey }));
      const results = await Promise.all(rows.map((row) => ctx.store.insert('accessToken', row)));
      const winners = results.filter((result) => result.inserted);
      expect(winners).toHaveLength(1);
      const winner = rows[results.findIndex((result) => result.inserted)]!;
      for (const result of results) if (!result.inserted) expect(result.active.key).toBe(winner.key);
      expect((await ctx.store.findActiveAccessToken(template.reuseKey))?.key).toBe(winner.key);
    });

    it('store: lets exactly one of many concurrent rotations of one refresh token win', async () => {
      const row = refreshTokenRow(ctx);
      await ctx.store.insert('refreshToken', row);
      const at = ctx.clock.now();
      const rotations = Array.from({ length: callers() }, () => ({
        key: row.key,
        expected: { state: 'ACTIVE' as const, reuseCount: 0 },
        at,
        successor: {
          refreshToken: refreshTokenRow(ctx, { grantId: row.grantId }),
          accessToken: accessTokenRow(ctx, { grantId: row.grantId }),
        },
      }));
      const results = await Promise.all(rotations.map((rotation) => ctx.store.rotateRefreshToken(rotation)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const won = rotations[results.indexOf(true)]!;
      expect(await ctx.store.get('refreshToken', row.key)).toMatchObject({ state: TokenState.Inactive, rotatedAt: at, stateChangedAt: at });
      expect(await ctx.store.get('refreshToken', won.successor.refreshToken.key)).toMatchObject({ state: TokenState.Active });
      expect(await ctx.store.get('accessToken', won.successor.accessToken.key)).toMatchObject({ state: TokenState.Active });
      for (const lost of rotations) {
        if (lost === won) continue;
        expect(await ctx.store.get('refreshToken', lost.successor.refreshToken.key)).toBeNull();
        expect(await ctx.store.get('accessToken', lost.successor.accessToken.key)).toBeNull();
      }
    });
  });
}

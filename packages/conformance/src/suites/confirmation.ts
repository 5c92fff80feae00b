import { randomBytes } from 'node:crypto';
import { type Confirmation, ErrorCode, RewrapJob, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { CLIENT_REDIRECT_URIS } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { accessTokenRow, refreshTokenRow, scanAllRows } from '../rows.js';
import { migration } from './interleavings/migration.js';

/** A thumbprint as RFC 9449 / RFC 8705 make them: base64url of 32 bytes (here random: only equality matters). */
function thumbprint(): string {
  return randomBytes(32).toString('base64url');
}

const dpop = (): Confirmation => ({ jkt: thumbprint() });
const mtls = (): Confirmation => ({ 'x5t#S256': thumbprint() });

/**
 * Sender-constrained tokens (RFC 9449 DPoP, RFC 8705 mTLS): the confirmation claim is stored with
 * access and refresh tokens, returned by validation, kept through rotation and rewrap, and a bound
 * refresh token is usable only by whoever proves its key.
 */
export function confirmationTests(ctx: ConformanceContext): void {
  describe('sender-constrained tokens (cnf)', () => {
    const consumerKey = () => ctx.client.consumerKey;
    const issueBound = (confirmation: Confirmation, bindRefreshToken = true) =>
      ctx.service.issueAccessToken({
        consumerKey: consumerKey(),
        userId: 'alice',
        scopes: ['read'],
        issueRefreshToken: true,
        confirmation,
        bindRefreshToken,
      });

    it('stores a DPoP key thumbprint with the access token, returns it from validation and issues token type DPoP', async () => {
      const cnf = dpop();
      const issued = await issueBound(cnf);
      expect(issued.tokenType).toBe('DPoP');
      expect(issued.confirmation).toEqual(cnf);
      expect((await ctx.service.validateAccessToken(issued.accessToken))?.confirmation).toEqual(cnf);
      expect((await ctx.service.inspectAccessToken(issued.accessToken))?.confirmation).toEqual(cnf);
      expect((await ctx.service.inspectRefreshToken(issued.refreshToken!))?.confirmation).toEqual(cnf);
    });

    it('stores a certificate thumbprint (mTLS) as a Bearer token with x5t#S256', async () => {
      const cnf = mtls();
      const issued = await issueBound(cnf, false);
      expect(issued.tokenType).toBe('Bearer');
      expect((await ctx.service.validateAccessToken(issued.accessToken))?.confirmation).toEqual(cnf);
      // Not asked to bind the refresh token (a confidential client): it stays unbound.
      expect((await ctx.service.inspectRefreshToken(issued.refreshToken!))?.confirmation).toBeUndefined();
    });

    it('leaves bearer tokens without a confirmation', async () => {
      const issued = await ctx.service.issueAccessToken({ consumerKey: consumerKey(), scopes: ['read'] });
      expect(issued.tokenType).toBe('Bearer');
      expect(issued.confirmation).toBeUndefined();
      expect((await ctx.service.validateAccessToken(issued.accessToken))?.confirmation).toBeUndefined();
    });

    it('rotates a bound refresh token only for the same key, and both successors keep the binding', async () => {
      const cnf = dpop();
      const first = await issueBound(cnf);
      const second = await ctx.service.refreshAccessToken({
        refreshToken: first.refreshToken!,
        consumerKey: consumerKey(),
        confirmation: cnf,
      });
      expect(second.tokenType).toBe('DPoP');
      expect((await ctx.service.validateAccessToken(second.accessToken))?.confirmation).toEqual(cnf);
      expect((await ctx.service.inspectRefreshToken(second.refreshToken!))?.confirmation).toEqual(cnf);
      const third = await ctx.service.refreshAccessToken({
        refreshToken: second.refreshToken!,
        consumerKey: consumerKey(),
        confirmation: cnf,
      });
      expect((await ctx.service.validateAccessToken(third.accessToken))?.confirmation).toEqual(cnf);
    });

    it('refuses a bound refresh token without its key or with another one (CONFIRMATION_MISMATCH), changing nothing', async () => {
      const cnf = dpop();
      const first = await issueBound(cnf);
      for (const confirmation of [undefined, dpop(), mtls()])
        await expectTokenStoreError(
          ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: consumerKey(), confirmation }),
          ErrorCode.ConfirmationMismatch,
        );
      expect((await ctx.service.inspectRefreshToken(first.refreshToken!))?.state).toBe(TokenState.Active);
      expect(await ctx.service.validateAccessToken(first.accessToken)).not.toBeNull();
      const rotated = await ctx.service.refreshAccessToken({
        refreshToken: first.refreshToken!,
        consumerKey: consumerKey(),
        confirmation: cnf,
      });
      expect(await ctx.service.validateAccessToken(rotated.accessToken)).not.toBeNull();
    });

    it('does not let a presenter without the key trigger reuse detection with a rotated bound refresh token', async () => {
      const cnf = dpop();
      const first = await issueBound(cnf);
      const second = await ctx.service.refreshAccessToken({
        refreshToken: first.refreshToken!,
        consumerKey: consumerKey(),
        confirmation: cnf,
      });
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: consumerKey() }),
        ErrorCode.ConfirmationMismatch,
      );
      expect(await ctx.service.validateAccessToken(second.accessToken)).not.toBeNull();
      // The holder of the key presenting it again is reuse, as for any refresh token.
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: consumerKey(), confirmation: cnf }),
        ErrorCode.ReuseDetected,
      );
      expect(await ctx.service.validateAccessToken(second.accessToken)).toBeNull();
    });

    it('lets an unauthenticated (public) client rotate only a sender-constrained refresh token', async () => {
      const unbound = await issueBound(dpop(), false);
      await expectTokenStoreError(
        ctx.service.refreshAccessToken({
          refreshToken: unbound.refreshToken!,
          consumerKey: consumerKey(),
          publicClient: true,
          confirmation: dpop(),
        }),
        ErrorCode.InvalidClient,
      );
      expect((await ctx.service.inspectRefreshToken(unbound.refreshToken!))?.state).toBe(TokenState.Active);
      const cnf = dpop();
      const bound = await issueBound(cnf);
      const rotated = await ctx.service.refreshAccessToken({
        refreshToken: bound.refreshToken!,
        consumerKey: consumerKey(),
        publicClient: true,
        confirmation: cnf,
      });
      expect((await ctx.service.inspectRefreshToken(rotated.refreshToken!))?.confirmation).toEqual(cnf);
    });

    it('binds the new access token of an unbound refresh token to what the refresh request proved', async () => {
      const first = await issueBound(dpop(), false);
      const cnf = dpop();
      const second = await ctx.service.refreshAccessToken({
        refreshToken: first.refreshToken!,
        consumerKey: consumerKey(),
        confirmation: cnf,
      });
      expect((await ctx.service.validateAccessToken(second.accessToken))?.confirmation).toEqual(cnf);
      expect((await ctx.service.inspectRefreshToken(second.refreshToken!))?.confirmation).toBeUndefined();
    });

    it('binds the tokens of a redeemed authorization code', async () => {
      const cnf = dpop();
      const code = await ctx.service.issueAuthorizationCode({
        consumerKey: consumerKey(),
        userId: 'alice',
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const tokens = await ctx.service.redeemAuthorizationCode({
        code: code.code,
        consumerKey: consumerKey(),
        redirectUri: CLIENT_REDIRECT_URIS[0],
        confirmation: cnf,
        bindRefreshToken: true,
      });
      expect(tokens.tokenType).toBe('DPoP');
      expect((await ctx.service.validateAccessToken(tokens.accessToken))?.confirmation).toEqual(cnf);
      expect((await ctx.service.inspectRefreshToken(tokens.refreshToken!))?.confirmation).toEqual(cnf);
    });

    // Reuse needs recoverable values (plain, encrypt); with a digest only every request gets a new token anyway.
    if (ctx.recoverable)
      it('never hands a reused token to a request proving another key, or none', async () => {
        const service = ctx.createService({ reuseTokens: true });
        const cnf = dpop();
        const request = { consumerKey: consumerKey(), userId: 'bob', scopes: ['read'] };
        const bound = await service.issueAccessToken({ ...request, confirmation: cnf });
        const again = await service.issueAccessToken({ ...request, confirmation: cnf });
        expect(again).toMatchObject({ reused: true, accessToken: bound.accessToken, tokenType: 'DPoP' });
        const other = await service.issueAccessToken({ ...request, confirmation: dpop() });
        const bearer = await service.issueAccessToken(request);
        expect(new Set([bound.accessToken, other.accessToken, bearer.accessToken]).size).toBe(3);
        expect((await service.validateAccessToken(bearer.accessToken))?.confirmation).toBeUndefined();
      });

    it('refuses a malformed confirmation without writing anything', async () => {
      const before = (await scanAllRows(ctx.store)).length;
      for (const confirmation of [{ jkt: 'short' }, { jwk: thumbprint() }, {}, 'jkt', { jkt: `${thumbprint()}=` }])
        await expectTokenStoreError(
          ctx.service.issueAccessToken({ consumerKey: consumerKey(), confirmation: confirmation as Confirmation }),
          ErrorCode.InvalidInput,
        );
      await expectTokenStoreError(
        ctx.service.issueAccessToken({ consumerKey: consumerKey(), confirmation: dpop(), bindRefreshToken: 'yes' as unknown as boolean }),
        ErrorCode.InvalidInput,
      );
      expect((await scanAllRows(ctx.store)).length).toBe(before);
    });

    it('keeps the confirmation of rows a rewrap moves to a new lookup key', async () => {
      const { legacy, current } = migration(ctx);
      const cnf = dpop();
      const issued = await ctx.createServiceOver({ protector: legacy }).issueAccessToken({
        consumerKey: consumerKey(),
        userId: 'alice',
        scopes: ['read'],
        issueRefreshToken: true,
        confirmation: cnf,
        bindRefreshToken: true,
      });
      const summary = await new RewrapJob({ store: ctx.store, protector: current }, { kinds: ['accessToken', 'refreshToken'] }).run();
      expect(summary.completed).toBe(true);
      expect(summary.counts.accessToken.converted + summary.counts.refreshToken.converted).toBe(2);
      const after = ctx.createServiceOver({ protector: ctx.protector });
      expect((await after.validateAccessToken(issued.accessToken))?.confirmation).toEqual(cnf);
      expect((await after.inspectRefreshToken(issued.refreshToken!))?.confirmation).toEqual(cnf);
      const rotated = await after.refreshAccessToken({ refreshToken: issued.refreshToken!, consumerKey: consumerKey(), confirmation: cnf });
      expect((await after.validateAccessToken(rotated.accessToken))?.confirmation).toEqual(cnf);
    });

    describe('store primitives', () => {
      it('return the confirmation of inserted access and refresh tokens, through state changes and re-keying', async () => {
        const now = ctx.clock.now();
        const access = accessTokenRow(now, { consumerKey: consumerKey(), confirmation: dpop() });
        const refresh = refreshTokenRow(now, { consumerKey: consumerKey(), confirmation: mtls() });
        await ctx.store.insert('accessToken', access);
        await ctx.store.insert('refreshToken', refresh);
        expect((await ctx.store.get('accessToken', access.key))?.confirmation).toEqual(access.confirmation);
        expect((await ctx.store.get('refreshToken', refresh.key))?.confirmation).toEqual(refresh.confirmation);
        expect(
          await ctx.store.compareAndSetState('accessToken', access.key, { from: TokenState.Active, to: TokenState.Revoked, at: now + 1 }),
        ).toBe(true);
        expect(await ctx.store.get('accessToken', access.key)).toMatchObject({
          state: TokenState.Revoked,
          confirmation: access.confirmation,
        });
        const moved = `${refresh.key}-moved`;
        expect(await ctx.store.replaceKey('refreshToken', refresh.key, { ...refresh, key: moved, value: moved })).toBe(true);
        expect((await ctx.store.get('refreshToken', moved))?.confirmation).toEqual(refresh.confirmation);
        const scanned = (await scanAllRows(ctx.store)).filter((row) => 'confirmation' in row && row.confirmation !== undefined);
        expect(scanned).toHaveLength(2);
      });

      it('write both successors of a rotation with their confirmation', async () => {
        const now = ctx.clock.now();
        const cnf = dpop();
        const refresh = refreshTokenRow(now, { consumerKey: consumerKey(), confirmation: cnf });
        await ctx.store.insert('refreshToken', refresh);
        const successor = {
          refreshToken: refreshTokenRow(now, { consumerKey: consumerKey(), grantId: refresh.grantId, confirmation: cnf }),
          accessToken: accessTokenRow(now, { consumerKey: consumerKey(), grantId: refresh.grantId, confirmation: cnf }),
        };
        expect(
          await ctx.store.rotateRefreshToken({ key: refresh.key, expected: { state: 'ACTIVE', reuseCount: 0 }, at: now, successor }),
        ).toBe(true);
        expect(await ctx.store.get('refreshToken', refresh.key)).toMatchObject({ state: TokenState.Inactive, confirmation: cnf });
        expect((await ctx.store.get('refreshToken', successor.refreshToken.key))?.confirmation).toEqual(cnf);
        expect((await ctx.store.get('accessToken', successor.accessToken.key))?.confirmation).toEqual(cnf);
      });
    });
  });
}

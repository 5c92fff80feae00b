import { type TokenKind, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../../context.js';
import { holdingBefore } from '../../interleaving-controls.js';
import { scanAllRows } from '../../rows.js';
import { migration } from './migration.js';

/**
 * Operations that overlap the rewrap job moving a row to its new lookup key (`replaceKey`): the row
 * is the same token before and after, so what was decided about it must hold under either key.
 */
export function rewrapRaceTests(ctx: ConformanceContext): void {
  describe('an operation overlapping the rewrap of its row', () => {
    /** Moves the row of `value` from its legacy key to the mode's key, as the rewrap job does. */
    const rewrap = async (kind: TokenKind, value: string, legacyKey: string) => {
      const row = await ctx.store.get(kind, legacyKey);
      expect(row, 'the row under its legacy key').not.toBeNull();
      expect(await ctx.store.replaceKey(kind, legacyKey, { ...row!, ...ctx.protector.protect(value) })).toBe(true);
    };

    it('revokes an access token whose row the rewrap moves between the lookup and the state change', async () => {
      const { legacy, current } = migration(ctx);
      const issued = await ctx
        .createServiceOver({ protector: legacy })
        .issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', scopes: ['read'] });
      const { store, held } = holdingBefore(ctx.store, 'compareAndSetState');
      const revocation = ctx.createServiceOver({ store, protector: current }).revokeToken(issued.accessToken, 'access_token');
      await held.reached;
      await rewrap('accessToken', issued.accessToken, legacy.lookupKeys(issued.accessToken)[0]!);
      held.release();
      expect(await revocation, 'revokeToken reports the token as revoked').toBe(true);
      expect(await ctx.createServiceOver({ protector: current }).validateAccessToken(issued.accessToken)).toBeNull();
    });

    it('redeems a code whose row the rewrap moves before it is consumed: one redemption, not a replay', async () => {
      const { legacy, current } = migration(ctx);
      const code = await ctx.createServiceOver({ protector: legacy }).issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const { store, held } = holdingBefore(ctx.store, 'compareAndSetState');
      const redemption = ctx
        .createServiceOver({ store, protector: current })
        .redeemAuthorizationCode({ code: code.code, consumerKey: ctx.client.consumerKey, redirectUri: CLIENT_REDIRECT_URIS[0] });
      await held.reached;
      await rewrap('authorizationCode', code.code, legacy.lookupKeys(code.code)[0]!);
      held.release();
      const tokens = await redemption;
      expect(await ctx.createServiceOver({ protector: current }).validateAccessToken(tokens.accessToken)).not.toBeNull();
    });

    if (ctx.options.interleavings?.holdRevocationRead) {
      it('revokes a token of the user whose row the rewrap moves after the revocation read its lookup entries', async () => {
        const controls = ctx.options.interleavings!;
        const { legacy, current } = migration(ctx);
        const issued = await ctx
          .createServiceOver({ protector: legacy })
          .issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'moved-user', scopes: ['read'] });
        const held = controls.holdRevocationRead!(ctx.store);
        const revocation = ctx.createServiceOver({ protector: current }).revokeTokensOfUser('moved-user');
        await held.reached;
        await rewrap('accessToken', issued.accessToken, legacy.lookupKeys(issued.accessToken)[0]!);
        held.release();
        await revocation;
        expect(await ctx.createServiceOver({ protector: current }).validateAccessToken(issued.accessToken)).toBeNull();
        const active = (await scanAllRows(ctx.store)).filter((row) => row.userId === 'moved-user' && row.state === TokenState.Active);
        expect(active.map((row) => row.kind)).toEqual([]);
      });
    }
  });
}

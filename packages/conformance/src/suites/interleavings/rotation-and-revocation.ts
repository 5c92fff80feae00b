import { ErrorCode, type IssuedTokens, isTokenStoreError, type TokenService, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../../context.js';
import { CLIENT_REDIRECT_URIS } from '../../context.js';
import { type HeldStep, holdingBefore } from '../../interleaving-controls.js';
import { scanAllRows } from '../../rows.js';

/** How long a test waits for a revocation to block on the held rotation's lock before releasing it. */
const LOCK_WAIT_TIMEOUT_MS = 5_000;

const explained = new Set<string>();

/** A grant as an attacker and its victim share it: started from a code, rotated once (R1 → R2). */
type Outcome = { tokens?: IssuedTokens; error?: unknown };

interface Family {
  code: string;
  grantId: string;
  userId: string;
  /** R1, already rotated: presenting it again is reuse. */
  first: IssuedTokens;
  /** R2, the current refresh token, which the attacker rotates next. */
  current: IssuedTokens;
}

/** The operations that must leave no token of the family ACTIVE once they return. */
const REVOKERS: ReadonlyArray<{ name: string; expected?: ErrorCode; run(ctx: ConformanceContext, family: Family): Promise<unknown> }> = [
  { name: 'revokeGrant', run: (ctx, f) => ctx.service.revokeGrant(f.grantId) },
  {
    name: 'reuse of the rotated refresh token R1 (reuse detection)',
    expected: ErrorCode.ReuseDetected,
    run: (ctx, f) => ctx.service.refreshAccessToken({ refreshToken: f.first.refreshToken!, consumerKey: ctx.client.consumerKey }),
  },
  {
    name: 'revocation of the refresh token R1 (RFC 7009: its grant goes too)',
    run: (ctx, f) => ctx.service.revokeToken(f.first.refreshToken!, 'refresh_token'),
  },
  {
    name: 'a replay of the code that started the grant',
    expected: ErrorCode.Replay,
    run: (ctx, f) =>
      ctx.service.redeemAuthorizationCode({ code: f.code, consumerKey: ctx.client.consumerKey, redirectUri: CLIENT_REDIRECT_URIS[0] }),
  },
  { name: 'revokeTokensOfUser', run: (ctx, f) => ctx.service.revokeTokensOfUser(f.userId) },
  { name: 'revokeTokensOfClient', run: (ctx) => ctx.service.revokeTokensOfClient(ctx.client.consumerKey) },
];

/**
 * A revocation that overlaps a rotation of the same grant (DESIGN.md, "Guarantees under
 * interleaving"): once the revocation returns, no token of the grant is ACTIVE, whichever of the two
 * the backend let finish first, and no later rotation can mint one. Each race is forced by holding
 * the rotation at a point between its steps, never by timing.
 */
export function rotationAndRevocationTests(ctx: ConformanceContext): void {
  if (!ctx.options.interleavings && !explained.has(ctx.options.name)) {
    explained.add(ctx.options.name);
    console.log(
      `[conformance] ${ctx.options.name}: the interleavings topic holds operations between store calls only — the backend gives no controls to pause inside a primitive (each runs in one synchronous step)`,
    );
  }
  describe('a revocation overlapping a rotation of the same grant', () => {
    let users = 0;
    const startFamily = async (service: TokenService): Promise<Family> => {
      const userId = `interleaved-user-${++users}`;
      const issued = await service.issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId,
        scopes: ['read'],
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const first = await service.redeemAuthorizationCode({
        code: issued.code,
        consumerKey: ctx.client.consumerKey,
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const current = await service.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey });
      return { code: issued.code, grantId: issued.grantId, userId, first, current };
    };

    /** Runs the revoker while the rotation R2 → R3 is held, then releases the rotation. */
    const race = async (family: Family, rotation: Promise<IssuedTokens>, held: HeldStep, revoker: (typeof REVOKERS)[number]) => {
      const outcome = rotation.then(
        (tokens): Outcome => ({ tokens }),
        (error: unknown): Outcome => ({ error }),
      );
      await held.reached;
      const revocation = revoker.run(ctx, family).then(
        () => undefined,
        (error: unknown) => error,
      );
      // A backend with row locks makes the revocation wait for the held rotation; release it then.
      const settledFirst = await Promise.race([revocation.then(() => 'settled' as const), waitForLockWaiter()]);
      held.release();
      const revocationError = await revocation;
      if (revoker.expected === undefined) expect(revocationError).toBeUndefined();
      else expect(isTokenStoreError(revocationError, revoker.expected), `${String(revocationError)}`).toBe(true);
      return { rotated: await outcome, settledFirst };
    };

    const waitForLockWaiter = async (): Promise<'lock-wait' | 'no-lock-wait'> => {
      const controls = ctx.options.interleavings;
      if (!controls?.waitForLockWaiter) return new Promise(() => undefined); // the revocation settles first
      return (await controls.waitForLockWaiter(ctx.store, LOCK_WAIT_TIMEOUT_MS)) ? 'lock-wait' : 'no-lock-wait';
    };

    const expectFamilyRevoked = async (family: Family, rotated: Outcome) => {
      if (rotated.tokens) {
        expect(await ctx.service.validateAccessToken(rotated.tokens.accessToken), 'the access token the rotation minted').toBeNull();
        await expect(
          ctx.service.refreshAccessToken({ refreshToken: rotated.tokens.refreshToken!, consumerKey: ctx.client.consumerKey }),
          'the refresh token the rotation minted',
        ).rejects.toSatisfy((error) => isTokenStoreError(error));
      } else {
        expect(isTokenStoreError(rotated.error), `the rotation failed with an untyped error: ${String(rotated.error)}`).toBe(true);
      }
      for (const tokens of [family.first, family.current]) expect(await ctx.service.validateAccessToken(tokens.accessToken)).toBeNull();
      const active = (await scanAllRows(ctx.store)).filter((row) => row.grantId === family.grantId && row.state === TokenState.Active);
      expect(
        active.map((row) => row.kind),
        'ACTIVE rows left in the revoked grant',
      ).toEqual([]);
    };

    for (const revoker of REVOKERS) {
      it(`${revoker.name}, with the rotation held before its store step: the rotation fails, nothing of the grant stays ACTIVE`, async () => {
        const family = await startFamily(ctx.service);
        const { store, held } = holdingBefore(ctx.store, 'rotateRefreshToken');
        const attacker = ctx.createServiceOver({ store });
        const rotation = attacker.refreshAccessToken({ refreshToken: family.current.refreshToken!, consumerKey: ctx.client.consumerKey });
        const { rotated } = await race(family, rotation, held, revoker);
        expect(rotated.tokens, 'a rotation of a refresh token revoked before its step').toBeUndefined();
        await expectFamilyRevoked(family, rotated);
      });

      if (!ctx.options.interleavings) continue;
      it(`${revoker.name}, with the rotation held inside its store step (decided, not complete): nothing of the grant stays ACTIVE`, async () => {
        const controls = ctx.options.interleavings!;
        const family = await startFamily(ctx.service);
        const held = controls.holdRotation(ctx.store);
        const rotation = ctx.service.refreshAccessToken({
          refreshToken: family.current.refreshToken!,
          consumerKey: ctx.client.consumerKey,
        });
        const { rotated } = await race(family, rotation, held, revoker);
        await expectFamilyRevoked(family, rotated);
      });
    }

    it('a code redemption held between writing its tokens and consuming the code, overlapping revokeTokensOfUser, leaves nothing ACTIVE', async () => {
      const userId = `interleaved-user-${++users}`;
      const issued = await ctx.service.issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId,
        scopes: ['read'],
        redirectUri: CLIENT_REDIRECT_URIS[0],
      });
      const { store, held } = holdingBefore(ctx.store, 'compareAndSetState');
      const redeemer = ctx.createServiceOver({ store });
      const redemption = redeemer
        .redeemAuthorizationCode({ code: issued.code, consumerKey: ctx.client.consumerKey, redirectUri: CLIENT_REDIRECT_URIS[0] })
        .then(
          (tokens): Outcome => ({ tokens }),
          (error: unknown): Outcome => ({ error }),
        );
      await held.reached;
      await ctx.service.revokeTokensOfUser(userId);
      held.release();
      const redeemed = await redemption;
      expect(redeemed.tokens, 'a redemption of a code revoked before it was consumed').toBeUndefined();
      expect(isTokenStoreError(redeemed.error), String(redeemed.error)).toBe(true);
      const active = (await scanAllRows(ctx.store)).filter((row) => row.grantId === issued.grantId && row.state === TokenState.Active);
      expect(
        active.map((row) => row.kind),
        'ACTIVE rows left in the revoked grant',
      ).toEqual([]);
    });
  });
}

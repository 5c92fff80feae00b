import { ErrorCode, type KindCounts, type TokenService } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { HOUR, MINUTE } from './fixtures.js';

interface RetentionCase {
  name: string;
  retention: { inactiveSeconds: number; expiredSeconds: number };
}

/**
 * Retentions under which a row that left ACTIVE has two different deadlines, in both orders, plus the
 * service defaults. Every case stays within SUITE_RETENTION, which stores with a native TTL keep.
 */
const CASES: readonly RetentionCase[] = [
  { name: 'the inactive deadline is the later one', retention: { inactiveSeconds: 3600, expiredSeconds: 600 } },
  { name: 'the expired deadline is the later one', retention: { inactiveSeconds: 600, expiredSeconds: 3600 } },
  { name: 'the default retention (expired 0 s, inactive 1 day)', retention: { inactiveSeconds: 86_400, expiredSeconds: 0 } },
];

/** The last moment a row is kept: `max(expiresAt + expiredSeconds, stateChangedAt + inactiveSeconds)`. */
function keptUntil(c: RetentionCase, expiresAt: number, stateChangedAt: number): number {
  return Math.max(expiresAt + c.retention.expiredSeconds * 1000, stateChangedAt + c.retention.inactiveSeconds * 1000);
}

/** The deadline a purge by one window alone would apply: the earlier of the two. */
function earlierDeadline(c: RetentionCase, expiresAt: number, stateChangedAt: number): number {
  return Math.min(expiresAt + c.retention.expiredSeconds * 1000, stateChangedAt + c.retention.inactiveSeconds * 1000);
}

/**
 * DESIGN, Purge: a row that is no longer ACTIVE is kept until both retention windows have passed, so a
 * replayed code or a reused refresh token is still recognised (and still revokes its grant) after it
 * expired, whether or not a purge ran meanwhile.
 */
export function retentionTests(ctx: ConformanceContext): void {
  describe('retention of rows that are no longer ACTIVE', () => {
    const expectRemoved = (actual: KindCounts, expected: KindCounts) => {
      if (ctx.exactPurgeCounts) expect(actual).toEqual(expected);
      else for (const kind of Object.keys(expected) as Array<keyof KindCounts>) expect(actual[kind]).toBeLessThanOrEqual(expected[kind]);
    };
    const none = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
    /** Moves the clock to `at` (never backwards) and purges with `service`. */
    const purgeAt = async (service: TokenService, at: number) => {
      ctx.clock.set(Math.max(at, ctx.clock.now()));
      return (await service.purgeExpired()).removed;
    };

    describe.each(CASES)('when $name', (c) => {
      // Refresh tokens outlive every deadline of the tests; tokens issued beside them never expire, so
      // only the row under test is due at its deadline.
      const service = () => ctx.createService({ retention: c.retention, validity: { refreshToken: 3 * 86_400 } });

      it('keeps a consumed code past its expiry and a purge: its replay is still a REPLAY that revokes what it issued', async () => {
        const svc = service();
        const start = ctx.clock.now();
        const code = await svc.issueAuthorizationCode({
          consumerKey: ctx.client.consumerKey,
          userId: 'alice',
          redirectUri: CLIENT_REDIRECT_URIS[0],
          validitySeconds: 300,
        });
        const redeem = () =>
          svc.redeemAuthorizationCode({
            code: code.code,
            consumerKey: ctx.client.consumerKey,
            redirectUri: CLIENT_REDIRECT_URIS[0],
            validitySeconds: -1,
          });
        const issued = await redeem();
        const deadline = keptUntil(c, code.expiresAt!, start);
        // Past the earlier of the two deadlines (where a purge by either window alone would delete the code).
        const replayAt = deadline - MINUTE;
        expect(replayAt).toBeGreaterThan(earlierDeadline(c, code.expiresAt!, start));
        expectRemoved(await purgeAt(svc, replayAt), none);
        expect((await svc.inspectAuthorizationCode(code.code))?.state).toBe('INACTIVE');

        await expectTokenStoreError(redeem(), ErrorCode.Replay);
        expect(await svc.validateAccessToken(issued.accessToken)).toBeNull();
        await expectTokenStoreError(
          svc.refreshAccessToken({ refreshToken: issued.refreshToken!, consumerKey: ctx.client.consumerKey }),
          ErrorCode.Revoked,
        );

        // The replay revoked the grant, the consumed code with it (a revocation moves consumed codes to
        // REVOKED), so the code's inactive retention now runs from the replay.
        expect((await svc.inspectAuthorizationCode(code.code))?.state).toBe('REVOKED');
        const revokedDeadline = keptUntil(c, code.expiresAt!, replayAt);
        expectRemoved(await purgeAt(svc, revokedDeadline - 1), none);
        expect(await svc.inspectAuthorizationCode(code.code)).not.toBeNull();
        // The tokens the replay revoked never expire: they are kept as long as their inactive retention,
        // which runs from the same instant; the code goes at its own deadline, or with them.
        const removed = await purgeAt(svc, revokedDeadline);
        expect(removed.authorizationCode).toBe(1);
        expect(await svc.inspectAuthorizationCode(code.code)).toBeNull();
      });

      it('keeps a rotated refresh token past its expiry and a purge: its reuse is still REUSE_DETECTED and revokes the family', async () => {
        const svc = service();
        const start = ctx.clock.now();
        const first = await svc.issueAccessToken({
          consumerKey: ctx.client.consumerKey,
          userId: 'alice',
          validitySeconds: -1,
          issueRefreshToken: true,
          refreshTokenValiditySeconds: 900,
        });
        const rotated = await svc.refreshAccessToken({
          refreshToken: first.refreshToken!,
          consumerKey: ctx.client.consumerKey,
          validitySeconds: -1,
        });
        const expiresAt = first.refreshTokenExpiresAt!;
        const deadline = keptUntil(c, expiresAt, start);
        const reuseAt = deadline - MINUTE;
        expect(reuseAt).toBeGreaterThan(earlierDeadline(c, expiresAt, start));
        expectRemoved(await purgeAt(svc, reuseAt), none);
        expect((await svc.inspectRefreshToken(first.refreshToken!))?.state).toBe('INACTIVE');

        await expectTokenStoreError(
          svc.refreshAccessToken({ refreshToken: first.refreshToken!, consumerKey: ctx.client.consumerKey }),
          ErrorCode.ReuseDetected,
        );
        expect(await svc.validateAccessToken(rotated.accessToken)).toBeNull();
        expect((await svc.inspectRefreshToken(rotated.refreshToken!))?.state).toBe('REVOKED');

        // The family revocation revoked the rotated token too: its inactive retention starts again.
        expect((await svc.inspectRefreshToken(first.refreshToken!))?.state).toBe('REVOKED');
        const revokedDeadline = keptUntil(c, expiresAt, reuseAt);
        expectRemoved(await purgeAt(svc, revokedDeadline - 1), none);
        expect(await svc.inspectRefreshToken(first.refreshToken!)).not.toBeNull();
        // With it go both access tokens the revocation touched (they never expire); the successor refresh token stays.
        expectRemoved(await purgeAt(svc, revokedDeadline), { ...none, accessToken: 2, refreshToken: 1 });
        expect(await svc.inspectRefreshToken(first.refreshToken!)).toBeNull();
        expect(await svc.inspectRefreshToken(rotated.refreshToken!)).not.toBeNull();
      });

      it('keeps a revoked access token until both retention windows have passed, and not longer', async () => {
        const svc = service();
        const token = await svc.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice', validitySeconds: 900 });
        ctx.clock.advance(MINUTE);
        const revokedAt = ctx.clock.now();
        expect(await svc.revokeAccessToken(token.accessToken)).toBe(true);
        const deadline = keptUntil(c, token.expiresAt!, revokedAt);
        expectRemoved(await purgeAt(svc, deadline - 1), none);
        expect((await svc.inspectAccessToken(token.accessToken))?.state).toBe('REVOKED');
        expectRemoved(await purgeAt(svc, deadline), { ...none, accessToken: 1 });
        expect(await svc.inspectAccessToken(token.accessToken)).toBeNull();
      });

      it('purges an ACTIVE row once its expiry plus the expired retention has passed', async () => {
        const svc = service();
        const token = await svc.issueAccessToken({ consumerKey: ctx.client.consumerKey, validitySeconds: 900 });
        const deadline = token.expiresAt! + c.retention.expiredSeconds * 1000;
        expectRemoved(await purgeAt(svc, deadline - 1), none);
        expect(await svc.inspectAccessToken(token.accessToken)).not.toBeNull();
        expectRemoved(await purgeAt(svc, deadline), { ...none, accessToken: 1 });
        expect(await svc.inspectAccessToken(token.accessToken)).toBeNull();
      });

      it('purges a revoked row that never expires once the inactive retention has passed', async () => {
        const svc = service();
        const token = await svc.issueAccessToken({ consumerKey: ctx.client.consumerKey, validitySeconds: -1 });
        ctx.clock.advance(HOUR);
        const revokedAt = ctx.clock.now();
        expect(await svc.revokeAccessToken(token.accessToken)).toBe(true);
        const deadline = revokedAt + c.retention.inactiveSeconds * 1000;
        expectRemoved(await purgeAt(svc, deadline - 1), none);
        expect((await svc.inspectAccessToken(token.accessToken))?.state).toBe('REVOKED');
        expectRemoved(await purgeAt(svc, deadline), { ...none, accessToken: 1 });
        expect(await svc.inspectAccessToken(token.accessToken)).toBeNull();
      });
    });
  });
}

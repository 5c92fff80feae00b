import { pkceChallenge } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../context.js';
import { findPlaintextsAtRest } from '../storage-search.js';
import { randomValue, randomVerifier } from './fixtures.js';

/** Issues one of everything, in every state a row can reach, and returns how many rows that makes at least. */
async function issueOneOfEverything(ctx: ConformanceContext): Promise<number> {
  const { service, client } = ctx;
  await service.issueAccessToken({ consumerKey: client.consumerKey });
  const user = await service.issueAccessToken({
    consumerKey: client.consumerKey,
    userId: 'alice',
    scopes: ['read'],
    issueRefreshToken: true,
  });
  await service.issueAccessToken({ consumerKey: client.consumerKey, userId: 'alice', accessToken: randomValue(700) });
  await service.issueAccessToken({ consumerKey: client.consumerKey, userId: 'alice', accessToken: randomValue(64), validitySeconds: -1 });
  const revoked = await service.issueAccessToken({ consumerKey: client.consumerKey, userId: 'bob' });
  await service.revokeAccessToken(revoked.accessToken);
  await service.refreshAccessToken({ refreshToken: user.refreshToken!, consumerKey: client.consumerKey });
  const verifier = randomVerifier();
  ctx.recordPlaintext('PKCE verifier', verifier);
  await service.issueAuthorizationCode({
    consumerKey: client.consumerKey,
    userId: 'alice',
    redirectUri: CLIENT_REDIRECT_URIS[0],
    codeChallenge: pkceChallenge(verifier, 'S256'),
    codeChallengeMethod: 'S256',
  });
  const consumed = await service.issueAuthorizationCode({
    consumerKey: client.consumerKey,
    userId: 'carol',
    redirectUri: CLIENT_REDIRECT_URIS[0],
  });
  await service.redeemAuthorizationCode({ code: consumed.code, consumerKey: client.consumerKey, redirectUri: CLIENT_REDIRECT_URIS[0] });
  await service.registerClient({ consumerKey: 'second-client', consumerSecret: randomValue(48) });
  await service.regenerateClientSecret('second-client');
  // clients 2, access tokens 5 + 1 rotated successor + 1 from the code, refresh tokens 2 + 1, codes 2
  return 2 + 7 + 3 + 2;
}

export function storageInspectionTests(ctx: ConformanceContext): void {
  describe('storage inspection', () => {
    it('sees every row the test created (the inspector reads real storage)', async () => {
      const expected = await issueOneOfEverything(ctx);
      const rows = await ctx.inspect();
      expect(rows.length).toBeGreaterThanOrEqual(expected);
      const text = JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
      expect(text).toContain(ctx.client.consumerKey);
      expect(text).toContain('second-client');
      expect(text).toContain('alice');
    });

    if (ctx.mode.name === 'plain') {
      it('finds the plaintext values at rest in plain mode (proof the search below can see them)', async () => {
        await issueOneOfEverything(ctx);
        const issued = ctx.recorder.plaintextsOfCurrentTest();
        const labels = new Set(findPlaintextsAtRest(await ctx.inspect(), issued));
        for (const label of ['accessToken', 'refreshToken', 'code', 'consumerSecret']) expect(labels).toContain(label);
      });
    } else {
      it(`keeps no issued token, code or secret in plaintext at rest in ${ctx.mode.name} mode`, async () => {
        await issueOneOfEverything(ctx);
        const issued = ctx.recorder.plaintextsOfCurrentTest();
        expect(issued.size).toBeGreaterThan(10);
        expect(findPlaintextsAtRest(await ctx.inspect(), issued)).toEqual([]);
      });
    }
  });
}

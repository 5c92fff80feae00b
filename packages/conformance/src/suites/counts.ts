import { effectiveState, TOKEN_KINDS, TOKEN_STATES, type TokenCount, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { scanAllRows } from '../rows.js';
import { accessTokenRow, authorizationCodeRow, refreshTokenRow } from './fixtures.js';

/** What an exact count of the rows a scan sees must be. */
async function tallyByScan(ctx: ConformanceContext, kind: (typeof TOKEN_KINDS)[number], now: number): Promise<TokenCount> {
  const byState = Object.fromEntries(TOKEN_STATES.map((state) => [state, 0])) as Record<TokenState, number>;
  let total = 0;
  let activeExpired = 0;
  let neverExpires = 0;
  for (const row of await scanAllRows(ctx.store)) {
    if (row.kind !== kind) continue;
    const { state, expiresAt } = row as { state: TokenState; expiresAt: number | null };
    total++;
    byState[state]++;
    if (state === TokenState.Active && effectiveState({ state, expiresAt }, now) === TokenState.Expired) activeExpired++;
    if (expiresAt === null) neverExpires++;
  }
  return { exact: true, total, byState, activeExpired, neverExpires };
}

export function countTests(ctx: ConformanceContext): void {
  describe('counts without a scan', () => {
    it('counts the rows of each kind by stored state, ACTIVE rows past expiry and rows that never expire (or says it estimates)', async () => {
      const now = ctx.clock.now();
      const rows = [
        accessTokenRow(ctx, {}),
        accessTokenRow(ctx, { userId: 'b' }),
        accessTokenRow(ctx, { userId: 'c', expiresAt: now - 1000 }),
        accessTokenRow(ctx, { userId: 'd', expiresAt: null }),
        accessTokenRow(ctx, { userId: 'e', state: TokenState.Revoked }),
      ];
      for (const row of rows) await ctx.store.insert('accessToken', row);
      await ctx.store.insert('refreshToken', refreshTokenRow(ctx, { state: TokenState.Inactive }));
      await ctx.store.insert('authorizationCode', authorizationCodeRow(ctx, {}));
      expect(typeof ctx.store.count).toBe('function');
      for (const kind of TOKEN_KINDS) {
        const counted = await ctx.store.count!(kind, now);
        if (counted.exact) expect(counted).toEqual(await tallyByScan(ctx, kind, now));
        else expect(counted).toMatchObject({ byState: null, activeExpired: null, neverExpires: null, total: expect.any(Number) });
      }
      const access = await ctx.store.count!('accessToken', now);
      if (access.exact) expect(access).toMatchObject({ byState: { ACTIVE: 4, REVOKED: 1 }, activeExpired: 1, neverExpires: 1 });
    });
  });
}

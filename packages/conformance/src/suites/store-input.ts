import {
  ClosedError,
  ErrorCode,
  MAX_PURGE_LIMIT,
  MAX_SCAN_LIMIT,
  type PurgeCriteria,
  type StoredRowByKind,
  type TokenKind,
  TokenState,
  type TokenStore,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { scanAllRows } from '../rows.js';
import { accessTokenRow, MINUTE } from './fixtures.js';

// Deliberately wrong arguments, as a JavaScript caller or a bug could pass them.
// biome-ignore lint/suspicious/noExplicitAny: see above
const loose = (value: unknown): any => value;

const BAD_KINDS = ['client', 'accesstoken', '', 'constructor', '__proto__', null, 7] as const;

/**
 * What reaches a store, checked the same way by every backend (core's `checkTokenKind`,
 * `checkPurgeCriteria`, `checkScanRequest`, `StoreGate`): the primitives called directly with bad
 * arguments fail with `INVALID_INPUT` naming the field, and change nothing; after `close()` every
 * primitive fails with a `ClosedError`.
 */
export function storeInputTests(ctx: ConformanceContext): void {
  describe('store input', () => {
    const criteria = (over: Partial<Record<keyof PurgeCriteria, unknown>> = {}): PurgeCriteria =>
      loose({ now: ctx.clock.now(), expiredBefore: ctx.clock.now(), inactiveBefore: ctx.clock.now(), limit: 100, ...over });

    /** Runs `bad` expecting INVALID_INPUT on `field`, and checks that no row changed. */
    async function refusesAndKeeps(bad: () => Promise<unknown>, field: string): Promise<void> {
      const before = await scanAllRows(ctx.store);
      const error = await expectTokenStoreError(bad, ErrorCode.InvalidInput);
      expect(error.field, error.message).toBe(field);
      expect(await scanAllRows(ctx.store)).toEqual(before);
    }

    it.each(BAD_KINDS.map((kind) => [String(kind), kind]))('refuses the token kind %s on every primitive taking one', async (_, kind) => {
      const row = accessTokenRow(ctx);
      await ctx.store.insert('accessToken', row);
      const k = loose(kind) as TokenKind;
      await refusesAndKeeps(() => ctx.store.insert(k, loose(accessTokenRow(ctx))), 'kind');
      await refusesAndKeeps(() => ctx.store.get(k, row.key), 'kind');
      await refusesAndKeeps(
        () => ctx.store.compareAndSetState(k, row.key, { from: TokenState.Active, to: TokenState.Revoked, at: ctx.clock.now() }),
        'kind',
      );
      await refusesAndKeeps(() => ctx.store.purge(k, criteria()), 'kind');
      await refusesAndKeeps(() => ctx.store.replaceKey(k, row.key, loose({ ...row, key: `${row.key}x` })), 'kind');
      if (ctx.store.peek) await refusesAndKeeps(async () => ctx.store.peek!(k, row.key), 'kind');
      if (ctx.store.count) await refusesAndKeeps(() => ctx.store.count!(k, ctx.clock.now()), 'kind');
      // scan also takes `client`; anything else is refused.
      if (kind !== 'client') await refusesAndKeeps(() => ctx.store.scan(loose(kind), { cursor: null, limit: 10 }), 'kind');
      expect(await ctx.store.get('accessToken', row.key)).toEqual(row);
    });

    it.each([
      ['limit', { limit: 0 }],
      ['limit', { limit: -5 }],
      ['limit', { limit: 2.5 }],
      ['limit', { limit: MAX_PURGE_LIMIT + 1 }],
      ['limit', { limit: '100' }],
      ['now', { now: Number.NaN }],
      ['expiredBefore', { expiredBefore: Number.POSITIVE_INFINITY }],
      ['inactiveBefore', { inactiveBefore: '0' }],
    ] as const)('refuses a purge whose %s is %o, deleting nothing', async (field, over) => {
      // A due row: any purge that ran would delete it.
      await ctx.store.insert('accessToken', accessTokenRow(ctx, { expiresAt: ctx.clock.now() - MINUTE }));
      await refusesAndKeeps(() => ctx.store.purge('accessToken', criteria({ now: ctx.clock.now() + MINUTE, ...over })), field);
    });

    it('refuses purge criteria that are not an object', async () => {
      await refusesAndKeeps(() => ctx.store.purge('accessToken', loose(null)), 'criteria');
    });

    it.each([
      ['limit', { cursor: null, limit: 0 }],
      ['limit', { cursor: null, limit: MAX_SCAN_LIMIT + 1 }],
      ['limit', { cursor: null, limit: 1.5 }],
      ['cursor', { cursor: 'not a cursor!', limit: 10 }],
      ['cursor', { cursor: 42, limit: 10 }],
      ['request', null],
    ] as const)('refuses a scan whose %s is wrong (%o), on tokens and clients', async (field, request) => {
      await ctx.store.insert('accessToken', accessTokenRow(ctx));
      for (const kind of ['accessToken', 'client'] as const) await refusesAndKeeps(() => ctx.store.scan(kind, loose(request)), field);
    });

    it('accepts the largest purge batch and scan page', async () => {
      await ctx.store.insert('accessToken', accessTokenRow(ctx));
      await expect(ctx.store.purge('accessToken', criteria({ limit: MAX_PURGE_LIMIT }))).resolves.toBe(0);
      const page = await ctx.store.scan('accessToken', { cursor: null, limit: MAX_SCAN_LIMIT });
      expect(page.rows).toHaveLength(1);
    });

    it('refuses every primitive with a ClosedError once closed, and closing again is harmless', async () => {
      const row = accessTokenRow(ctx);
      await ctx.store.insert('accessToken', row);
      await ctx.store.close();
      await ctx.store.close();
      const store: TokenStore = ctx.store;
      const now = ctx.clock.now();
      const calls: Array<[string, () => unknown]> = [
        ['insert', () => store.insert('accessToken', accessTokenRow(ctx))],
        ['get', () => store.get('accessToken', row.key)],
        ['findActiveAccessToken', () => store.findActiveAccessToken(row.reuseKey)],
        [
          'compareAndSetState',
          () => store.compareAndSetState('accessToken', row.key, { from: TokenState.Active, to: TokenState.Revoked, at: now }),
        ],
        ['rotateRefreshToken', () => store.rotateRefreshToken(loose({ key: 'k', at: now, successor: {} }))],
        ['revokeTokens', () => store.revokeTokens({ grantId: row.grantId }, now)],
        ['createClient', () => store.createClient(loose({ consumerKey: 'c' }))],
        ['getClient', () => store.getClient('c')],
        ['updateClient', () => store.updateClient(loose({ consumerKey: 'c' }), 0)],
        ['deleteClient', () => store.deleteClient('c')],
        ['purge', () => store.purge('accessToken', criteria())],
        ['acquirePurgeLease', () => store.acquirePurgeLease('owner', now, MINUTE)],
        ['releasePurgeLease', () => store.releasePurgeLease('owner')],
        ['scan', () => store.scan('accessToken', { cursor: null, limit: 10 })],
        ['replaceKey', () => store.replaceKey('accessToken', row.key, { ...row, key: `${row.key}x` } as StoredRowByKind['accessToken'])],
      ];
      if (store.peek) calls.push(['peek', () => store.peek!('accessToken', row.key)]);
      if (store.count) calls.push(['count', () => store.count!('accessToken', now)]);
      for (const [name, call] of calls) {
        const error = await expectTokenStoreError(async () => call(), ErrorCode.Closed);
        expect(error, name).toBeInstanceOf(ClosedError);
      }
    });
  });
}

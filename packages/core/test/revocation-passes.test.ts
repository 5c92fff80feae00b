import { ErrorCode, MAX_REVOCATION_PASSES, type RevocationCounts } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { rejection } from './support/caught.js';
import { CLIENT, serviceFixture } from './support/service-fixture.js';

const NOTHING: RevocationCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };

describe('a revocation repeats store passes until one changes nothing', () => {
  it('sums what every pass changed and stops after the first pass that changed nothing', async () => {
    const { service, store } = await serviceFixture();
    // As a store reports it when a rotation finished during the first pass: its successors turn up in the second.
    const passes: RevocationCounts[] = [
      { accessToken: 1, refreshToken: 2, authorizationCode: 1 },
      { accessToken: 1, refreshToken: 1, authorizationCode: 0 },
      NOTHING,
    ];
    store.hooks.revokeTokens = () => passes.shift() ?? { accessToken: 9, refreshToken: 9, authorizationCode: 9 };
    expect(await service.revokeTokensOfClient(CLIENT)).toEqual({ accessToken: 2, refreshToken: 3, authorizationCode: 1 });
    expect(store.argsOf('revokeTokens')).toHaveLength(3);
  });

  it('makes one pass when there is nothing to revoke', async () => {
    const { service, store } = await serviceFixture();
    expect(await service.revokeGrant('no-such-grant')).toEqual(NOTHING);
    expect(store.argsOf('revokeTokens')).toHaveLength(1);
  });

  it(`gives up with CONFLICT after ${MAX_REVOCATION_PASSES} passes that all changed something`, async () => {
    const { service, store } = await serviceFixture();
    store.hooks.revokeTokens = () => ({ accessToken: 0, refreshToken: 1, authorizationCode: 0 });
    const error = await rejection(service.revokeTokensOfUser('alice'));
    expect(error.code).toBe(ErrorCode.Conflict);
    expect(error.message).toMatch(/did not settle/);
    expect(store.argsOf('revokeTokens')).toHaveLength(MAX_REVOCATION_PASSES);
  });
});

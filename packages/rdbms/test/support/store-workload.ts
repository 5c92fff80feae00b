import { ManualClock, TokenService, UserType } from '@tokenstore/core';
import type { SqlStore } from '../../src/index.js';

/**
 * Drives every operation of the store at least once, through the service and directly, including
 * the rarer paths (a taken reuse slot, a grace-window refresh reuse, every revocation filter shape,
 * re-keying onto an existing key, purge with and without archive), so a recording pool sees every
 * statement the store can send.
 */
export async function exerciseEveryStoreOperation(store: SqlStore): Promise<void> {
  const clock = new ManualClock();
  const service = new TokenService({ store, clock, reuseTokens: true, refresh: { gracePeriodSeconds: 60, maxReuseCount: 1 } });
  const { consumerKey, consumerSecret } = await service.registerClient({ redirectUris: ['https://client.example/cb'] });
  await service.verifyClientSecret(consumerKey, consumerSecret);
  await service.updateClient(consumerKey, { name: 'workload' });

  // Reuse: a fresh slot, then concurrent requests that find it taken.
  const issued = await service.issueAccessToken({ consumerKey, userId: 'alice', scopes: 'a b', issueRefreshToken: true });
  await Promise.all(Array.from({ length: 4 }, () => service.issueAccessToken({ consumerKey, userId: 'bob', scopes: 'c' })));
  await service.validateAccessToken(issued.accessToken);

  // Rotation, then a grace-window reuse of the rotated token.
  await service.refreshAccessToken({ refreshToken: issued.refreshToken!, consumerKey });
  await service.refreshAccessToken({ refreshToken: issued.refreshToken!, consumerKey });

  // Code: redeem, then replay (revokes the grant).
  const code = await service.issueAuthorizationCode({ consumerKey, userId: 'carol', redirectUri: 'https://client.example/cb' });
  await service.redeemAuthorizationCode({ code: code.code, consumerKey, redirectUri: 'https://client.example/cb' });
  await service.redeemAuthorizationCode({ code: code.code, consumerKey, redirectUri: 'https://client.example/cb' }).catch(() => undefined);

  // Every revocation filter shape.
  await service.revokeAccessToken(issued.accessToken);
  await service.revokeTokensOfUser('alice');
  await service.revokeTokensOfUser('alice', { userType: UserType.ApplicationUser });
  await service.revokeTokensOfUser('alice', { consumerKey });
  await service.revokeTokensOfUser('alice', { consumerKey, userType: UserType.ApplicationUser });
  await service.revokeGrant(code.grantId);

  // Scans and re-keying (in place, and onto a key that exists already).
  for (const kind of ['accessToken', 'refreshToken', 'authorizationCode', 'client'] as const) {
    let cursor: string | null = null;
    do cursor = (await store.scan(kind, { cursor, limit: 1 })).cursor;
    while (cursor !== null);
  }
  const [first, second] = (await store.scan('accessToken', { cursor: null, limit: 2 })).rows;
  if (first && second) {
    await store.replaceKey('accessToken', first.key, { ...first, key: `${first.key}-rekeyed` });
    await store.replaceKey('accessToken', second.key, { ...second, key: `${first.key}-rekeyed` });
  }

  // Provider artifacts: every primitive, through the service and the store.
  const artifacts = service.artifacts;
  await artifacts.upsert('Session', 'session-1', { uid: 'uid-1', accountId: 'alice' }, 3600);
  await artifacts.upsert('Session', 'session-1', { uid: 'uid-1', accountId: 'bob' }, 3600);
  await artifacts.findByUid('Session', 'uid-1');
  await artifacts.upsert('DeviceCode', 'device-1', { userCode: 'ABCD', grantId: 'g-1' }, 600);
  await artifacts.findByUserCode('DeviceCode', 'ABCD');
  await artifacts.consume('DeviceCode', 'device-1');
  await artifacts.destroy('Session', 'session-1');
  await artifacts.revokeByGrantId('g-1');
  await artifacts.upsert('AccessToken', 'access-1', { grantId: 'g-2' }, 60);
  // The rewrap primitives: scan, insert, and both variants (unconsumed, consumed) of the conditional replace and delete.
  const primitives = store.artifacts!;
  const [row] = (await primitives.scanArtifacts({ cursor: null, limit: 1 })).rows;
  if (row) {
    await primitives.scanArtifacts({ cursor: `${row.model}:${row.key}`, limit: 10 });
    const copy = { ...row, key: `${row.key}-copy`, consumedAt: null };
    await primitives.insertArtifact(copy);
    await primitives.replaceArtifact(copy, { ...copy, payload: '{"resealed":true}' });
    await primitives.consumeArtifact(copy.model, copy.key, copy.updatedAt + 1);
    const consumed = { ...copy, consumedAt: copy.updatedAt + 1 };
    await primitives.replaceArtifact(consumed, consumed);
    await primitives.deleteArtifactIf(consumed);
    await primitives.deleteArtifactIf({ ...copy, key: `${row.key}-missing` });
  }

  // Purge (lease taken, renewed, released) after everything expired.
  clock.advanceSeconds(3 * 86_400);
  await service.purgeExpired();
  await service.purgeExpired();
  await store.releasePurgeLease('another-node');
  await service.revokeTokensOfClient(consumerKey);
  await service.deleteClient(consumerKey);
}

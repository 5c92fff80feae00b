import { type ProtectionOptions, RewrapJob } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { AES_A, AES_B, countAccepted, Deployment, HASH, PEPPER_1, PEPPER_2, seed } from './protection-fixtures.js';

const N = 12;
/** Every seeded row: N access tokens, N refresh tokens, N codes and one client. */
const ROWS = 3 * N + 1;
const EVERYTHING = { access: N, refresh: N, codes: N, secret: true };

function encrypt(peppers: (typeof PEPPER_1)[], activePepper: string, keys: (typeof AES_A)[], activeKey: string): ProtectionOptions {
  return { mode: 'encrypt', peppers, activePepper, cipher: { algorithm: 'aes-256-gcm', keys, activeKey } };
}

describe('migrating from plain to hashed tokens while serving', () => {
  it('keeps every token valid through the switch, the rewrap, and dropping the fallback', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service({ mode: 'plain' }), N);

    // Deploy 2: hash, still reading plain rows.
    const migrating = deployment.service({ ...HASH, fallback: [{ mode: 'plain' }] });
    expect(await countAccepted(migrating, data)).toEqual(EVERYTHING);
    expect(deployment.fallbackHits.length).toBeGreaterThan(0);
    expect(new Set(deployment.fallbackHits.map((hit) => hit.scheme))).toEqual(new Set(['plain']));
    const fresh = await migrating.issueAccessToken({ consumerKey: data.consumerKey, userId: 'new-user' });

    const summary = await new RewrapJob(migrating, { batchSize: 5 }).run();
    expect(summary).toMatchObject({ completed: true, resumed: false });
    expect(summary.totals).toMatchObject({ converted: ROWS, current: 1, unconvertible: 0, failed: 0 });
    expect(summary.counts.client.converted).toBe(1);

    // The fallback counter falls to zero: the operator's signal to switch it off.
    deployment.fallbackHits.length = 0;
    expect(await countAccepted(migrating, data)).toEqual(EVERYTHING);
    expect(deployment.fallbackHits).toEqual([]);

    // Deploy 3: hash only.
    const hashed = deployment.service(HASH);
    expect(await countAccepted(hashed, data)).toEqual(EVERYTHING);
    expect(await hashed.validateAccessToken(fresh.accessToken)).not.toBeNull();
    const dump = await deployment.dump();
    expect(data.tokens.some(({ accessToken }) => dump.includes(accessToken))).toBe(false);
    expect(dump).not.toContain(data.consumerSecret);
    for (const form of await deployment.storedForms())
      expect(form).toMatchObject({ key: expect.stringMatching(/^hmac-sha256:p1\$/), value: null });
  });

  it('supports a rolling deploy: nodes that still write plain read what switched nodes wrote hashed', async () => {
    const deployment = new Deployment();
    const oldNode = deployment.service({ mode: 'plain', fallback: [HASH] });
    const newNode = deployment.service({ ...HASH, fallback: [{ mode: 'plain' }] });
    const fromOld = await seed(oldNode, 3);
    const client = await newNode.registerClient({ name: 'registered-on-a-new-node' });
    const fromNew = await newNode.issueAccessToken({ consumerKey: client.consumerKey, userId: 'u', issueRefreshToken: true });
    expect(await countAccepted(newNode, fromOld)).toEqual({ access: 3, refresh: 3, codes: 3, secret: true });
    expect(await oldNode.validateAccessToken(fromNew.accessToken)).not.toBeNull();
    expect(await oldNode.verifyClientSecret(client.consumerKey, client.consumerSecret)).toBe(true);
  });

  it('without the fallback, the switch would break every existing token (the seed warning)', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service({ mode: 'plain' }), 2);
    expect(await countAccepted(deployment.service(HASH), data)).toEqual({ access: 0, refresh: 0, codes: 0, secret: false });
  });
});

describe('rotating the AES key from A to B', () => {
  it('reads A and B during the rotation, rewraps everything under B, then works with B alone', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(encrypt([PEPPER_1], 'p1', [AES_A], 'kA'), { reuseTokens: true }), N);

    const rotating = deployment.service(encrypt([PEPPER_1], 'p1', [AES_A, AES_B], 'kB'), { reuseTokens: true });
    expect(await countAccepted(rotating, data)).toEqual(EVERYTHING);
    // The lookup key does not depend on the AES key: no fallback lookups, only decrypt-only key A.
    expect(deployment.fallbackHits).toEqual([]);
    expect((await deployment.storedForms()).every((form) => form.value?.startsWith('a256gcm.kA.'))).toBe(true);

    const summary = await new RewrapJob(rotating, { batchSize: 7 }).run();
    expect(summary.totals).toMatchObject({ converted: ROWS, unconvertible: 0, failed: 0 });
    expect((await deployment.storedForms()).every((form) => form.value?.startsWith('a256gcm.kB.'))).toBe(true);

    const onlyB = deployment.service(encrypt([PEPPER_1], 'p1', [AES_B], 'kB'), { reuseTokens: true });
    expect(await countAccepted(onlyB, data)).toEqual(EVERYTHING);
    // Reuse decrypts: the token written under A comes back under B.
    const reused = await onlyB.issueAccessToken({ consumerKey: data.consumerKey, userId: 'user-0', scopes: 'read' });
    expect(reused).toMatchObject({ reused: true, accessToken: data.tokens[0]!.accessToken });
  });
});

describe('rotating the pepper from P1 to P2 in encrypt mode', () => {
  it('finds rows under both peppers until the rewrap finishes, then under P2 alone', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(encrypt([PEPPER_1], 'p1', [AES_A], 'kA')), N);

    const rotating = deployment.service(encrypt([PEPPER_1, PEPPER_2], 'p2', [AES_A], 'kA'));
    expect(await countAccepted(rotating, data)).toEqual(EVERYTHING);
    expect(deployment.fallbackHits.length).toBeGreaterThan(0);
    expect(deployment.fallbackHits.every((hit) => hit.index === 1 && hit.scheme === 'hmac-sha256:p1')).toBe(true);

    const summary = await new RewrapJob(rotating, { batchSize: 5 }).run();
    expect(summary.totals).toMatchObject({ converted: ROWS, unconvertible: 0, failed: 0 });

    deployment.fallbackHits.length = 0;
    expect(await countAccepted(rotating, data)).toEqual(EVERYTHING);
    expect(deployment.fallbackHits).toEqual([]);

    const onlyP2 = deployment.service(encrypt([PEPPER_2], 'p2', [AES_A], 'kA'));
    expect(await countAccepted(onlyP2, data)).toEqual(EVERYTHING);
    expect((await deployment.storedForms()).every((form) => form.key.startsWith('hmac-sha256:p2$'))).toBe(true);
  });
});

describe('rotating the pepper in hash mode', () => {
  const rotating: ProtectionOptions = { mode: 'hash', peppers: [PEPPER_1, PEPPER_2], activePepper: 'p2' };

  it('cannot rewrap hash-only rows (no plaintext is stored) and counts them as unconvertible', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(HASH), N);
    const service = deployment.service(rotating);
    const summary = await new RewrapJob(service).run();
    expect(summary.totals).toMatchObject({ converted: 0, unconvertible: ROWS, failed: 0 });
    expect(await countAccepted(service, data)).toEqual(EVERYTHING);
  });

  it('moves a row to the new pepper when it is presented, with rehashOnRead', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(HASH), N);
    const service = deployment.service({ ...rotating, rehashOnRead: true });

    for (const { accessToken } of data.tokens) expect(await service.validateAccessToken(accessToken)).not.toBeNull();
    expect(deployment.fallbackHits).toHaveLength(N);
    expect(deployment.fallbackHits.every((hit) => hit.rehashed === true && hit.scheme === 'hmac-sha256:p1')).toBe(true);

    deployment.fallbackHits.length = 0;
    for (const { accessToken } of data.tokens) expect(await service.validateAccessToken(accessToken)).not.toBeNull();
    expect(deployment.fallbackHits).toEqual([]);

    // Presented access tokens now live under P2; refresh tokens and codes not presented stay under P1.
    const summary = await new RewrapJob(service).run();
    expect(summary.counts.accessToken).toMatchObject({ current: N, unconvertible: 0 });
    expect(summary.counts.refreshToken).toMatchObject({ current: 0, unconvertible: N });
    const onlyP2 = deployment.service({ mode: 'hash', peppers: [PEPPER_2] });
    expect(await countAccepted(onlyP2, data)).toMatchObject({ access: N, refresh: 0 });
  });

  it('consumes a code exactly once after moving it on read', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(HASH), 1);
    const service = deployment.service({ ...rotating, rehashOnRead: true });
    const redeem = () =>
      service.redeemAuthorizationCode({ consumerKey: data.consumerKey, code: data.codes[0]!, redirectUri: 'https://app.example/cb' });
    await expect(redeem()).resolves.toMatchObject({ tokenType: 'Bearer' });
    await expect(redeem()).rejects.toMatchObject({ code: 'REPLAY' });
  });

  it('rotates a refresh token found under the old pepper, and detects its reuse afterwards', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(HASH), 1);
    const service = deployment.service({ ...rotating, rehashOnRead: true });
    const refresh = () => service.refreshAccessToken({ consumerKey: data.consumerKey, refreshToken: data.tokens[0]!.refreshToken });
    const rotated = await refresh();
    expect(await service.validateAccessToken(rotated.accessToken)).not.toBeNull();
    await expect(refresh()).rejects.toMatchObject({ code: 'REUSE_DETECTED' });
    expect(await service.validateAccessToken(rotated.accessToken)).toBeNull();
  });
});

describe('backing out of encryption', () => {
  it('rewraps encrypted rows back to plain when plain becomes the primary mode', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(encrypt([PEPPER_1], 'p1', [AES_A], 'kA')), N);
    const backing = deployment.service({ mode: 'plain', fallback: [encrypt([PEPPER_1], 'p1', [AES_A], 'kA')] });
    const summary = await new RewrapJob(backing).run();
    expect(summary.totals).toMatchObject({ converted: ROWS, failed: 0 });
    expect(await countAccepted(deployment.service({ mode: 'plain' }), data)).toEqual(EVERYTHING);
  });
});

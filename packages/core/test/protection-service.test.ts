import { MemoryStore } from '@tokenstore/cache';
import { createProtector, ErrorCode, InvalidInputError, ManualClock, MisconfigurationError, TokenService } from '@tokenstore/core';
import { describe, expect, it, vi } from 'vitest';
import { Deployment, ENCRYPT_AES, everyMode, HASH, HASH_SHA256, seed } from './protection-fixtures.js';

describe.each(everyMode())('TokenService in %s mode', (name, protection) => {
  it('issues, validates, rotates, redeems and revokes', async () => {
    const deployment = new Deployment();
    const service = deployment.service(protection);
    const data = await seed(service, 2);
    const [first, second] = data.tokens as [(typeof data.tokens)[0], (typeof data.tokens)[0]];

    expect((await service.validateAccessToken(first.accessToken))?.userId).toBe('user-0');
    expect(await service.validateAccessToken(`${first.accessToken}x`)).toBeNull();

    const rotated = await service.refreshAccessToken({ consumerKey: data.consumerKey, refreshToken: first.refreshToken });
    expect(await service.validateAccessToken(rotated.accessToken)).not.toBeNull();
    await expect(service.refreshAccessToken({ consumerKey: data.consumerKey, refreshToken: first.refreshToken })).rejects.toMatchObject({
      code: ErrorCode.ReuseDetected,
    });

    const redeemed = await service.redeemAuthorizationCode({
      consumerKey: data.consumerKey,
      code: data.codes[0]!,
      redirectUri: 'https://app.example/cb',
    });
    expect((await service.validateAccessToken(redeemed.accessToken))?.grantType).toBe('authorization_code');
    await expect(
      service.redeemAuthorizationCode({ consumerKey: data.consumerKey, code: data.codes[0]!, redirectUri: 'https://app.example/cb' }),
    ).rejects.toMatchObject({ code: ErrorCode.Replay });

    expect(await service.revokeAccessToken(second.accessToken)).toBe(true);
    expect(await service.validateAccessToken(second.accessToken)).toBeNull();
  });

  it('verifies the client secret in constant time and refuses a wrong one', async () => {
    const service = new Deployment().service(protection);
    const client = await service.registerClient({ name: 'app' });
    expect(await service.verifyClientSecret(client.consumerKey, client.consumerSecret)).toBe(true);
    const wrong = client.consumerSecret.slice(0, -1) + (client.consumerSecret.endsWith('A') ? 'B' : 'A');
    expect(await service.verifyClientSecret(client.consumerKey, wrong)).toBe(false);
    expect(await service.verifyClientSecret('unknown-client', client.consumerSecret)).toBe(false);
    const regenerated = await service.regenerateClientSecret(client.consumerKey);
    expect(await service.verifyClientSecret(client.consumerKey, regenerated)).toBe(true);
    expect(await service.verifyClientSecret(client.consumerKey, client.consumerSecret)).toBe(false);
  });

  const atRest =
    name === 'plain' ? 'keeps values as they are (plain means plaintext at rest)' : 'keeps no token, code or secret in plaintext at rest';
  it(atRest, async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(protection), 3);
    const dump = await deployment.dump();
    const values = [
      ...data.tokens.flatMap(({ accessToken, refreshToken }) => [accessToken, refreshToken]),
      ...data.codes,
      data.consumerSecret,
    ];
    const found = values.filter((value) => dump.includes(value));
    expect(found).toHaveLength(name === 'plain' ? values.length : 0);
  });
});

describe('protection through the service', () => {
  it('hash mode stores a lookup key and no value; encrypt mode a lookup key and a sealed value', async () => {
    for (const [protection, value] of [
      [HASH, null],
      [HASH_SHA256, null],
      [ENCRYPT_AES, expect.stringMatching(/^a256gcm\.kA\./)],
    ] as const) {
      const deployment = new Deployment();
      await seed(deployment.service(protection), 1);
      for (const form of await deployment.storedForms()) {
        expect(form.key).toMatch(/^(hmac-sha256:p1|sha256)\$[0-9a-f]{64}$/);
        expect(form.value).toEqual(value);
      }
    }
  });

  it('validates without decrypting: reveal is used only to hand an existing token back under reuse', async () => {
    const deployment = new Deployment();
    const protector = createProtector(ENCRYPT_AES);
    const reveal = vi.spyOn(protector, 'reveal');
    const service = new TokenService({ store: deployment.store, clock: deployment.clock, protector, reuseTokens: true });
    const client = await service.registerClient({ name: 'app' });
    const issued = await service.issueAccessToken({ consumerKey: client.consumerKey, scopes: 'read' });
    for (let i = 0; i < 5; i++) expect(await service.validateAccessToken(issued.accessToken)).not.toBeNull();
    expect(await service.verifyClientSecret(client.consumerKey, client.consumerSecret)).toBe(true);
    expect(reveal).not.toHaveBeenCalled();

    const again = await service.issueAccessToken({ consumerKey: client.consumerKey, scopes: 'read' });
    expect(again).toMatchObject({ accessToken: issued.accessToken, reused: true });
    expect(reveal).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['hash', HASH],
    ['hash (SHA-256)', HASH_SHA256],
  ])('refuses token reuse with %s at construction, explaining why', (_name, protection) => {
    const clock = new ManualClock();
    let error: unknown;
    try {
      new TokenService({ store: new MemoryStore({ clock }), clock, protector: createProtector(protection), reuseTokens: true });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(MisconfigurationError);
    expect((error as MisconfigurationError).field).toBe('reuseTokens');
    expect((error as Error).message).toContain('one-way digest');
    expect((error as Error).message).toContain('encrypt');
  });

  it('refuses token reuse while a hash mode is still in the fallback chain', () => {
    const clock = new ManualClock();
    const protector = createProtector({ ...ENCRYPT_AES, fallback: [HASH] });
    expect(protector.recoverable).toBe(false);
    expect(() => new TokenService({ store: new MemoryStore({ clock }), clock, protector, reuseTokens: true })).toThrow(
      expect.objectContaining({ code: ErrorCode.Misconfiguration, field: 'reuseTokens' }),
    );
  });

  it('generates 256-bit client secrets and refuses a supplied secret under 32 characters', async () => {
    const service = new Deployment().service(HASH);
    const client = await service.registerClient();
    expect(Buffer.from(client.consumerSecret, 'base64url').length).toBe(32);
    await expect(service.registerClient({ consumerSecret: 'short-secret-of-31-characters-x' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(service.registerClient({ consumerSecret: 'a-supplied-secret-of-32-chars-ok' })).resolves.toMatchObject({
      consumerSecret: 'a-supplied-secret-of-32-chars-ok',
    });
  });

  it('verifies a client secret through the fallback chain and counts the fallback hit', async () => {
    const deployment = new Deployment();
    const client = await deployment.service({ mode: 'plain' }).registerClient({ name: 'legacy' });
    const migrating = deployment.service({ ...HASH, fallback: [{ mode: 'plain' }] });
    expect(await migrating.verifyClientSecret(client.consumerKey, client.consumerSecret)).toBe(true);
    expect(await migrating.verifyClientSecret(client.consumerKey, 'x'.repeat(43))).toBe(false);
    expect(deployment.fallbackHits).toEqual([{ kind: 'client', index: 1, scheme: 'plain' }]);
    expect(await deployment.service(HASH).verifyClientSecret(client.consumerKey, client.consumerSecret)).toBe(false);
  });

  it('hands back, under reuse, a token written in plain before encryption was switched on', async () => {
    const deployment = new Deployment();
    const before = deployment.service({ mode: 'plain' }, { reuseTokens: true });
    const client = await before.registerClient({ name: 'app' });
    const issued = await before.issueAccessToken({ consumerKey: client.consumerKey, scopes: 'read' });
    const after = deployment.service({ ...ENCRYPT_AES, fallback: [{ mode: 'plain' }] }, { reuseTokens: true });
    expect(await after.issueAccessToken({ consumerKey: client.consumerKey, scopes: 'read' })).toMatchObject({
      accessToken: issued.accessToken,
      reused: true,
    });
  });

  it('never puts a token value in a fallback event', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service({ mode: 'plain' }), 2);
    const migrating = deployment.service({ ...HASH, fallback: [{ mode: 'plain' }] });
    for (const { accessToken } of data.tokens) await migrating.validateAccessToken(accessToken);
    const events = JSON.stringify(deployment.fallbackHits);
    expect(deployment.fallbackHits).toHaveLength(2);
    for (const { accessToken } of data.tokens) expect(events).not.toContain(accessToken);
  });
});

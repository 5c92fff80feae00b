import { MemoryStore } from '@tokenstore/cache';
import {
  ArtifactService,
  type ArtifactStore,
  createProtector,
  ManualClock,
  type ProtectionOptions,
  RewrapJob,
  type StoredArtifact,
  type TokenStore,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { AES_A, AES_B, HASH, PEPPER_1 } from './protection-fixtures.js';

const PLAIN: ProtectionOptions = { mode: 'plain' };
const ENCRYPT_A: ProtectionOptions = {
  mode: 'encrypt',
  peppers: [PEPPER_1],
  cipher: { algorithm: 'aes-256-gcm', keys: [AES_A], activeKey: 'kA' },
};
const ENCRYPT_B: ProtectionOptions = {
  mode: 'encrypt',
  peppers: [PEPPER_1],
  cipher: { algorithm: 'aes-256-gcm', keys: [AES_B], activeKey: 'kB' },
};

/**
 * Every credential the provider hands out in {@link seedArtifacts}: none may be left in a dump outside
 * plain mode. (A session's uid is an identifier, not a credential: it stays in the payload, as upsert
 * keeps it; its lookup key is an HMAC like the id's.)
 */
const SECRETS = ['session-id-1', 'code-id-1', 'device-code-1', 'USER-CODE-1', 'access-token-1', 'refresh-token-1'];

function deployment() {
  const clock = new ManualClock(Date.UTC(2026, 11, 1));
  const store = new MemoryStore({ clock });
  const service = (protection: ProtectionOptions) => new ArtifactService({ store, clock, protector: createProtector(protection) });
  const rewrap = (protection: ProtectionOptions, artifacts: ArtifactStore = store.artifacts) =>
    new RewrapJob(
      { store: artifacts === store.artifacts ? store : hookedStore(artifacts), protector: createProtector(protection), clock },
      { kinds: ['artifact'], batchSize: 2 },
    ).run();
  const rows = () => [...store.artifacts.rows()];
  return { clock, store, service, rewrap, rows };
}

/** A store whose artifact primitives are `artifacts` (the rewrap job of these tests touches nothing else). */
function hookedStore(artifacts: ArtifactStore): TokenStore {
  return { backend: 'memory', artifacts, scan: () => Promise.reject(new Error('not used')) } as unknown as TokenStore;
}

async function seedArtifacts(service: ArtifactService): Promise<void> {
  await service.upsert('Session', 'session-id-1', { uid: 'session-uid-1', accountId: 'alice', jti: 'session-id-1' }, 3600);
  await service.upsert('AuthorizationCode', 'code-id-1', { grantId: 'grant-1', accountId: 'alice', jti: 'code-id-1' }, 60);
  await service.upsert('DeviceCode', 'device-code-1', { grantId: 'grant-2', userCode: 'USER-CODE-1', jti: 'device-code-1' }, 600);
  await service.upsert('AccessToken', 'access-token-1', { grantId: 'grant-1', accountId: 'alice', jti: 'access-token-1' }, 3600);
  await service.upsert('RefreshToken', 'refresh-token-1', { grantId: 'grant-1', accountId: 'alice', jti: 'refresh-token-1' }, 86400);
  // Dynamic registration: never expires.
  await service.upsert('Client', 'client-1', { client_id: 'client-1', redirect_uris: ['https://rp.example/cb'] });
  expect(await service.consume('AuthorizationCode', 'code-id-1')).toBe(true);
}

async function expectEverythingFound(service: ArtifactService): Promise<void> {
  expect(await service.find('Session', 'session-id-1')).toMatchObject({ uid: 'session-uid-1', accountId: 'alice', jti: 'session-id-1' });
  expect(await service.findByUid('Session', 'session-uid-1')).toMatchObject({ accountId: 'alice' });
  expect(await service.findByUserCode('DeviceCode', 'USER-CODE-1')).toMatchObject({ grantId: 'grant-2', userCode: 'USER-CODE-1' });
  expect(await service.find('DeviceCode', 'device-code-1')).toMatchObject({ jti: 'device-code-1' });
  expect(await service.find('AccessToken', 'access-token-1')).toMatchObject({ jti: 'access-token-1', grantId: 'grant-1' });
  expect(await service.find('RefreshToken', 'refresh-token-1')).toMatchObject({ accountId: 'alice' });
  expect(await service.find('Client', 'client-1')).toMatchObject({ redirect_uris: ['https://rp.example/cb'] });
  // Consumed before the rewrap, consumed after it: never a second use.
  const code = await service.find('AuthorizationCode', 'code-id-1');
  expect(code?.consumed).toEqual(expect.any(Number));
  expect(await service.consume('AuthorizationCode', 'code-id-1')).toBe(false);
}

describe('rewrap of provider artifacts', () => {
  for (const [name, target, seal] of [
    ['plain → hash', HASH, false],
    ['plain → encrypt', ENCRYPT_A, true],
  ] as const) {
    it(`${name}: every model converted, found without the fallback, no plaintext left, a second pass converts nothing`, async () => {
      const d = deployment();
      await seedArtifacts(d.service(PLAIN));
      const summary = await d.rewrap({ ...target, fallback: [PLAIN] });
      expect(summary.completed).toBe(true);
      // A copy under a new key may be scanned again later in the pass (it is current then).
      const { scanned, ...outcomes } = summary.counts.artifact;
      expect(outcomes).toEqual({ converted: 6, current: scanned - 6, unconvertible: 0, failed: 0, skipped: 0 });

      const rows = d.rows();
      expect(rows).toHaveLength(6);
      for (const row of rows) {
        expect(row.key).toMatch(/^hmac-sha256:p1\$/);
        expect(row.sealed).toBe(seal);
      }
      const dump = JSON.stringify(rows);
      // In hash mode a DeviceCode keeps its id in the payload: the provider saves the code it found by
      // user code again under that id, and nothing else could give it back (the adapter's README says so).
      for (const secret of SECRETS.filter((value) => seal || value !== 'device-code-1')) expect(dump).not.toContain(secret);
      await expectEverythingFound(d.service(target));

      const again = await d.rewrap({ ...target, fallback: [PLAIN] });
      expect(again.counts.artifact).toEqual({ scanned: 6, converted: 0, current: 6, unconvertible: 0, failed: 0, skipped: 0 });
    });
  }

  it('encrypt under AES key A → key B: resealed in place (same lookup keys), readable with key B alone', async () => {
    const d = deployment();
    await seedArtifacts(d.service(ENCRYPT_A));
    const keys = () =>
      d
        .rows()
        .map((row) => `${row.model}/${row.key}`)
        .sort();
    const keysBefore = keys();
    const summary = await d.rewrap({
      ...ENCRYPT_B,
      cipher: { algorithm: 'aes-256-gcm', keys: [AES_B, AES_A], activeKey: 'kB' },
    });
    expect(summary.counts.artifact).toMatchObject({ scanned: 6, converted: 6, failed: 0 });
    expect(keys()).toEqual(keysBefore);
    await expectEverythingFound(d.service(ENCRYPT_B));
  });

  it('hash-mode rows keep no id: counted unconvertible, left as they are', async () => {
    const d = deployment();
    await seedArtifacts(d.service(HASH));
    const dump = () =>
      d
        .rows()
        .map((row) => JSON.stringify(row))
        .sort();
    const before = dump();
    const summary = await d.rewrap({ ...ENCRYPT_A, fallback: [HASH] });
    expect(summary.counts.artifact).toMatchObject({ scanned: 6, converted: 0, unconvertible: 6 });
    expect(dump()).toEqual(before);
  });

  it('a sealed payload under a key no longer configured is counted failed, and the row is left', async () => {
    const d = deployment();
    await d.service(ENCRYPT_A).upsert('Session', 'session-id-1', { uid: 'session-uid-1' }, 3600);
    const summary = await d.rewrap({ ...HASH, fallback: [ENCRYPT_B] });
    expect(summary.counts.artifact).toMatchObject({ scanned: 1, failed: 1, converted: 0 });
    expect(d.rows()).toHaveLength(1);
  });
});

/**
 * The store's primitives with a pause after the copy is inserted (new lookup key) or before the
 * replace (same key): what a provider does there is what these tests decide, no timer involved.
 */
class PausingArtifacts implements ArtifactStore {
  /** Runs once, after the first copy of this model is inserted. */
  afterInsert: { model: string; run: (copy: StoredArtifact) => Promise<void> } | undefined;
  beforeReplace: ((expected: StoredArtifact) => Promise<void>) | undefined;
  constructor(readonly inner: ArtifactStore) {}
  upsertArtifact = (row: StoredArtifact) => this.inner.upsertArtifact(row);
  getArtifact = (model: string, key: string) => this.inner.getArtifact(model, key);
  findArtifactByUid = (model: string, key: string) => this.inner.findArtifactByUid(model, key);
  findArtifactByUserCode = (model: string, key: string) => this.inner.findArtifactByUserCode(model, key);
  consumeArtifact = (model: string, key: string, at: number) => this.inner.consumeArtifact(model, key, at);
  deleteArtifact = (model: string, key: string) => this.inner.deleteArtifact(model, key);
  deleteArtifactsOfGrant = (grantId: string) => this.inner.deleteArtifactsOfGrant(grantId);
  purgeArtifacts = (criteria: Parameters<ArtifactStore['purgeArtifacts']>[0]) => this.inner.purgeArtifacts(criteria);
  scanArtifacts = (request: Parameters<ArtifactStore['scanArtifacts']>[0]) => this.inner.scanArtifacts(request);
  deleteArtifactIf = (expected: StoredArtifact) => this.inner.deleteArtifactIf(expected);
  async insertArtifact(row: StoredArtifact): Promise<boolean> {
    const inserted = await this.inner.insertArtifact(row);
    const hook = this.afterInsert;
    if (inserted && hook?.model === row.model) {
      this.afterInsert = undefined;
      await hook.run(row);
    }
    return inserted;
  }
  async replaceArtifact(expected: StoredArtifact, next: StoredArtifact): Promise<boolean> {
    const hook = this.beforeReplace;
    this.beforeReplace = undefined;
    if (hook) await hook(expected);
    return this.inner.replaceArtifact(expected, next);
  }
}

describe('rewrap of provider artifacts beside a provider using them', () => {
  const TARGET: ProtectionOptions = { ...HASH, fallback: [PLAIN] };

  async function codeDeployment() {
    const d = deployment();
    const plain = d.service(PLAIN);
    await plain.upsert('AuthorizationCode', 'code-id-1', { grantId: 'grant-1', accountId: 'alice' }, 60);
    await plain.upsert('AccessToken', 'access-token-1', { grantId: 'grant-1', accountId: 'alice' }, 3600);
    await plain.upsert('Session', 'session-id-1', { uid: 'session-uid-1', accountId: 'alice' }, 3600);
    const paused = new PausingArtifacts(d.store.artifacts);
    return { ...d, paused, hashed: d.service(TARGET) };
  }

  it('a consumption of the old row while the copy exists is carried over: the code is used once, never twice', async () => {
    const d = await codeDeployment();
    // A redeemer read the old row before the copy existed and consumes it now (what ArtifactService.consume does next).
    d.paused.afterInsert = {
      model: 'AuthorizationCode',
      run: async () => expect(await d.store.artifacts.consumeArtifact('AuthorizationCode', 'code-id-1', d.clock.now())).toBe(true),
    };
    const summary = await d.rewrap(TARGET, d.paused);
    expect(summary.counts.artifact).toMatchObject({ converted: 3, skipped: 0 });
    expect(await d.store.artifacts.getArtifact('AuthorizationCode', 'code-id-1')).toBeNull();
    expect((await d.hashed.find('AuthorizationCode', 'code-id-1'))?.consumed).toEqual(expect.any(Number));
    expect(await d.hashed.consume('AuthorizationCode', 'code-id-1')).toBe(false);
  });

  it('consumed through both rows (two redeemers, one on each) is a replay: the grant is revoked', async () => {
    const d = await codeDeployment();
    d.paused.afterInsert = {
      model: 'AuthorizationCode',
      run: async (copy) => {
        expect(await d.store.artifacts.consumeArtifact('AuthorizationCode', 'code-id-1', d.clock.now())).toBe(true);
        expect(await d.store.artifacts.consumeArtifact('AuthorizationCode', copy.key, d.clock.now())).toBe(true);
      },
    };
    const summary = await d.rewrap(TARGET, d.paused);
    // The code, and the access token of its grant, which the job scanned before the grant was revoked.
    expect(summary.counts.artifact).toMatchObject({ converted: 1, skipped: 2 });
    expect(await d.hashed.find('AuthorizationCode', 'code-id-1')).toBeUndefined();
    // Every artifact of grant-1 is gone, whichever form it was in; the session (no grant) is untouched.
    expect(await d.hashed.find('AccessToken', 'access-token-1')).toBeUndefined();
    expect(d.rows().filter((row) => row.grantId === 'grant-1')).toEqual([]);
    expect(await d.hashed.findByUid('Session', 'session-uid-1')).toMatchObject({ accountId: 'alice' });
  });

  it('a deletion of the old row while the copy exists deletes the copy too: a destroy or revocation stays complete', async () => {
    const d = await codeDeployment();
    d.paused.afterInsert = {
      model: 'Session',
      run: async () => expect(await d.store.artifacts.deleteArtifact('Session', 'session-id-1')).toBe(true),
    };
    const summary = await d.rewrap(TARGET, d.paused);
    expect(summary.counts.artifact).toMatchObject({ converted: 2, skipped: 1 });
    expect(await d.hashed.find('Session', 'session-id-1')).toBeUndefined();
    expect(await d.hashed.findByUid('Session', 'session-uid-1')).toBeUndefined();
    expect(d.rows().filter((row) => row.model === 'Session')).toEqual([]);
  });

  it('a new version the provider writes under the new key meanwhile is kept, not overwritten by the copy', async () => {
    const d = await codeDeployment();
    d.paused.afterInsert = {
      model: 'Session',
      run: async () => {
        d.clock.advance(1000);
        // The provider saves the session again (current protection: it replaces the copy), then destroys the old one.
        await d.hashed.upsert('Session', 'session-id-1', { uid: 'session-uid-1', accountId: 'alice', loginTs: 42 }, 3600);
        expect(await d.store.artifacts.deleteArtifact('Session', 'session-id-1')).toBe(true);
      },
    };
    await d.rewrap(TARGET, d.paused);
    expect(await d.hashed.find('Session', 'session-id-1')).toMatchObject({ loginTs: 42 });
  });

  it('a copy left by a run that stopped between insert and delete gets the consumption the old row got since', async () => {
    const d = await codeDeployment();
    // The earlier run: the copy inserted, then the job stopped. Then a redeemer that read the old row consumed it.
    const old = (await d.store.artifacts.getArtifact('AuthorizationCode', 'code-id-1')) as StoredArtifact;
    const copy = { ...old, key: createProtector(HASH).protect('code-id-1').key, value: null };
    expect(await d.store.artifacts.insertArtifact(copy)).toBe(true);
    expect(await d.store.artifacts.consumeArtifact('AuthorizationCode', 'code-id-1', d.clock.now())).toBe(true);
    await d.rewrap(TARGET);
    expect(await d.store.artifacts.getArtifact('AuthorizationCode', 'code-id-1')).toBeNull();
    expect((await d.hashed.find('AuthorizationCode', 'code-id-1'))?.consumed).toEqual(expect.any(Number));
    expect(await d.hashed.consume('AuthorizationCode', 'code-id-1')).toBe(false);
  });

  it('same lookup key: a consumption between the read and the replace is kept (the replace is of the version read)', async () => {
    const d = deployment();
    await d.service(ENCRYPT_A).upsert('AuthorizationCode', 'code-id-1', { grantId: 'grant-1' }, 60);
    const paused = new PausingArtifacts(d.store.artifacts);
    paused.beforeReplace = async (expected) => {
      expect(await d.store.artifacts.consumeArtifact(expected.model, expected.key, d.clock.now())).toBe(true);
    };
    const both: ProtectionOptions = { ...ENCRYPT_B, cipher: { algorithm: 'aes-256-gcm', keys: [AES_B, AES_A], activeKey: 'kB' } };
    const summary = await d.rewrap(both, paused);
    expect(summary.counts.artifact).toMatchObject({ converted: 1 });
    const resealed = d.service(ENCRYPT_B);
    expect((await resealed.find('AuthorizationCode', 'code-id-1'))?.consumed).toEqual(expect.any(Number));
    expect(await resealed.consume('AuthorizationCode', 'code-id-1')).toBe(false);
  });
});

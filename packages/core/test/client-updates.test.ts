import {
  CLIENT_UPDATE_ATTEMPTS,
  createProtector,
  ErrorCode,
  generatePepper,
  nextClientUpdatedAt,
  PlainProtector,
  type ProtectionOptions,
  RewrapJob,
  type StoredClient,
  TokenService,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { RecordingStore } from './support/recording-store.js';
import { CLIENT, CLIENT_SECRET, serviceFixture, T0 } from './support/service-fixture.js';

const SECOND = 1000;

/** What another writer does to the client between our read and our compare-and-set. */
function changeBehindTheBack(store: RecordingStore, change: Partial<StoredClient>): void {
  const current = store.clients.get(CLIENT)!;
  store.clients.set(CLIENT, { ...current, ...change, updatedAt: current.updatedAt + 1 });
}

describe('client updates are compare-and-set', () => {
  it('nextClientUpdatedAt is the clock, but always after the previous stamp', () => {
    expect(nextClientUpdatedAt({ updatedAt: T0 }, T0 + SECOND)).toBe(T0 + SECOND);
    expect(nextClientUpdatedAt({ updatedAt: T0 }, T0)).toBe(T0 + 1);
    // A clock that went back still moves the stamp forward.
    expect(nextClientUpdatedAt({ updatedAt: T0 }, T0 - SECOND)).toBe(T0 + 1);
  });

  it('expects the updatedAt it read, and stamps a strictly later one even within one millisecond', async () => {
    const { store, service } = await serviceFixture();
    expect((await service.updateClient(CLIENT, { name: 'First' })).updatedAt).toBe(T0 + 1);
    await service.regenerateClientSecret(CLIENT);
    expect((await service.updateClient(CLIENT, { name: 'Third' })).updatedAt).toBe(T0 + 3);
    expect(store.argsOf('updateClient').map(([row, expected]) => [(row as StoredClient).updatedAt, expected])).toEqual([
      [T0 + 1, T0],
      [T0 + 2, T0 + 1],
      [T0 + 3, T0 + 2],
    ]);
  });

  it('updateClient re-reads and re-applies its patch when the client changed meanwhile, keeping the other change', async () => {
    const { store, service } = await serviceFixture({}, { grantTypes: ['password'] });
    let interleaved = false;
    store.hooks.beforeUpdateClient = () => {
      if (interleaved) return;
      interleaved = true;
      changeBehindTheBack(store, { secretKey: 'rotated-elsewhere', grantTypes: ['client_credentials'] });
    };
    const updated = await service.updateClient(CLIENT, { redirectUris: ['https://app.example/cb'] });
    expect(updated).toMatchObject({ grantTypes: ['client_credentials'], redirectUris: ['https://app.example/cb'], updatedAt: T0 + 2 });
    expect(store.clients.get(CLIENT)).toMatchObject({ secretKey: 'rotated-elsewhere', redirectUris: ['https://app.example/cb'] });
    expect(store.argsOf('getClient')).toHaveLength(2);
    expect(store.argsOf('updateClient').map(([, expected]) => expected)).toEqual([T0, T0 + 1]);
  });

  it('regenerateClientSecret re-applies the new secret over the changed client, then revokes when asked', async () => {
    const { store, clock, service } = await serviceFixture();
    let interleaved = false;
    store.hooks.beforeUpdateClient = () => {
      if (interleaved) return;
      interleaved = true;
      changeBehindTheBack(store, { name: 'Renamed elsewhere' });
    };
    clock.advance(SECOND);
    const secret = await service.regenerateClientSecret(CLIENT, { revokeTokens: true });
    expect(await service.verifyClientSecret(CLIENT, secret)).toBe(true);
    expect(await service.verifyClientSecret(CLIENT, CLIENT_SECRET)).toBe(false);
    expect(store.clients.get(CLIENT)?.name).toBe('Renamed elsewhere');
    // Revocation comes after the secret that won was written.
    expect(store.writes.map((call) => call.method)).toEqual(['updateClient', 'updateClient', 'revokeTokens']);
  });

  it('gives up with CONFLICT after a bounded number of attempts when the client keeps changing', async () => {
    const { store, service } = await serviceFixture();
    store.hooks.beforeUpdateClient = () => changeBehindTheBack(store, { name: 'Busy elsewhere' });
    await expect(service.updateClient(CLIENT, { grantTypes: ['password'] })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    expect(store.argsOf('updateClient')).toHaveLength(CLIENT_UPDATE_ATTEMPTS);
    expect(store.clients.get(CLIENT)).toMatchObject({ name: 'Busy elsewhere', grantTypes: [] });
    await expect(service.regenerateClientSecret(CLIENT, { revokeTokens: true })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    expect(await service.verifyClientSecret(CLIENT, CLIENT_SECRET)).toBe(true);
    expect(store.argsOf('revokeTokens')).toEqual([]);
  });

  it('is NOT_FOUND when the client is deleted between the read and the write, and revokes nothing', async () => {
    const { store, service } = await serviceFixture();
    store.hooks.beforeUpdateClient = () => {
      store.clients.delete(CLIENT);
    };
    await expect(service.regenerateClientSecret(CLIENT, { revokeTokens: true })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(store.argsOf('revokeTokens')).toEqual([]);
  });
});

describe('rewrap of clients is compare-and-set', () => {
  const HASH: ProtectionOptions = { mode: 'hash', peppers: [{ id: 'p1', secret: generatePepper() }], fallback: [{ mode: 'plain' }] };

  async function plainClient() {
    const fixture = await serviceFixture({ protector: new PlainProtector() });
    const migrating = new TokenService({ store: fixture.store, clock: fixture.clock, protector: createProtector(HASH) });
    return { ...fixture, migrating, job: new RewrapJob(migrating, { kinds: ['client'] }) };
  }

  it('converts the client as stored after a concurrent change, and stamps a new updatedAt', async () => {
    const { store, clock, migrating, job } = await plainClient();
    let interleaved = false;
    store.hooks.beforeUpdateClient = () => {
      if (interleaved) return;
      interleaved = true;
      changeBehindTheBack(store, { redirectUris: ['https://app.example/new'] });
    };
    clock.advance(SECOND);
    const summary = await job.run();
    expect(summary.counts.client).toMatchObject({ scanned: 1, converted: 1, skipped: 0 });
    const stored = store.clients.get(CLIENT)!;
    expect(stored).toMatchObject({ redirectUris: ['https://app.example/new'], updatedAt: T0 + SECOND });
    expect(migrating.protector.isCurrent({ key: stored.secretKey, value: stored.secretValue })).toBe(true);
    expect(await migrating.verifyClientSecret(CLIENT, CLIENT_SECRET)).toBe(true);
  });

  it('never writes the copy it read over a secret regenerated meanwhile, and does not count it as converted', async () => {
    const { store, migrating, job } = await plainClient();
    let secret = '';
    store.hooks.beforeUpdateClient = async () => {
      store.hooks.beforeUpdateClient = undefined;
      secret = await migrating.regenerateClientSecret(CLIENT);
    };
    const summary = await job.run();
    expect(summary.counts.client).toMatchObject({ scanned: 1, converted: 0, current: 1 });
    expect(await migrating.verifyClientSecret(CLIENT, secret)).toBe(true);
    expect(await migrating.verifyClientSecret(CLIENT, CLIENT_SECRET)).toBe(false);
  });

  it('leaves a client that keeps changing for the next pass, counted as skipped', async () => {
    const { store, job } = await plainClient();
    store.hooks.beforeUpdateClient = () => changeBehindTheBack(store, { name: 'Busy elsewhere' });
    const summary = await job.run();
    expect(summary.counts.client).toMatchObject({ scanned: 1, converted: 0, skipped: 1 });
    expect(store.clients.get(CLIENT)?.secretKey).toBe(CLIENT_SECRET);
  });
});

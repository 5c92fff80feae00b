import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MemoryStore } from '@tokenstore/cache';
import {
  createProtector,
  ErrorCode,
  fileCheckpoint,
  MisconfigurationError,
  memoryCheckpoint,
  type ProtectionOptions,
  RewrapJob,
  type RewrapOptions,
  type TokenStore,
  TokenStoreError,
} from '@tokenstore/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AES_A, AES_B, countAccepted, Deployment, ENCRYPT_AES, HASH, PEPPER_1, seed } from './protection-fixtures.js';

const N = 25;
const ROWS = 3 * N + 1;
const PLAIN_TO_HASH: ProtectionOptions = { ...HASH, fallback: [{ mode: 'plain' }] };

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tokenstore-rewrap-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function plainDeployment(count = N) {
  const deployment = new Deployment();
  const data = await seed(deployment.service({ mode: 'plain' }), count);
  return { deployment, data, service: deployment.service(PLAIN_TO_HASH) };
}

describe('RewrapJob', () => {
  it('converts access tokens, refresh tokens, codes and clients in bounded batches', async () => {
    const { deployment, service } = await plainDeployment();
    const summary = await new RewrapJob(service, { batchSize: 10 }).run();
    expect(summary.completed).toBe(true);
    for (const kind of ['accessToken', 'refreshToken', 'authorizationCode'] as const)
      expect(summary.counts[kind]).toEqual({ scanned: N, converted: N, current: 0, unconvertible: 0, failed: 0, skipped: 0 });
    expect(summary.counts.client).toMatchObject({ scanned: 1, converted: 1 });
    // 25 rows in pages of 10 take at least 3 pages per token kind, plus one for clients.
    expect(summary.batches).toBeGreaterThanOrEqual(10);
    expect(deployment.progress.length).toBe(summary.batches);
  });

  it('converts provider artifacts too, by default, when the store keeps them', async () => {
    const { deployment, service } = await plainDeployment(2);
    const plain = deployment.service({ mode: 'plain' });
    await plain.artifacts.upsert('Session', 'session-id', { uid: 'session-uid', accountId: 'alice' }, 3600);
    const summary = await new RewrapJob(service).run();
    expect(summary.completed).toBe(true);
    expect(summary.counts.artifact).toMatchObject({ converted: 1, failed: 0, skipped: 0 });
    expect([...(deployment.store as MemoryStore).artifacts.rows()].map((row) => row.key)).toEqual([
      expect.stringMatching(/^hmac-sha256:p1\$/),
    ]);
    const withoutFallback = deployment.service(HASH);
    expect(await withoutFallback.artifacts.find('Session', 'session-id')).toMatchObject({ accountId: 'alice' });
    expect(await withoutFallback.artifacts.findByUid('Session', 'session-uid')).toMatchObject({ accountId: 'alice' });
  });

  it("refuses kinds: ['artifact'] on a store that keeps no artifacts", () => {
    const store = { backend: 'custom', scan: async () => ({ rows: [], cursor: null }) } as unknown as TokenStore;
    expect(() => new RewrapJob({ store, protector: createProtector(HASH) }, { kinds: ['artifact'] })).toThrow(MisconfigurationError);
    expect(() => new RewrapJob({ store, protector: createProtector(HASH) })).not.toThrow();
  });

  it('resumes from the checkpoint after a crash mid-run, and the totals of the pass are right', async () => {
    const { data, service } = await plainDeployment();
    const path = join(directory, 'rewrap.json');

    const crashed = await new RewrapJob(service, { batchSize: 10, checkpoint: fileCheckpoint(path), abortAfterBatches: 4 }).run();
    expect(crashed).toMatchObject({ completed: false, stoppedBy: 'abortAfterBatches', batches: 4 });
    expect(crashed.totals.converted).toBeGreaterThan(0);
    expect(crashed.totals.converted).toBeLessThan(ROWS);
    // Half-migrated data is fully usable.
    expect(await countAccepted(service, data)).toEqual({ access: N, refresh: N, codes: N, secret: true });

    // A new process: a new job object reading the same file.
    const resumed = await new RewrapJob(service, { batchSize: 10, checkpoint: fileCheckpoint(path) }).run();
    expect(resumed).toMatchObject({ completed: true, resumed: true });
    expect(resumed.batches).toBeGreaterThan(4);
    expect(resumed.totals).toMatchObject({ scanned: ROWS, converted: ROWS, unconvertible: 0, failed: 0, skipped: 0 });
  });

  it('stops between batches when its AbortSignal fires, and the same job continues on the next run', async () => {
    const { deployment, service } = await plainDeployment();
    const controller = new AbortController();
    deployment.events.once('rewrap:progress', () => controller.abort());
    const job = new RewrapJob(service, { batchSize: 10, signal: controller.signal });
    expect(await job.run()).toMatchObject({ completed: false, stoppedBy: 'signal', batches: 1 });
    const rest = await new RewrapJob(service, { batchSize: 10, checkpoint: memoryCheckpoint() }).run();
    expect(rest.totals.converted).toBe(ROWS - 10);
  });

  it('converts nothing when run a second time', async () => {
    const { service } = await plainDeployment();
    const checkpoint = memoryCheckpoint();
    const first = await new RewrapJob(service, { batchSize: 10, checkpoint }).run();
    expect(first.totals.converted).toBe(ROWS);
    const second = await new RewrapJob(service, { batchSize: 10, checkpoint }).run();
    expect(second).toMatchObject({ completed: true, resumed: false });
    expect(second.totals).toMatchObject({ scanned: ROWS, converted: 0, current: ROWS });
  });

  it('reports progress with counts only: no token value, no lookup key, no cursor', async () => {
    const { deployment, data, service } = await plainDeployment(5);
    const keysBefore = (await deployment.storedForms()).map((form) => form.key);
    await new RewrapJob(service, { batchSize: 2 }).run();
    const keysAfter = (await deployment.storedForms()).map((form) => form.key);
    const events = JSON.stringify(deployment.progress);
    const secrets = [
      ...data.tokens.flatMap((t) => [t.accessToken, t.refreshToken]),
      ...data.codes,
      data.consumerSecret,
      ...keysBefore,
      ...keysAfter,
    ];
    expect(secrets.filter((secret) => events.includes(secret))).toEqual([]);
    expect(deployment.progress.every((event) => event.cursor === null && event.total === null && event.ratePerSecond >= 0)).toBe(true);
    const access = deployment.progress.filter((event) => event.kind === 'accessToken');
    expect(access.map((event) => [event.done, event.converted])).toEqual([
      [2, 2],
      [4, 4],
      [5, 5],
    ]);
  });

  it('counts a tampered sealed value as failed and carries on with the other rows', async () => {
    const deployment = new Deployment();
    const data = await seed(deployment.service(ENCRYPT_AES), 3);
    const [victim] = (await deployment.store.scan('accessToken', { cursor: null, limit: 1 })).rows;
    const tampered = `${victim!.value!.slice(0, -6)}AAAA==`;
    await deployment.store.replaceKey('accessToken', victim!.key, { ...victim!, value: tampered });

    const rotating = deployment.service({
      mode: 'encrypt',
      peppers: [PEPPER_1],
      cipher: { algorithm: 'aes-256-gcm', keys: [AES_A, AES_B], activeKey: 'kB' },
    });
    const summary = await new RewrapJob(rotating).run();
    expect(summary.counts.accessToken).toMatchObject({ converted: 2, failed: 1 });
    expect(summary.totals).toMatchObject({ converted: 3 * 3 + 1 - 1, failed: 1 });
    expect(data.tokens).toHaveLength(3);
  });

  it('keeps the checkpoint file private (mode 0600) and removes it on clear()', async () => {
    const { service } = await plainDeployment(3);
    const path = join(directory, 'nested', 'rewrap.json');
    const checkpoint = fileCheckpoint(path);
    await new RewrapJob(service, { checkpoint, batchSize: 2, abortAfterBatches: 1 }).run();
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1, finished: false, batches: 1 });
    await checkpoint.clear();
    expect(await checkpoint.load()).toBeNull();
  });

  it('refuses a checkpoint file that is not a rewrap state', async () => {
    const path = join(directory, 'other.json');
    await writeFile(path, '{"hello":"world"}');
    const error = await fileCheckpoint(path)
      .load()
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect((error as TokenStoreError).code).toBe(ErrorCode.BackendError);
  });

  it('validates its options at construction', async () => {
    const { service } = await plainDeployment(1);
    const invalid: Array<[RewrapOptions, string]> = [
      [{ batchSize: 0 }, 'rewrap.batchSize'],
      [{ batchSize: 1.5 }, 'rewrap.batchSize'],
      [{ kinds: [] }, 'rewrap.kinds'],
      [{ kinds: ['session' as 'client'] }, 'rewrap.kinds'],
      [{ abortAfterBatches: 0 }, 'rewrap.abortAfterBatches'],
      [{ pauseBetweenBatchesMs: -1 }, 'rewrap.pauseBetweenBatchesMs'],
    ];
    for (const [options, field] of invalid)
      expect(() => new RewrapJob(service, options)).toThrow(expect.objectContaining({ code: ErrorCode.Misconfiguration, field }));
  });

  it('refuses to run twice at the same time', async () => {
    const { service } = await plainDeployment(3);
    const job = new RewrapJob(service, { batchSize: 1 });
    const first = job.run();
    await expect(job.run()).rejects.toBeInstanceOf(MisconfigurationError);
    expect((await first).completed).toBe(true);
  });

  it('converts only the kinds it is given, in their order', async () => {
    const { service } = await plainDeployment(4);
    const summary = await new RewrapJob(service, { kinds: ['client', 'authorizationCode'] }).run();
    expect(summary.counts.client.converted).toBe(1);
    expect(summary.counts.authorizationCode.converted).toBe(4);
    expect(summary.counts.accessToken.scanned).toBe(0);
  });

  it('starts a fresh pass when the checkpoint was written for other kinds', async () => {
    const { service } = await plainDeployment(4);
    const checkpoint = memoryCheckpoint();
    await new RewrapJob(service, { kinds: ['client', 'authorizationCode'], checkpoint, batchSize: 1, abortAfterBatches: 1 }).run();
    const summary = await new RewrapJob(service, { checkpoint }).run();
    expect(summary).toMatchObject({ completed: true, resumed: false });
    expect(summary.totals.converted).toBe(3 * 4);
    expect(summary.counts.client.current).toBe(1);
  });
});

describe('RewrapJob with a peppered HMAC from plain', () => {
  it('uses the active pepper of the configuration', async () => {
    const { deployment, service } = await plainDeployment(2);
    await new RewrapJob(service).run();
    expect((await deployment.storedForms()).every((form) => form.key.startsWith(`hmac-sha256:${PEPPER_1.id}$`))).toBe(true);
  });
});

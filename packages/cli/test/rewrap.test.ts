import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@tokenstore/cache';
import { createProtector, ManualClock, TokenService } from '@tokenstore/core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RewrapReport } from '../src/index.js';
import { cli } from './support/cli.js';

const PEPPER = randomBytes(32).toString('base64');
const HASH_ENV = { TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_PEPPERS: `p1:${PEPPER}`, TOKENSTORE_PROTECTION_FALLBACK: 'plain' };

describe('tokenstore rewrap (plain → hash on the memory store)', () => {
  let clock: ManualClock;
  let store: MemoryStore;
  let tokens: string[];
  let clientSecret: string;
  let checkpoint: string;

  beforeEach(async () => {
    clock = new ManualClock();
    store = new MemoryStore({ clock });
    store.close = async () => undefined;
    const plain = new TokenService({ store, clock });
    const client = await plain.registerClient({ consumerKey: 'app' });
    clientSecret = client.consumerSecret;
    tokens = [];
    for (let i = 0; i < 7; i++) tokens.push((await plain.issueAccessToken({ consumerKey: 'app', userId: `u${i}` })).accessToken);
    checkpoint = join(mkdtempSync(join(tmpdir(), 'tokenstore-cli-rewrap-')), 'rewrap.json');
  });

  const rewrap = (args: string[]) => cli(['rewrap', ...args], { env: HASH_ENV, clock, openStore: async () => store });

  it('stops after --max-batches with exit code 3 and a checkpoint, then resumes and converts every row', async () => {
    const first = await rewrap(['--json', '--checkpoint', checkpoint, '--batch-size', '2', '--max-batches', '2']);
    expect(first.code).toBe(3);
    const partial = JSON.parse(first.stdout) as RewrapReport;
    expect(partial).toMatchObject({
      completed: false,
      stoppedBy: 'abortAfterBatches',
      resumed: false,
      batches: 2,
      checkpoint,
      checkpointCleared: false,
    });
    expect(partial.counts.accessToken.converted).toBe(4);
    expect(existsSync(checkpoint)).toBe(true);
    expect(statSync(checkpoint).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(checkpoint, 'utf8'))).toMatchObject({ version: 1, finished: false, batches: 2 });

    const second = await rewrap(['--json', '--checkpoint', checkpoint, '--batch-size', '2']);
    expect(second.code).toBe(0);
    const done = JSON.parse(second.stdout) as RewrapReport;
    expect(done).toMatchObject({ completed: true, resumed: true, checkpointCleared: true, backend: 'memory' });
    expect(done.counts.accessToken).toMatchObject({ scanned: 7, converted: 7, failed: 0 });
    expect(done.counts.client).toMatchObject({ converted: 1 });
    expect(done.protection).toBe('hash (hmac-sha256, pepper p1); fallback: plain');
    expect(existsSync(checkpoint)).toBe(false);

    // Every row is now keyed by its HMAC with nothing recoverable kept; every token and the secret still work without the fallback.
    const page = await store.scan('accessToken', { cursor: null, limit: 100 });
    expect(page.rows).toHaveLength(7);
    for (const row of page.rows) {
      expect(row.key).toMatch(/^hmac-sha256:p1\$/);
      expect(row.value).toBeNull();
    }
    const hashed = new TokenService({
      store,
      clock,
      protector: createProtector({ mode: 'hash', peppers: [{ id: 'p1', secret: PEPPER }] }),
    });
    for (const token of tokens) expect(await hashed.validateAccessToken(token)).not.toBeNull();
    expect(await hashed.verifyClientSecret('app', clientSecret)).toBe(true);
  });

  it('a second pass converts nothing and says the fallback can go', async () => {
    expect((await rewrap([])).code).toBe(0);
    const again = await rewrap([]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/total\s+8\s+0\s+8\s+0\s+0\s+0/);
    expect(again.stdout).toContain('the fallback (TOKENSTORE_PROTECTION_FALLBACK, old peppers/keys) can be removed');
    // The memory store keeps provider artifacts: they are a kind of the pass like the others.
    expect(again.stdout).toMatch(/provider artifacts\s+0\s+0\s+0\s+0\s+0\s+0/);
  });

  it('converts only the kinds asked for', async () => {
    const { code, stdout } = await rewrap(['--json', '--kinds', 'client']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as RewrapReport;
    expect(report.totals).toMatchObject({ scanned: 1, converted: 1 });
    expect(report.counts.accessToken.scanned).toBe(0);
  });

  it('stops between batches when interrupted, with exit code 3', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await cli(['rewrap', '--json', '--no-count', '--checkpoint', checkpoint], {
      env: HASH_ENV,
      clock,
      openStore: async () => store,
      signal: controller.signal,
    });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ completed: false, stoppedBy: 'signal' });
  });

  it('refuses an unknown kind with exit code 2', async () => {
    const result = await rewrap(['--kinds', 'accessToken,cookies']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--kinds');
  });

  it('never writes the pepper or a token to its output', async () => {
    const result = await rewrap(['--json']);
    const all = result.stdout + result.stderr;
    expect(all).not.toContain(PEPPER);
    for (const token of tokens) expect(all).not.toContain(token);
  });
});

import { MemoryStore } from '@tokenstore/cache';
import { describe, expect, it } from 'vitest';
import { isolatedDatabaseUrl } from '../../rdbms/test/support/isolated-database.js';
import type { BenchReport } from '../src/index.js';
import { cli } from './support/cli.js';

const POSTGRES_URL = process.env.TOKENSTORE_TEST_POSTGRES_URL;
if (!POSTGRES_URL) console.log('[cli] postgres: bench raw-driver test skipped — TOKENSTORE_TEST_POSTGRES_URL is not set');

describe('tokenstore bench', () => {
  it('measures issue and validate on the memory store and removes its client afterwards (--json)', async () => {
    const store = new MemoryStore();
    store.close = async () => undefined;
    const { code, stdout } = await cli(['bench', '--json', '--duration', '1', '--concurrency', '2', '--tokens', '20'], {
      openStore: async () => store,
    });
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as BenchReport;
    expect(report).toMatchObject({ backend: 'memory', protection: 'plain', durationSeconds: 1, concurrency: 2, tokens: 20 });
    expect(report.results.map((result) => result.operation)).toEqual(['issue', 'validate']);
    for (const result of report.results) {
      expect(result.operations).toBeGreaterThan(0);
      expect(result.opsPerSecond).toBeGreaterThan(0);
      expect(result.raw).toBeNull();
      expect(result.ratio).toBeNull();
    }
    const clients = await store.scan('client', { cursor: null, limit: 10 });
    expect(clients.rows).toEqual([]);
  });

  it('validates tokens the store still holds when issuing outruns its maxEntries (the oldest are evicted)', async () => {
    // A second of issuing fills a 50-row store many times over: the tokens validated must be recent ones.
    const store = new MemoryStore({ maxEntries: 50 });
    store.close = async () => undefined;
    const { code, stderr } = await cli(['bench', '--json', '--duration', '1', '--concurrency', '2', '--tokens', '20'], {
      openStore: async () => store,
    });
    expect(stderr).not.toContain('did not validate');
    expect(code).toBe(0);
  });

  it('prints a table without --json', async () => {
    const { code, stdout } = await cli(['bench', '--duration', '1', '--concurrency', '1', '--tokens', '5']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/operation\s+ops\/s\s+mean ms\s+raw driver ops\/s\s+store \/ raw/);
    expect(stdout).toMatch(/^validate\s+[\d,]+/m);
  });

  it.skipIf(!POSTGRES_URL)('compares validation with the same SQL on the bare pg driver', async () => {
    const url = await isolatedDatabaseUrl('postgres', POSTGRES_URL!, 'tokenstore_cli_bench');
    const env = { TOKENSTORE_URL: url, TOKENSTORE_MIGRATE: 'true' };
    expect((await cli(['migrate'], { env })).code).toBe(0);
    const { code, stdout, stderr } = await cli(['bench', '--json', '--duration', '1', '--concurrency', '4', '--tokens', '50'], { env });
    expect(stderr).not.toContain('Error');
    expect(code).toBe(0);
    const validate = (JSON.parse(stdout) as BenchReport).results.find((result) => result.operation === 'validate')!;
    expect(validate.raw?.description).toBe('pg Pool.query, same SQL');
    expect(validate.raw!.opsPerSecond).toBeGreaterThan(0);
    expect(validate.ratio).toBeCloseTo(validate.opsPerSecond / validate.raw!.opsPerSecond, 6);
  });
});

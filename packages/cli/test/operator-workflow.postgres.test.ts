import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProtector, ManualClock, TokenService } from '@tokenstore/core';
import { createSqlStore, type SqlStore } from '@tokenstore/rdbms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedDatabaseUrl } from '../../rdbms/test/support/isolated-database.js';
import type { MigrateReport, PurgeReport, RewrapReport, StatsReport } from '../src/index.js';
import { cli } from './support/cli.js';

/**
 * An operator's day on a real PostgreSQL database, through the commands alone: migrate, stats, purge
 * (with the clock moved past the tokens' expiry), then a plain → hash rewrap after which every token
 * still validates. The other CLI tests use the memory store or stubs; this one proves the commands
 * against persistence that outlives each command.
 */
const NAME = 'tokenstore_cli_workflow';
const SERVER_URL = process.env.TOKENSTORE_TEST_POSTGRES_URL;
const HOUR = 3_600_000;

if (!SERVER_URL) console.log('[cli] postgres: operator workflow skipped — TOKENSTORE_TEST_POSTGRES_URL is not set');

describe.skipIf(!SERVER_URL)('operator workflow on PostgreSQL: migrate, stats, purge, rewrap', () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const pepper = randomBytes(32).toString('base64');
  let url: string;
  let store: SqlStore;
  let service: TokenService;
  const live: string[] = [];

  beforeAll(async () => {
    url = await isolatedDatabaseUrl('postgres', SERVER_URL as string, NAME);
  });

  afterAll(async () => {
    await service?.close();
  });

  const run = (argv: string[], env: Record<string, string> = {}) => cli(argv, { env: { TOKENSTORE_URL: url, ...env }, clock });

  it('migrate applies the schema, then has nothing left to do', async () => {
    const first = await run(['migrate', '--json']);
    expect(first.code).toBe(0);
    // Every file shipped in sql/postgres, in order (other issues add files: the expectation follows the folder).
    const shipped = readdirSync(fileURLToPath(new URL('../../../sql/postgres/', import.meta.url)))
      .filter((name) => /^\d{3}_\w+\.sql$/.test(name))
      .sort();
    expect(shipped.slice(0, 5)).toEqual([
      '001_tokens.sql',
      '002_audit.sql',
      '003_client_policy.sql',
      '004_count_index.sql',
      '005_artifacts.sql',
    ]);
    expect((JSON.parse(first.stdout) as MigrateReport).applied).toEqual(shipped);
    const second = await run(['migrate', '--json']);
    expect((JSON.parse(second.stdout) as MigrateReport).applied).toEqual([]);
  });

  it('stats counts what an application issued, by kind and state', async () => {
    store = await createSqlStore({ url });
    service = new TokenService({ store, clock });
    await service.registerClient({ consumerKey: 'shop' });
    for (let i = 0; i < 5; i++) await service.issueAccessToken({ consumerKey: 'shop', userId: `short-${i}`, validitySeconds: 60 });
    for (let i = 0; i < 3; i++)
      live.push((await service.issueAccessToken({ consumerKey: 'shop', userId: `long-${i}`, validitySeconds: 86_400 })).accessToken);
    const revoked = await service.issueAccessToken({ consumerKey: 'shop', userId: 'gone', validitySeconds: 86_400 });
    await service.revokeAccessToken(revoked.accessToken);

    const { code, stdout } = await run(['stats', '--json']);
    expect(code).toBe(0);
    const stats = JSON.parse(stdout) as StatsReport;
    expect(stats.tokens.accessToken).toMatchObject({ ACTIVE: 8, REVOKED: 1, total: 9 });
    expect(stats.clients).toBe(1);
  });

  it('purge removes the expired tokens once the clock has passed them, and keeps the rest', async () => {
    clock.advance(2 * HOUR);
    const { code, stdout } = await run(['purge', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as PurgeReport;
    // The five 60-second tokens; the revoked (unexpired) one stays for the retention window (a day by default).
    expect(report.removed).toEqual({ accessToken: 5, refreshToken: 0, authorizationCode: 0 });
    const after = JSON.parse((await run(['stats', '--json'])).stdout) as StatsReport;
    expect(after.tokens.accessToken).toMatchObject({ ACTIVE: 3, REVOKED: 1, total: 4 });
  });

  it('rewrap moves every row to hash, and the tokens and the client secret still work under hash alone', async () => {
    const secret = (await service.regenerateClientSecret('shop')) as string;
    const env = { TOKENSTORE_PROTECTION: 'hash', TOKENSTORE_PEPPERS: `p1:${pepper}`, TOKENSTORE_PROTECTION_FALLBACK: 'plain' };
    const checkpoint = join(mkdtempSync(join(tmpdir(), 'tokenstore-cli-workflow-')), 'rewrap.json');
    const { code, stdout, stderr } = await run(['rewrap', '--json', '--checkpoint', checkpoint, '--batch-size', '2'], env);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as RewrapReport;
    expect(report.completed).toBe(true);
    expect(report.counts.accessToken).toMatchObject({ scanned: 4, converted: 4, failed: 0 });
    expect(report.counts.client).toMatchObject({ converted: 1 });
    for (const value of [...live, secret, pepper]) expect(stdout + stderr).not.toContain(value);

    const hashed = new TokenService({
      store: await createSqlStore({ url }),
      clock,
      protector: createProtector({ mode: 'hash', peppers: [{ id: 'p1', secret: pepper }] }),
    });
    try {
      for (const token of live) expect(await hashed.validateAccessToken(token)).not.toBeNull();
      expect(await hashed.verifyClientSecret('shop', secret)).toBe(true);
    } finally {
      await hashed.close();
    }
  });
});

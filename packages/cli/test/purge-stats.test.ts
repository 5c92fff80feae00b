import { MemoryStore } from '@tokenstore/cache';
import { ManualClock, TokenService } from '@tokenstore/core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PurgeReport, StatsReport } from '../src/index.js';
import { cli } from './support/cli.js';

const HOUR = 3600;

/**
 * A memory store shared by the test and the command (the command's `close()` is a no-op), kept longer
 * than the service's retention so rows that became purgeable are still there for purge to delete.
 */
function fixture() {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  store.useRetention({ inactiveSeconds: 20 * 86400, expiredSeconds: 20 * 86400 });
  store.close = async () => undefined;
  const service = new TokenService({ store, clock });
  const run = (argv: string[]) => cli(argv, { clock, openStore: async () => store });
  return { clock, store, service, run };
}

async function seed(service: TokenService) {
  const { consumerKey } = await service.registerClient({ name: 'app' });
  // 3 short-lived application tokens, 2 long-lived user tokens with refresh tokens, 1 never-expiring token.
  for (let i = 0; i < 3; i++) await service.issueAccessToken({ consumerKey, scopes: `s${i}`, validitySeconds: HOUR });
  const users = [];
  for (let i = 0; i < 2; i++)
    users.push(await service.issueAccessToken({ consumerKey, userId: `u${i}`, validitySeconds: 10 * HOUR, issueRefreshToken: true }));
  await service.issueAccessToken({ consumerKey, userId: 'robot', validitySeconds: -1 });
  // One grant revoked through its refresh token (RFC 7009: the access token with it), one code issued.
  await service.revokeRefreshToken(users[0]!.refreshToken!);
  await service.issueAuthorizationCode({ consumerKey, userId: 'u0', validitySeconds: 300 });
  return { consumerKey };
}

describe('tokenstore stats', () => {
  let f: ReturnType<typeof fixture>;
  beforeEach(() => {
    f = fixture();
  });

  it('counts tokens by kind and state, and clients (--json)', async () => {
    await seed(f.service);
    const { code, stdout } = await f.run(['stats', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as StatsReport;
    expect(report.backend).toBe('memory');
    expect(report.at).toBe(new Date(f.clock.now()).toISOString());
    expect(report.clients).toBe(1);
    expect(report.tokens.accessToken).toEqual({ ACTIVE: 5, INACTIVE: 0, REVOKED: 1, EXPIRED: 0, total: 6, neverExpires: 1 });
    expect(report.tokens.refreshToken).toMatchObject({ total: 2 });
    expect(report.tokens.authorizationCode).toEqual({ ACTIVE: 1, INACTIVE: 0, REVOKED: 0, EXPIRED: 0, total: 1, neverExpires: 0 });
  });

  it('counts ACTIVE rows past their expiry as EXPIRED, by the service clock', async () => {
    await seed(f.service);
    f.clock.advanceSeconds(2 * HOUR);
    const report = JSON.parse((await f.run(['stats', '--json'])).stdout) as StatsReport;
    expect(report.tokens.accessToken).toMatchObject({ ACTIVE: 2, EXPIRED: 3, REVOKED: 1, total: 6 });
    expect(report.tokens.authorizationCode).toMatchObject({ ACTIVE: 0, EXPIRED: 1 });
  });

  it('counts tokens through the store’s count primitive, without scanning a token table', async () => {
    await seed(f.service);
    const scanned: string[] = [];
    const scan = f.store.scan.bind(f.store);
    f.store.scan = (async (kind: string, request: Parameters<typeof scan>[1]) => {
      scanned.push(kind);
      return scan(kind as never, request);
    }) as typeof f.store.scan;
    const report = JSON.parse((await f.run(['stats', '--json'])).stdout) as StatsReport;
    expect(report.tokens.accessToken).toEqual({ ACTIVE: 5, INACTIVE: 0, REVOKED: 1, EXPIRED: 0, total: 6, neverExpires: 1 });
    expect(report.exact).toBe(true);
    expect(scanned.filter((kind) => kind !== 'client')).toEqual([]);
  });

  it('prints a table without --json', async () => {
    await seed(f.service);
    const { code, stdout } = await f.run(['stats']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/kind\s+ACTIVE\s+INACTIVE\s+REVOKED\s+EXPIRED\s+total\s+never expire/);
    expect(stdout).toMatch(/access tokens\s+5\s+0\s+1\s+0\s+6\s+1/);
    expect(stdout).toContain('clients: 1');
  });
});

describe('tokenstore purge', () => {
  let f: ReturnType<typeof fixture>;
  beforeEach(() => {
    f = fixture();
  });

  it('removes nothing while everything is valid', async () => {
    await seed(f.service);
    const report = JSON.parse((await f.run(['purge', '--json'])).stdout) as PurgeReport;
    expect(report).toMatchObject({
      total: 0,
      // From the store's count: retired rows (the revoked grant's two) and rows past expiry, an upper
      // bound of what purge deletes (these two are still inside their retention window).
      counted: 2,
      backlog: false,
      removed: { accessToken: 0, refreshToken: 0, authorizationCode: 0 },
    });
  });

  it('removes expired rows once the clock passes their expiry, with counts per kind (--json)', async () => {
    await seed(f.service);
    f.clock.advanceSeconds(2 * HOUR);
    const { code, stdout } = await f.run(['purge', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as PurgeReport;
    expect(report).toMatchObject({
      backend: 'memory',
      removed: { accessToken: 3, refreshToken: 0, authorizationCode: 1 },
      total: 4,
      counted: 6,
      backlog: false,
    });
    expect(report.runs).toBeGreaterThanOrEqual(1);
    const stats = JSON.parse((await f.run(['stats', '--json'])).stdout) as StatsReport;
    expect(stats.tokens.accessToken).toMatchObject({ ACTIVE: 2, EXPIRED: 0, REVOKED: 1, total: 3 });
  });

  it('removes revoked rows once the retention window (TOKENSTORE_RETENTION) and their expiry have passed', async () => {
    await seed(f.service);
    const purge = async () =>
      JSON.parse(
        (await cli(['purge', '--json'], { env: { TOKENSTORE_RETENTION: '3600' }, clock: f.clock, openStore: async () => f.store })).stdout,
      ) as PurgeReport;
    f.clock.advanceSeconds(2 * HOUR);
    // The 3 expired access tokens and the code; the revoked grant is past its retention window but not expired yet.
    expect((await purge()).removed).toEqual({ accessToken: 3, refreshToken: 0, authorizationCode: 1 });
    f.clock.advanceSeconds(9 * HOUR);
    // Past the 10 h user tokens: the revoked one and the expired live one go; refresh tokens live a day.
    expect((await purge()).removed).toEqual({ accessToken: 2, refreshToken: 0, authorizationCode: 0 });
  });

  it('works in bounded batches (--batch-size) and reports the runs; --no-count skips the count', async () => {
    await seed(f.service);
    f.clock.advanceSeconds(2 * HOUR);
    const report = JSON.parse((await f.run(['purge', '--json', '--batch-size', '1', '--no-count'])).stdout) as PurgeReport;
    expect(report.total).toBe(4);
    expect(report.counted).toBeNull();
    expect(report.batches).toBeGreaterThanOrEqual(4);
  });

  it('takes its progress total from the store’s count primitive, without a counting scan', async () => {
    await seed(f.service);
    f.clock.advanceSeconds(2 * HOUR);
    const scanned: string[] = [];
    const scan = f.store.scan.bind(f.store);
    f.store.scan = (async (kind: string, request: Parameters<typeof scan>[1]) => {
      scanned.push(kind);
      return scan(kind as never, request);
    }) as typeof f.store.scan;
    const report = JSON.parse((await f.run(['purge', '--json'])).stdout) as PurgeReport;
    expect(report.total).toBe(4);
    // Retired rows and ACTIVE rows past expiry: an upper bound of what purge may delete.
    expect(report.counted).toBeGreaterThanOrEqual(report.total);
    expect(scanned).toEqual([]);
  });

  it('prints a table without --json', async () => {
    await seed(f.service);
    f.clock.advanceSeconds(2 * HOUR);
    const { stdout } = await f.run(['purge']);
    expect(stdout).toMatch(/access tokens\s+3/);
    expect(stdout).toMatch(/authorization codes\s+1/);
    expect(stdout).toMatch(/total\s+4/);
  });

  it('exits 1 when another node holds the purge lease', async () => {
    f.store.acquirePurgeLease = async () => false;
    const { code, stderr } = await f.run(['purge']);
    expect(code).toBe(1);
    expect(stderr).toContain('another node holds the purge lease');
  });

  it('exits 2 on a bad option value', async () => {
    const { code, stderr } = await f.run(['purge', '--batch-size', 'many']);
    expect(code).toBe(2);
    expect(stderr).toContain('--batch-size');
  });
});

import { describe, expect, it } from 'vitest';
import { isolatedDatabaseUrl } from '../../rdbms/test/support/isolated-database.js';
import type { MigrateReport, StartTokenServer, StatsReport } from '../src/index.js';
import { cli, until } from './support/cli.js';

/** Schema / database / keyspace of this file only, so runs of other suites never collide with it. */
const NAME = 'tokenstore_cli_migrate';

const POSTGRES_URL = process.env.TOKENSTORE_TEST_POSTGRES_URL;
const MYSQL_URL = process.env.TOKENSTORE_TEST_MYSQL_URL;
const CASSANDRA_URL = process.env.TOKENSTORE_TEST_CASSANDRA_URL;

if (!POSTGRES_URL) console.log('[cli] postgres: migrate tests skipped — TOKENSTORE_TEST_POSTGRES_URL is not set');
if (!MYSQL_URL) console.log('[cli] mysql: migrate tests skipped — TOKENSTORE_TEST_MYSQL_URL is not set');
if (!CASSANDRA_URL) console.log('[cli] cassandra: migrate test skipped — TOKENSTORE_TEST_CASSANDRA_URL is not set');

/** `serve` against the real store with a stand-in HTTP server, stopped once it has started. */
async function serveOnce(env: Record<string, string>) {
  let started = false;
  const startTokenServer: StartTokenServer = async ({ host, port }) => {
    started = true;
    return { url: `http://${host}:${port}`, host, port, close: async () => undefined };
  };
  const controller = new AbortController();
  const running = cli(['serve'], { env, signal: controller.signal, startTokenServer });
  await Promise.race([until(() => (started ? true : undefined), 'serve to start'), running]);
  controller.abort();
  return running;
}

describe('tokenstore migrate', () => {
  it('has nothing to do on memory:, and says so', async () => {
    const text = await cli(['migrate']);
    expect(text).toMatchObject({ code: 0, stdout: 'memory: nothing to migrate (the in-memory store has no schema)\n' });
    const json = await cli(['migrate', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      backend: 'memory',
      applied: [],
      version: null,
      upToDate: true,
      message: 'memory: nothing to migrate (the in-memory store has no schema)',
    });
  });

  it('exits 1 when the database cannot be reached', async () => {
    const result = await cli(['migrate'], { env: { TOKENSTORE_URL: 'postgres://postgres:hunter2pw@127.0.0.1:1/none' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tokenstore: /);
    expect(result.stderr).not.toContain('hunter2pw');
  });

  it('exits 2 naming the package to install when the driver is missing', async () => {
    const result = await cli(['migrate'], { env: { TOKENSTORE_URL: 'db2://db2inst1:pw@127.0.0.1:50000/tokens' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('npm install ibm_db');
  });

  for (const [backend, serverUrl] of [
    ['postgres', POSTGRES_URL],
    ['mysql', MYSQL_URL],
  ] as const) {
    it.skipIf(!serverUrl)(`applies the ${backend} schema, and a second run finds it up to date`, async () => {
      const url = await isolatedDatabaseUrl(backend, serverUrl!, NAME);
      const env = { TOKENSTORE_URL: url };
      const first = await cli(['migrate', '--json'], { env });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const applied = JSON.parse(first.stdout) as MigrateReport;
      expect(applied.backend).toBe(backend);
      expect(applied.applied.length).toBeGreaterThan(0);
      expect(applied.applied[0]).toMatch(/^001_/);
      expect(applied.upToDate).toBe(false);
      expect(applied.version).toBe(Number(applied.applied.at(-1)!.slice(0, 3)));

      const second = await cli(['migrate', '--json'], { env });
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ backend, applied: [], upToDate: true, version: applied.version });
      const text = await cli(['migrate'], { env });
      expect(text.stdout).toContain(`schema up to date (version ${applied.version})`);
      expect(text.stdout).not.toContain('@');

      // The migrated database answers the other commands.
      const stats = await cli(['stats', '--json'], { env });
      expect(stats.code).toBe(0);
      expect((JSON.parse(stats.stdout) as StatsReport).tokens.accessToken.total).toBe(0);

      // serve registers its clients; a restart with a new secret and grants updates them instead of failing.
      const secrets = ['first-secret-for-the-cli-test-0123456789', 'second-secret-for-the-cli-test-0123456789'];
      for (const [index, grants] of ['client_credentials', 'client_credentials,refresh_token'].entries()) {
        const server = await serveOnce({ ...env, TOKENSTORE_CLIENTS: `cli-app:${secrets[index]}:${grants}` });
        expect(server.code).toBe(0);
        expect(server.stderr).toContain(`client "cli-app" ${index === 0 ? 'created' : 'updated'}`);
      }
      const after = JSON.parse((await cli(['stats', '--json'], { env })).stdout) as StatsReport;
      expect(after.clients).toBe(1);
    });
  }

  it.skipIf(!CASSANDRA_URL)('creates the Cassandra keyspace and tables, and a second run keeps them', async () => {
    const url = new URL(CASSANDRA_URL!.replace(/^cassandra:/, 'http:'));
    const env = { TOKENSTORE_URL: `cassandra://${url.host}/${NAME}${url.search}` };
    for (let run = 0; run < 2; run++) {
      const result = await cli(['migrate', '--json'], { env });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as MigrateReport;
      expect(report.backend).toBe('cassandra');
      expect(report.applied[0]).toMatch(/^001_/);
      expect(report.message).toContain(`keyspace ${NAME} has the schema`);
    }
  });
});

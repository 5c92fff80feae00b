import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ErrorCode, type StoredAccessToken } from '@tokenstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TABLES, AUDIT_TABLES, createSqlStore, SCHEMA_VERSION_TABLE, type SqlStore, TOKEN_TABLES } from '../../src/index.js';
import { defaultMigrationsDirectory } from '../../src/migrations/migration-files.js';
import { caught } from './caught.js';
import type { TestBackend, TestEnvironment } from './environment.js';
import { TestDatabase } from './test-database.js';

const NOW = Date.UTC(2030, 0, 1);

function accessToken(key: string, expiresAt: number | null): StoredAccessToken {
  return {
    key,
    value: null,
    consumerKey: 'client',
    userId: 'user',
    userType: 'APPLICATION_USER',
    scopes: ['a', 'b'],
    grantId: 'grant',
    state: 'ACTIVE',
    issuedAt: NOW - 1000,
    expiresAt,
    stateChangedAt: NOW - 1000,
    reuseKey: `reuse-${key}`,
    exclusive: false,
    grantType: 'client_credentials',
  };
}

/** Behaviour of the SQL store against a real database that the conformance suite does not cover. */
export function describeIntegration(backend: TestBackend, environment: TestEnvironment): void {
  if (environment.skip !== undefined) {
    console.log(`[rdbms] ${backend} integration: skipped — ${environment.skip}`);
    describe.skip(`${backend} integration (skipped: ${environment.skip})`, () => {
      it('runs against a database', () => {});
    });
    return;
  }
  const serverUrl = environment.url;
  // The dialect's schema files as shipped (other issues add files: the expectations follow the folder).
  const files = readdirSync(join(defaultMigrationsDirectory(), backend))
    .filter((name) => /^\d{3}_\w+\.sql$/.test(name))
    .sort();
  const latest = Number(files.at(-1)!.slice(0, 3));
  const next = String(latest + 1).padStart(3, '0');
  const opened: TestDatabase[] = [];
  const open = async (name: string, options?: { migrate?: boolean }) => {
    const database = await TestDatabase.open(backend, serverUrl, name, options);
    opened.push(database);
    return database;
  };
  const connect = async (name: string) => {
    const database = await TestDatabase.connect(backend, serverUrl, name);
    opened.push(database);
    return database;
  };
  afterAll(async () => {
    for (const database of opened) await database.close();
  });

  describe(`${backend}: migrations`, () => {
    it('applies every schema file in order, records each version, and creates every table', async () => {
      const database = await open('tokenstore_migrate_fresh', { migrate: false });
      const store = await database.createStore();
      expect(files.slice(0, 5)).toEqual([
        '001_tokens.sql',
        '002_audit.sql',
        '003_client_policy.sql',
        '004_count_index.sql',
        '005_artifacts.sql',
      ]);
      expect(await store.migrate()).toEqual({ applied: files, version: latest });
      const versions = await database.query(`SELECT version, name FROM ${SCHEMA_VERSION_TABLE} ORDER BY version`);
      expect(versions.map((row) => [Number(row.version), row.name])).toEqual(files.map((name) => [Number(name.slice(0, 3)), name]));
      for (const table of ALL_TABLES) expect(await database.count(table)).toBe(0);
    });

    it('tells an operator to apply the schema when a store is used on a database without it', async () => {
      const database = await open('tokenstore_no_schema', { migrate: false });
      const store = await database.createStore();
      const error = await caught(store.get('accessToken', 'some-key'));
      expect(error.code).toBe(ErrorCode.Misconfiguration);
      expect(error.message).toMatch(/the tokenstore schema is missing or out of date in this database/);
      expect(error.message).toContain('migrate');
    });

    it('does nothing when run a second time', async () => {
      const database = await open('tokenstore_migrate_twice');
      const store = await database.createStore();
      expect(await store.migrate()).toEqual({ applied: [], version: latest });
      expect(await database.count(SCHEMA_VERSION_TABLE)).toBe(files.length);
    });

    it('applies the files exactly once when two processes start at the same time', async () => {
      const name = 'tokenstore_migrate_race';
      const first = await open(name, { migrate: false });
      const second = await connect(name);
      const [a, b] = await Promise.all([(await first.createStore()).migrate(), (await second.createStore()).migrate()]);
      expect([a.applied, b.applied].sort((x, y) => y.length - x.length)).toEqual([files, []]);
      expect([a.version, b.version]).toEqual([latest, latest]);
      expect(await first.count(SCHEMA_VERSION_TABLE)).toBe(files.length);
    });

    describe('from a folder of its own', () => {
      let directory: string;
      beforeAll(() => {
        directory = mkdtempSync(join(tmpdir(), 'tokenstore-migrations-'));
        cpSync(join(defaultMigrationsDirectory(), backend), join(directory, backend), { recursive: true });
      });
      afterAll(() => rmSync(directory, { recursive: true, force: true }));

      it('applies a file added later, and refuses to go on once an applied file was edited', async () => {
        const database = await open('tokenstore_migrate_folder', { migrate: false });
        const store = await database.createStore({ migrationsDirectory: directory });
        expect((await store.migrate()).version).toBe(latest);
        writeFileSync(join(directory, backend, `${next}_extra.sql`), 'CREATE TABLE tokenstore_extra (x INT);\n');
        expect(await store.migrate()).toEqual({ applied: [`${next}_extra.sql`], version: latest + 1 });
        await appendFile(join(directory, backend, '001_tokens.sql'), '\n-- edited after it was applied\n');
        const error = await caught(store.migrate());
        expect(error.code).toBe(ErrorCode.Misconfiguration);
        expect(error.message).toContain('001_tokens.sql');
      });

      it('keeps a failed file unrecorded, and undoes it entirely where DDL is transactional', async () => {
        const database = await open('tokenstore_migrate_failure', { migrate: false });
        const folder = mkdtempSync(join(tmpdir(), 'tokenstore-migrations-failing-'));
        cpSync(join(defaultMigrationsDirectory(), backend), join(folder, backend), { recursive: true });
        writeFileSync(
          join(folder, backend, `${next}_broken.sql`),
          'CREATE TABLE tokenstore_half (x INT);\nCREATE TABLE broken syntax here;\n',
        );
        try {
          const store = await database.createStore({ migrationsDirectory: folder });
          const error = await caught(store.migrate());
          expect(error.code).toBe(ErrorCode.BackendError);
          expect(error.message).toContain(`${next}_broken.sql`);
          expect(await database.count(SCHEMA_VERSION_TABLE)).toBe(files.length);
          const half = await database.query('SELECT COUNT(*) AS n FROM tokenstore_half').then(
            () => 'exists',
            () => 'absent',
          );
          expect(half).toBe(store.dialect.capabilities.supportsTransactionalDdl ? 'absent' : 'exists');
        } finally {
          rmSync(folder, { recursive: true, force: true });
        }
      });
    });
  });

  describe(`${backend}: creating a store from a URL`, () => {
    it('connects with the driver loaded on demand, migrates, and closes the pool it created', async () => {
      const database = await open('tokenstore_from_url', { migrate: false });
      const store = await createSqlStore({ url: database.url, migrate: true });
      expect(store.backend).toBe(backend);
      await store.insert('accessToken', accessToken('from-url', NOW + 60_000));
      expect(await database.count(TOKEN_TABLES.accessToken)).toBe(1);
      await store.close();
      expect((await caught(store.get('accessToken', 'from-url'))).code).toBe(ErrorCode.Closed);
    });

    it('reports an unreachable server as BACKEND_UNAVAILABLE without echoing the password', async () => {
      const unreachable = new URL(serverUrl);
      unreachable.port = '1';
      unreachable.password = 'pw-never-shown';
      const store = await createSqlStore({ url: unreachable.toString() });
      try {
        const error = await caught(store.get('accessToken', 'k'));
        expect(error.code).toBe(ErrorCode.BackendUnavailable);
        expect(inspect(error, { depth: 10 })).not.toContain('pw-never-shown');
      } finally {
        await store.close();
      }
    });
  });

  describe(`${backend}: store behaviour on a real driver`, () => {
    let database: TestDatabase;
    let store: SqlStore;
    beforeAll(async () => {
      database = await open('tokenstore_behaviour');
      store = await database.createStore();
    });

    it('reports a duplicate key as CONFLICT with no trace of the key in the error (driver detail, SQL text)', async () => {
      await database.clear();
      const key = 'duplicate-key-9c1e-must-stay-secret';
      await store.insert('accessToken', accessToken(key, NOW + 60_000));
      const error = await caught(store.insert('accessToken', accessToken(key, NOW + 60_000)));
      expect(error.code).toBe(ErrorCode.Conflict);
      expect(inspect(error, { depth: 10 })).not.toContain(key);
    });

    it('with archive on, moves purged rows to the audit table in the batch that deletes them', async () => {
      await database.clear();
      const archiving = await database.createStore({ archive: true });
      for (const key of ['gone-1', 'gone-2', 'gone-3']) await archiving.insert('accessToken', accessToken(key, NOW - 10));
      await archiving.insert('accessToken', accessToken('live', NOW + 60_000));
      const purged = await archiving.purge('accessToken', { now: NOW, expiredBefore: NOW, inactiveBefore: NOW - 86_400_000, limit: 2 });
      expect(purged).toBe(2);
      expect(await archiving.purge('accessToken', { now: NOW, expiredBefore: NOW, inactiveBefore: NOW - 86_400_000, limit: 2 })).toBe(1);
      const archived = await database.query(
        `SELECT token_key, archived_at, expires_at FROM ${AUDIT_TABLES.accessToken} ORDER BY token_key`,
      );
      expect(archived.map((row) => [row.token_key, Number(row.archived_at), Number(row.expires_at)])).toEqual([
        ['gone-1', NOW, NOW - 10],
        ['gone-2', NOW, NOW - 10],
        ['gone-3', NOW, NOW - 10],
      ]);
      expect((await database.query(`SELECT token_key FROM ${TOKEN_TABLES.accessToken}`)).map((row) => row.token_key)).toEqual(['live']);
    });

    it('without archive, leaves the audit table empty', async () => {
      await database.clear();
      await store.insert('accessToken', accessToken('gone', NOW - 10));
      expect(await store.purge('accessToken', { now: NOW, expiredBefore: NOW, inactiveBefore: NOW, limit: 10 })).toBe(1);
      expect(await database.count(AUDIT_TABLES.accessToken)).toBe(0);
    });

    it('hands the purge lease to one node at a time, and to another once it lapses or is released', async () => {
      await database.clear();
      const nodeA = store;
      const nodeB = await database.createStore();
      expect(await nodeA.acquirePurgeLease('node-a', NOW, 1000)).toBe(true);
      expect(await nodeB.acquirePurgeLease('node-b', NOW + 500, 1000)).toBe(false);
      expect(await nodeA.acquirePurgeLease('node-a', NOW + 500, 1000)).toBe(true); // renewed until NOW + 1500
      expect(await nodeA.acquirePurgeLease('node-a', NOW + 500, 1000)).toBe(true); // renewing with the same values still counts
      expect(await nodeB.acquirePurgeLease('node-b', NOW + 1499, 1000)).toBe(false);
      expect(await nodeB.acquirePurgeLease('node-b', NOW + 1500, 1000)).toBe(true); // node A's lease lapsed
      expect(await nodeA.acquirePurgeLease('node-a', NOW + 1600, 1000)).toBe(false);
      await nodeA.releasePurgeLease('node-a'); // not the holder: changes nothing
      expect(await nodeA.acquirePurgeLease('node-a', NOW + 1700, 1000)).toBe(false);
      await nodeB.releasePurgeLease('node-b');
      expect(await nodeA.acquirePurgeLease('node-a', NOW + 1800, 1000)).toBe(true);
    });

    it('lets exactly one of many concurrent nodes take a free lease', async () => {
      await database.clear();
      const nodes = await Promise.all(Array.from({ length: 8 }, () => database.createStore()));
      const won = await Promise.all(nodes.map((node, i) => node.acquirePurgeLease(`node-${i}`, NOW, 10_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
    });
  });
}

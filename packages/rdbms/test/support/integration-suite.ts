import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ErrorCode, type StoredAccessToken, type TokenKind } from '@tokenstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TABLES, AUDIT_TABLES, createSqlStore, SCHEMA_VERSION_TABLE, type SqlStore, TOKEN_TABLES } from '../../src/index.js';
import { defaultMigrationsDirectory } from '../../src/migrations/migration-files.js';
import { bulkKey, bulkLoadTokens } from './bulk-load.js';
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
    // The files shipped in sql/<dialect>/, numbered 001, 002, … without a gap (the runner applies what is there).
    const shipped = readdirSync(join(defaultMigrationsDirectory(), backend))
      .filter((name) => /^\d{3}_[a-z0-9_]+\.sql$/.test(name))
      .sort();
    const latest = shipped.length;
    const nextFile = (suffix: string) => `${String(latest + 1).padStart(3, '0')}_${suffix}.sql`;

    it('ships the schema files numbered without a gap, from the tokens table on', () => {
      expect(shipped.slice(0, 4)).toEqual(['001_tokens.sql', '002_audit.sql', '003_client_policy.sql', '004_count_index.sql']);
      expect(shipped.map((name) => Number(name.slice(0, 3)))).toEqual(shipped.map((_, i) => i + 1));
    });

    it('applies every schema file in order, records each version, and creates every table', async () => {
      const database = await open('tokenstore_migrate_fresh', { migrate: false });
      const store = await database.createStore();
      expect(await store.migrate()).toEqual({ applied: shipped, version: latest });
      const versions = await database.query(`SELECT version, name FROM ${SCHEMA_VERSION_TABLE} ORDER BY version`);
      expect(versions.map((row) => [Number(row.version), row.name])).toEqual(shipped.map((name, i) => [i + 1, name]));
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
      expect(await database.count(SCHEMA_VERSION_TABLE)).toBe(latest);
    });

    it('applies the files exactly once when two processes start at the same time', async () => {
      const name = 'tokenstore_migrate_race';
      const first = await open(name, { migrate: false });
      const second = await connect(name);
      const [a, b] = await Promise.all([(await first.createStore()).migrate(), (await second.createStore()).migrate()]);
      expect([a.applied, b.applied].sort((x, y) => y.length - x.length)).toEqual([shipped, []]);
      expect([a.version, b.version]).toEqual([latest, latest]);
      expect(await first.count(SCHEMA_VERSION_TABLE)).toBe(latest);
    });

    describe('007_cluster_on_row_id.sql on tables that already hold rows', () => {
      const CLUSTER_FILE = '007_cluster_on_row_id.sql';
      let folder: string;
      beforeAll(() => {
        // The schema as it was before 007: the shipped files up to 006.
        folder = mkdtempSync(join(tmpdir(), 'tokenstore-migrations-007-'));
        mkdirSync(join(folder, backend));
        for (const name of shipped.filter((file) => Number(file.slice(0, 3)) < 7))
          copyFileSync(join(defaultMigrationsDirectory(), backend, name), join(folder, backend, name));
      });
      afterAll(() => rmSync(folder, { recursive: true, force: true }));

      const dump = async (database: TestDatabase) => {
        const rows: Record<string, unknown[]> = {};
        for (const table of Object.values(TOKEN_TABLES)) rows[table] = await database.query(`SELECT * FROM ${table} ORDER BY row_id`);
        return rows;
      };
      /** The columns of each token table's primary key, in order. */
      const primaryKeys = async (database: TestDatabase) => {
        const keys: Record<string, string[]> = {};
        for (const table of Object.values(TOKEN_TABLES)) {
          const rows =
            backend === 'mysql'
              ? await database.query(
                  `SELECT column_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '${table}' AND index_name = 'PRIMARY' ORDER BY seq_in_index`,
                )
              : await database.query(
                  `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = '${table}'::regclass AND i.indisprimary`,
                );
          keys[table] = rows.map((row) => String(row.name ?? row.NAME));
        }
        return keys;
      };

      it('converts them without losing or changing a row, keeps the store working on them, and changes nothing when run again', async () => {
        const database = await open('tokenstore_migrate_cluster', { migrate: false });
        const store = await database.createStore({ migrationsDirectory: folder });
        expect((await store.migrate()).version).toBe(6);
        const kinds: TokenKind[] = ['accessToken', 'refreshToken', 'authorizationCode'];
        for (const kind of kinds) {
          await bulkLoadTokens(database.query, backend, { kind, first: 0, count: 500, expired: false, now: NOW });
          await bulkLoadTokens(database.query, backend, { kind, first: 500, count: 500, expired: true, now: NOW });
        }
        await store.insert('accessToken', { ...accessToken('exclusive-before', NOW + 60_000), exclusive: true, reuseKey: 'reuse-slot' });
        const before = await dump(database);
        expect(before[TOKEN_TABLES.accessToken]).toHaveLength(1001);
        expect(Object.values(await primaryKeys(database))).toEqual(kinds.map(() => ['token_key']));

        copyFileSync(join(defaultMigrationsDirectory(), backend, CLUSTER_FILE), join(folder, backend, CLUSTER_FILE));
        expect(await store.migrate()).toEqual({ applied: [CLUSTER_FILE], version: 7 });
        expect(await dump(database)).toEqual(before);
        // MySQL/MariaDB cluster on row_id now; PostgreSQL's file is a documented no-op.
        const clustered = backend === 'mysql' ? ['row_id'] : ['token_key'];
        expect(Object.values(await primaryKeys(database))).toEqual(kinds.map(() => clustered));

        // The same statements again (as an operator re-running the file by hand would): nothing changes.
        copyFileSync(join(defaultMigrationsDirectory(), backend, CLUSTER_FILE), join(folder, backend, '008_cluster_again.sql'));
        expect(await store.migrate()).toEqual({ applied: ['008_cluster_again.sql'], version: 8 });
        expect(await dump(database)).toEqual(before);
        expect(Object.values(await primaryKeys(database))).toEqual(kinds.map(() => clustered));

        // The store on the converted tables: lookups, the unique key, the reuse slot, row ids that keep increasing, purge.
        const live = bulkKey('accessToken', 7);
        expect((await store.get('accessToken', live))?.key).toBe(live);
        expect((await caught(store.insert('accessToken', accessToken(live, NOW + 60_000)))).code).toBe(ErrorCode.Conflict);
        const taken = await store.insert('accessToken', {
          ...accessToken('exclusive-after', NOW + 60_000),
          exclusive: true,
          reuseKey: 'reuse-slot',
        });
        expect(taken).toMatchObject({ inserted: false, active: { key: 'exclusive-before' } });
        await store.insert('accessToken', accessToken('after-007', NOW + 60_000));
        const [newest] = await database.query(`SELECT token_key FROM ${TOKEN_TABLES.accessToken} ORDER BY row_id DESC`);
        expect(newest?.token_key).toBe('after-007');
        for (const kind of kinds)
          expect(await store.purge(kind, { now: NOW, expiredBefore: NOW, inactiveBefore: NOW - 86_400_000, limit: 10_000 })).toBe(500);
        expect(await database.count(TOKEN_TABLES.accessToken)).toBe(502);
        const page = await store.scan('accessToken', { cursor: null, limit: 1000 });
        expect(page.rows.map((row) => row.key)).toContain('after-007');
      });
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
        writeFileSync(join(directory, backend, nextFile('extra')), 'CREATE TABLE tokenstore_extra (x INT);\n');
        expect(await store.migrate()).toEqual({ applied: [nextFile('extra')], version: latest + 1 });
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
          join(folder, backend, nextFile('broken')),
          'CREATE TABLE tokenstore_half (x INT);\nCREATE TABLE broken syntax here;\n',
        );
        try {
          const store = await database.createStore({ migrationsDirectory: folder });
          const error = await caught(store.migrate());
          expect(error.code).toBe(ErrorCode.BackendError);
          expect(error.message).toContain(nextFile('broken'));
          expect(await database.count(SCHEMA_VERSION_TABLE)).toBe(latest);
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

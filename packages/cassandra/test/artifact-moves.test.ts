import { randomBytes, randomUUID } from 'node:crypto';
import { type CassandraClient, CassandraStore } from '@tokenstore/cassandra';
import {
  ArtifactService,
  type ArtifactStore,
  createProtector,
  ErrorCode,
  generateAesKey,
  generatePepper,
  InvalidInputError,
  ManualClock,
  type ProtectionOptions,
  RewrapJob,
  type StoredArtifact,
} from '@tokenstore/core';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDriver, detectCassandra, printSkip, type StartedCassandra, startCassandra } from './support/environment.js';
import { emptyKeyspace, namespacedKeyspace } from './support/keyspace.js';
import { casWriteTimeout, RecordingClient } from './support/recording-client.js';
import { HOUR, NOW } from './support/rows.js';

// This run's own keyspace (named after the test namespace, else the process), dropped at the end: two
// runs against one node never empty each other's tables.
const KEYSPACE = namespacedKeyspace('tokenstore_it_moves');
const environment = await detectCassandra();
if (environment.kind === 'skip') printSkip('artifact move (rewrap primitive) tests', environment.reason);

const MODELS = ['Session', 'AccessToken', 'AuthorizationCode', 'DeviceCode', 'Grant', 'FutureModel_2'];
const lookupKey = () => randomBytes(16).toString('hex');

/** A stored artifact as a store sees it (plain form unless overridden), written at {@link NOW}. */
function artifact(overrides: Partial<StoredArtifact> = {}): StoredArtifact {
  const key = overrides.key ?? lookupKey();
  return {
    model: 'Session',
    key,
    value: key,
    payload: JSON.stringify({ jti: key, accountId: 'alice' }),
    sealed: false,
    grantId: null,
    uidKey: null,
    userCodeKey: null,
    expiresAt: NOW + HOUR,
    consumedAt: null,
    updatedAt: NOW,
    ...overrides,
  };
}

/** The lightweight transactions of the moves (artifact-rows.ts: insert, replaceIfUnchanged, deleteIfUnchanged). */
const INSERT_LWT = /^INSERT INTO \S+\.artifacts \(.* IF NOT EXISTS/;
const REPLACE_LWT = /^UPDATE \S+\.artifacts USING TTL \? SET artifact_value = .* IF change_id = \?$/;
const DELETE_LWT = /^DELETE FROM \S+\.artifacts WHERE .* IF change_id = \?$/;

/**
 * A client that runs another writer's change just before the next statement matching a pattern is
 * sent: the change lands between the store's read and its lightweight transaction.
 */
class InterleavingClient implements CassandraClient {
  #hook: { statement: RegExp; meanwhile: () => Promise<unknown> } | undefined;

  constructor(private readonly inner: CassandraClient) {}

  before(statement: RegExp, meanwhile: () => Promise<unknown>): void {
    this.#hook = { statement, meanwhile };
  }

  async execute(...args: Parameters<CassandraClient['execute']>): ReturnType<CassandraClient['execute']> {
    const hook = this.#hook;
    if (hook?.statement.test(args[0])) {
      this.#hook = undefined;
      await hook.meanwhile();
    }
    return this.inner.execute(...args);
  }

  // The shared client outlives every store.
  async shutdown(): Promise<void> {}
}

async function expectInvalidInput(work: Promise<unknown>, field: string): Promise<void> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  expect(error).toMatchObject({ code: ErrorCode.InvalidInput, field });
}

describe.skipIf(environment.kind === 'skip')('cassandra artifact moves (rewrap primitives)', () => {
  let started: StartedCassandra;
  let driver: cassandra.Client;
  let store: CassandraStore;
  let artifacts: ArtifactStore;

  beforeAll(async () => {
    started = await startCassandra(environment);
    driver = await connectDriver(started.url);
    await CassandraStore.create({ client: driver, keyspace: KEYSPACE, createSchema: true }).then((created) => created.close());
  });
  beforeEach(async () => {
    await emptyKeyspace(driver, KEYSPACE);
    store = new CassandraStore({ client: driver, keyspace: KEYSPACE });
    artifacts = store.artifacts;
  });
  afterAll(async () => {
    await driver?.execute(`DROP KEYSPACE IF EXISTS ${KEYSPACE}`);
    await driver?.shutdown();
    await started?.stop();
  });

  /** The artifact keys a lookup partition names (hints, as stored). */
  const entries = async (lookup: 'uid' | 'userCode' | 'grant', model: string, value: string): Promise<string[]> => {
    const query =
      lookup === 'uid'
        ? `SELECT artifact_key FROM ${KEYSPACE}.artifacts_by_uid WHERE model = ? AND uid_key = ?`
        : lookup === 'userCode'
          ? `SELECT artifact_key FROM ${KEYSPACE}.artifacts_by_user_code WHERE model = ? AND user_code_key = ?`
          : `SELECT artifact_key FROM ${KEYSPACE}.artifacts_by_grant WHERE grant_id = ? AND model = ?`;
    const params = lookup === 'grant' ? [value, model] : [model, value];
    return (await driver.execute(query, params, { prepare: true })).rows.map((row) => row.artifact_key as string);
  };
  /** The purge-index entries of artifacts: `<event_at>@<model>:<key>`. */
  const purgeEntries = async (): Promise<string[]> =>
    (await driver.execute(`SELECT kind, event_at, token_key FROM ${KEYSPACE}.purge_index`)).rows
      .filter((row) => row.kind === 'artifact')
      .map((row) => `${(row.event_at as Date).getTime()}@${row.token_key as string}`);
  const criteria = (at: number) => ({ now: at, expiredBefore: at, inactiveBefore: at - HOUR, limit: 100 });
  /** A row with its primary key alive and no cell (what an expiring version over a never-expiring one leaves behind). */
  const writeHollow = (model: string, key: string) =>
    driver.execute(`INSERT INTO ${KEYSPACE}.artifacts (model, artifact_key) VALUES (?, ?)`, [model, key], { prepare: true });

  describe('insertArtifact', () => {
    it('inserts an absent row with its side entries', async () => {
      const row = artifact({ uidKey: lookupKey(), userCodeKey: lookupKey(), grantId: 'grant-1' });
      expect(await artifacts.insertArtifact(row)).toBe(true);
      expect(await artifacts.getArtifact(row.model, row.key)).toEqual(row);
      expect(await artifacts.findArtifactByUid(row.model, row.uidKey!)).toEqual(row);
      expect(await artifacts.findArtifactByUserCode(row.model, row.userCodeKey!)).toEqual(row);
      expect(await purgeEntries()).toEqual([`${row.expiresAt}@${row.model}:${row.key}`]);
      expect(await artifacts.deleteArtifactsOfGrant('grant-1')).toBe(1);
      expect(await artifacts.getArtifact(row.model, row.key)).toBeNull();
    });

    it('writes nothing over a present row, and leaves the present row its own entries', async () => {
      const sharedUid = lookupKey();
      const present = artifact({ uidKey: sharedUid, grantId: 'grant-present', expiresAt: null, updatedAt: NOW + 5 });
      await artifacts.upsertArtifact(present);
      const loser = artifact({
        key: present.key,
        uidKey: sharedUid,
        userCodeKey: lookupKey(),
        grantId: 'grant-loser',
        payload: '{"jti":"loser"}',
        expiresAt: NOW + 60_000,
      });
      expect(await artifacts.insertArtifact(loser)).toBe(false);
      expect(await artifacts.getArtifact(present.model, present.key)).toEqual(present);
      // The entries only the loser has are taken back; the one both have stays the present row's.
      expect(await entries('uid', present.model, sharedUid)).toEqual([present.key]);
      expect(await entries('userCode', loser.model, loser.userCodeKey!)).toEqual([]);
      expect(await entries('grant', loser.model, 'grant-loser')).toEqual([]);
      expect(await purgeEntries()).toEqual([]);
      expect(await artifacts.findArtifactByUid(present.model, sharedUid)).toEqual(present);
      expect(await artifacts.purgeArtifacts(criteria(NOW + HOUR))).toBe(0);
      expect(await artifacts.deleteArtifactsOfGrant('grant-loser')).toBe(0);
      expect(await artifacts.getArtifact(present.model, present.key)).toEqual(present);
    });

    it('takes a hollow row for an absent one: clears it and inserts', async () => {
      const row = artifact({ model: 'DeviceCode', userCodeKey: lookupKey() });
      await writeHollow(row.model, row.key);
      expect(await artifacts.getArtifact(row.model, row.key)).toBeNull();
      expect(await artifacts.insertArtifact(row)).toBe(true);
      expect(await artifacts.getArtifact(row.model, row.key)).toEqual(row);
      expect(await artifacts.findArtifactByUserCode(row.model, row.userCodeKey!)).toEqual(row);
    });

    it('refuses a malformed row as INVALID_INPUT, writing nothing', async () => {
      const row = artifact();
      await expectInvalidInput(artifacts.insertArtifact({ ...row, model: 'no-dashes' }), 'model');
      await expectInvalidInput(artifacts.insertArtifact({ ...row, payload: '' }), 'payload');
      expect((await driver.execute(`SELECT model FROM ${KEYSPACE}.artifacts`)).rowLength).toBe(0);
    });
  });

  describe('replaceArtifact', () => {
    const versions = () => {
      const v1 = artifact({ uidKey: lookupKey(), userCodeKey: lookupKey(), grantId: 'grant-old', expiresAt: NOW + HOUR });
      const next: StoredArtifact = {
        ...v1,
        value: 'sealed-id',
        payload: 'sealed-payload',
        sealed: true,
        uidKey: lookupKey(),
        userCodeKey: lookupKey(),
        grantId: 'grant-new',
        expiresAt: NOW + 2 * HOUR,
      };
      return { v1, next };
    };

    it('replaces the same version, every column, its side entries following', async () => {
      const { v1, next } = versions();
      await artifacts.upsertArtifact(v1);
      expect(await artifacts.replaceArtifact(v1, next)).toBe(true);
      expect(await artifacts.getArtifact(v1.model, v1.key)).toEqual(next);
      expect(await artifacts.findArtifactByUid(next.model, next.uidKey!)).toEqual(next);
      expect(await artifacts.findArtifactByUserCode(next.model, next.userCodeKey!)).toEqual(next);
      expect(await entries('uid', v1.model, v1.uidKey!)).toEqual([]);
      expect(await entries('userCode', v1.model, v1.userCodeKey!)).toEqual([]);
      expect(await entries('grant', v1.model, 'grant-old')).toEqual([]);
      expect(await purgeEntries()).toEqual([`${next.expiresAt}@${next.model}:${next.key}`]);
      // Not due at the old expiry any more; due at the new one.
      expect(await artifacts.purgeArtifacts(criteria(v1.expiresAt!))).toBe(0);
      expect(await artifacts.purgeArtifacts(criteria(next.expiresAt!))).toBe(1);
      expect(await artifacts.getArtifact(v1.model, v1.key)).toBeNull();
    });

    it('clears the columns the next version leaves null', async () => {
      const { v1 } = versions();
      await artifacts.upsertArtifact(v1);
      const bare = { ...v1, uidKey: null, userCodeKey: null, grantId: null, expiresAt: null, value: null };
      expect(await artifacts.replaceArtifact(v1, bare)).toBe(true);
      expect(await artifacts.getArtifact(v1.model, v1.key)).toEqual(bare);
      expect(await entries('uid', v1.model, v1.uidKey!)).toEqual([]);
      expect(await purgeEntries()).toEqual([]);
    });

    it('writes nothing once the row was consumed', async () => {
      const { v1, next } = versions();
      await artifacts.upsertArtifact(v1);
      expect(await artifacts.consumeArtifact(v1.model, v1.key, NOW + 1000)).toBe(true);
      expect(await artifacts.replaceArtifact(v1, next)).toBe(false);
      expect(await artifacts.getArtifact(v1.model, v1.key)).toEqual({ ...v1, consumedAt: NOW + 1000 });
      expect(await entries('uid', next.model, next.uidKey!)).toEqual([]);
      expect(await entries('grant', next.model, 'grant-new')).toEqual([]);
      expect(await entries('uid', v1.model, v1.uidKey!)).toEqual([v1.key]);
      expect(await purgeEntries()).toEqual([`${v1.expiresAt}@${v1.model}:${v1.key}`]);
    });

    it('writes nothing once the row was deleted', async () => {
      const { v1, next } = versions();
      await artifacts.upsertArtifact(v1);
      expect(await artifacts.deleteArtifact(v1.model, v1.key)).toBe(true);
      expect(await artifacts.replaceArtifact(v1, next)).toBe(false);
      expect(await artifacts.getArtifact(v1.model, v1.key)).toBeNull();
      expect(await entries('uid', next.model, next.uidKey!)).toEqual([]);
      expect(await purgeEntries()).toEqual([]);
    });

    it('writes nothing when the stored row was written again (a newer version)', async () => {
      const { v1, next } = versions();
      await artifacts.upsertArtifact(v1);
      const v2 = { ...v1, payload: '{"jti":"v2"}', updatedAt: NOW + 10 };
      await artifacts.upsertArtifact(v2);
      expect(await artifacts.replaceArtifact(v1, next)).toBe(false);
      expect(await artifacts.getArtifact(v1.model, v1.key)).toEqual(v2);
    });

    it('refuses a next row of another key as INVALID_INPUT, changing nothing', async () => {
      const { v1, next } = versions();
      await artifacts.upsertArtifact(v1);
      const elsewhere = { ...next, key: lookupKey() };
      await expectInvalidInput(artifacts.replaceArtifact(v1, elsewhere), 'next');
      await expectInvalidInput(artifacts.replaceArtifact(v1, { ...next, model: 'Grant' }), 'next');
      expect(await artifacts.getArtifact(v1.model, v1.key)).toEqual(v1);
      expect(await artifacts.getArtifact(elsewhere.model, elsewhere.key)).toBeNull();
      expect(await entries('uid', next.model, next.uidKey!)).toEqual([]);
    });
  });

  describe('deleteArtifactIf', () => {
    it('deletes the same version with its side entries', async () => {
      const row = artifact({ uidKey: lookupKey(), userCodeKey: lookupKey(), grantId: 'grant-1' });
      await artifacts.upsertArtifact(row);
      expect(await artifacts.deleteArtifactIf(row)).toBe(true);
      expect(await artifacts.getArtifact(row.model, row.key)).toBeNull();
      expect(await entries('uid', row.model, row.uidKey!)).toEqual([]);
      expect(await entries('userCode', row.model, row.userCodeKey!)).toEqual([]);
      expect(await entries('grant', row.model, 'grant-1')).toEqual([]);
      expect(await purgeEntries()).toEqual([]);
    });

    it('keeps a row consumed meanwhile', async () => {
      const row = artifact({ uidKey: lookupKey() });
      await artifacts.upsertArtifact(row);
      expect(await artifacts.consumeArtifact(row.model, row.key, NOW + 1)).toBe(true);
      expect(await artifacts.deleteArtifactIf(row)).toBe(false);
      expect(await artifacts.getArtifact(row.model, row.key)).toEqual({ ...row, consumedAt: NOW + 1 });
      expect(await artifacts.findArtifactByUid(row.model, row.uidKey!)).toMatchObject({ key: row.key });
    });

    it('says false for a row that is gone', async () => {
      const row = artifact();
      expect(await artifacts.deleteArtifactIf(row)).toBe(false);
      await artifacts.upsertArtifact(row);
      expect(await artifacts.deleteArtifact(row.model, row.key)).toBe(true);
      expect(await artifacts.deleteArtifactIf(row)).toBe(false);
    });
  });

  describe('scanArtifacts', () => {
    it('pages through every row of every model exactly once, skipping hollow rows', async () => {
      const written = new Set<string>();
      const statement = `INSERT INTO ${KEYSPACE}.artifacts (model, artifact_key, artifact_value, payload, is_sealed, updated_at, change_id) VALUES (?, ?, ?, ?, ?, ?, ?)`;
      const rows = Array.from({ length: 1200 }, (_, i) => ({ model: MODELS[i % MODELS.length]!, key: `k${i}-${lookupKey()}` }));
      // Written straight into the table (plain inserts, not lightweight transactions): this test is about the scan.
      for (let i = 0; i < rows.length; i += 100)
        await Promise.all(
          rows.slice(i, i + 100).map(({ model, key }) => {
            written.add(`${model}:${key}`);
            return driver.execute(statement, [model, key, key, '{}', false, new Date(NOW), randomUUID()], { prepare: true });
          }),
        );
      await writeHollow('Session', 'hollow-1');
      await writeHollow('Grant', 'hollow-2');

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await artifacts.scanArtifacts({ cursor, limit: 500 });
        expect(page.rows.length).toBeLessThanOrEqual(500);
        for (const row of page.rows) seen.push(`${row.model}:${row.key}`);
        cursor = page.cursor;
        pages++;
        expect(pages).toBeLessThanOrEqual(10);
      } while (cursor !== null);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(seen.length).toBe(written.size);
      expect(new Set(seen)).toEqual(written);
    });

    it('refuses a cursor it did not hand out, and a bad limit, as INVALID_INPUT', async () => {
      await expectInvalidInput(artifacts.scanArtifacts({ cursor: 'Session:not-a-page-state', limit: 10 }), 'cursor');
      // Hex like a page state, but none the server can decode.
      await expectInvalidInput(artifacts.scanArtifacts({ cursor: 'abcdef', limit: 10 }), 'cursor');
      await expectInvalidInput(artifacts.scanArtifacts({ cursor: null, limit: 0 }), 'limit');
      // The token and client scans answer such a cursor the same way (one check for both, cursorRefusal).
      await expectInvalidInput(store.scan('accessToken', { cursor: 'abcdef', limit: 10 }), 'cursor');
      await expectInvalidInput(store.scan('client', { cursor: 'abcdef', limit: 10 }), 'cursor');
    });

    it('ends with a null cursor on an empty table', async () => {
      expect(await artifacts.scanArtifacts({ cursor: null, limit: 500 })).toEqual({ rows: [], cursor: null });
    });
  });

  describe('side entries after a move (insert the copy, delete the old version)', () => {
    const move = async () => {
      const old = artifact({ model: 'DeviceCode', uidKey: lookupKey(), userCodeKey: lookupKey(), grantId: 'grant-moved' });
      await artifacts.upsertArtifact(old);
      const copy = { ...old, key: lookupKey(), value: 'sealed', uidKey: lookupKey(), userCodeKey: lookupKey() };
      expect(await artifacts.insertArtifact(copy)).toBe(true);
      expect(await artifacts.deleteArtifactIf(old)).toBe(true);
      return { old, copy };
    };

    it('finds the copy by uid and user code, the old version by neither', async () => {
      const { old, copy } = await move();
      expect(await artifacts.findArtifactByUid(copy.model, copy.uidKey!)).toEqual(copy);
      expect(await artifacts.findArtifactByUserCode(copy.model, copy.userCodeKey!)).toEqual(copy);
      expect(await artifacts.findArtifactByUid(old.model, old.uidKey!)).toBeNull();
      expect(await artifacts.findArtifactByUserCode(old.model, old.userCodeKey!)).toBeNull();
      expect(await entries('grant', copy.model, 'grant-moved')).toEqual([copy.key]);
    });

    it('revokes the copy by grant', async () => {
      const { copy } = await move();
      expect(await artifacts.deleteArtifactsOfGrant('grant-moved')).toBe(1);
      expect(await artifacts.getArtifact(copy.model, copy.key)).toBeNull();
      expect(await entries('uid', copy.model, copy.uidKey!)).toEqual([]);
    });

    it('purges the copy once due, and only it', async () => {
      const { copy } = await move();
      expect(await purgeEntries()).toEqual([`${copy.expiresAt}@${copy.model}:${copy.key}`]);
      expect(await artifacts.purgeArtifacts(criteria(copy.expiresAt! - 1))).toBe(0);
      expect(await artifacts.purgeArtifacts(criteria(copy.expiresAt!))).toBe(1);
      expect(await artifacts.getArtifact(copy.model, copy.key)).toBeNull();
      expect(await entries('grant', copy.model, 'grant-moved')).toEqual([]);
    });
  });

  describe('races and unknown outcomes', () => {
    const interleaved = () => {
      const client = new InterleavingClient(driver);
      return { client, moves: new CassandraStore({ client, keyspace: KEYSPACE }).artifacts };
    };
    const recorded = () => {
      const recording = new RecordingClient(driver);
      return { recording, moves: new CassandraStore({ client: recording, keyspace: KEYSPACE }).artifacts };
    };
    const v1 = () => artifact({ uidKey: lookupKey(), grantId: 'grant-old' });
    const nextOf = (row: StoredArtifact) => ({
      ...row,
      value: 'sealed',
      payload: 'sealed',
      sealed: true,
      uidKey: lookupKey(),
      grantId: 'grant-new',
    });

    it('replace: a consumption landing between the read and the transaction wins; nothing of the next version stays', async () => {
      const row = v1();
      const next = nextOf(row);
      await artifacts.upsertArtifact(row);
      const { client, moves } = interleaved();
      client.before(REPLACE_LWT, () => artifacts.consumeArtifact(row.model, row.key, NOW + 7));
      expect(await moves.replaceArtifact(row, next)).toBe(false);
      expect(await artifacts.getArtifact(row.model, row.key)).toEqual({ ...row, consumedAt: NOW + 7 });
      expect(await entries('uid', next.model, next.uidKey!)).toEqual([]);
      expect(await entries('grant', next.model, 'grant-new')).toEqual([]);
      expect(await entries('uid', row.model, row.uidKey!)).toEqual([row.key]);
      expect(await entries('grant', row.model, 'grant-old')).toEqual([row.key]);
    });

    it('replace: the same version written again meanwhile (another job) is read again and replaced', async () => {
      const row = v1();
      const next = nextOf(row);
      await artifacts.upsertArtifact(row);
      const { client, moves } = interleaved();
      // Same version (same updatedAt, not consumed), new change_id: the transaction is refused once.
      client.before(REPLACE_LWT, () => artifacts.replaceArtifact(row, { ...row, payload: '{"jti":"rival"}' }));
      expect(await moves.replaceArtifact(row, next)).toBe(true);
      expect(await artifacts.getArtifact(row.model, row.key)).toEqual(next);
      expect(await artifacts.findArtifactByUid(next.model, next.uidKey!)).toEqual(next);
      expect(await entries('uid', row.model, row.uidKey!)).toEqual([]);
    });

    it('replace: an outcome lost to a timeout after the transaction was applied is read back as applied', async () => {
      const row = v1();
      const next = nextOf(row);
      await artifacts.upsertArtifact(row);
      const { recording, moves } = recorded();
      let lost = 0;
      recording.intercept = (statement) =>
        REPLACE_LWT.test(statement.query) && lost++ === 0
          ? { action: 'fail', error: casWriteTimeout(), afterSending: true }
          : { action: 'send' };
      expect(await moves.replaceArtifact(row, next)).toBe(true);
      expect(recording.statements.filter((statement) => REPLACE_LWT.test(statement.query))).toHaveLength(1);
      expect(await artifacts.getArtifact(row.model, row.key)).toEqual(next);
      expect(await entries('uid', row.model, row.uidKey!)).toEqual([]);
    });

    it('insert: an outcome lost to a timeout is read back (applied: true; not sent: sent again)', async () => {
      for (const afterSending of [true, false]) {
        const row = artifact({ uidKey: lookupKey() });
        const { recording, moves } = recorded();
        let lost = 0;
        recording.intercept = (statement) =>
          INSERT_LWT.test(statement.query) && lost++ === 0
            ? { action: 'fail', error: casWriteTimeout(), afterSending }
            : { action: 'send' };
        expect(await moves.insertArtifact(row)).toBe(true);
        expect(recording.statements.filter((statement) => INSERT_LWT.test(statement.query))).toHaveLength(afterSending ? 1 : 2);
        expect(await artifacts.findArtifactByUid(row.model, row.uidKey!)).toEqual(row);
      }
    });

    it("insert refused: an entry both rows claim is written again with the present row's TTL", async () => {
      const uidKey = lookupKey();
      const present = artifact({ uidKey, expiresAt: null });
      await artifacts.upsertArtifact(present);
      const { recording, moves } = recorded();
      expect(await moves.insertArtifact({ ...present, payload: '{"jti":"copy"}', expiresAt: NOW + 60_000 })).toBe(false);
      // Lookup entries hold only key columns, so their TTL cannot be read back: the writes are what shows it.
      const ttls = recording
        .matching('INSERT INTO')
        .filter((statement) => statement.query.includes('artifacts_by_uid') && statement.params[1] === uidKey)
        .map((statement) => statement.params[3]);
      expect(ttls).toHaveLength(2);
      expect(ttls[0]).toBeGreaterThanOrEqual(60);
      // 0: no TTL, as the never-expiring present row's entry was written.
      expect(ttls[1]).toBe(0);
      expect(await artifacts.findArtifactByUid(present.model, uidKey)).toEqual(present);
    });

    it('deleteIf: a consumption landing between the read and the delete keeps the row', async () => {
      const row = v1();
      await artifacts.upsertArtifact(row);
      const { client, moves } = interleaved();
      client.before(DELETE_LWT, () => artifacts.consumeArtifact(row.model, row.key, NOW + 3));
      expect(await moves.deleteArtifactIf(row)).toBe(false);
      expect(await artifacts.getArtifact(row.model, row.key)).toEqual({ ...row, consumedAt: NOW + 3 });
      expect(await artifacts.findArtifactByUid(row.model, row.uidKey!)).toEqual({ ...row, consumedAt: NOW + 3 });
    });
  });

  describe('rewrap end to end', () => {
    const pepper = { id: 'p1', secret: generatePepper() };
    const ENCRYPT: ProtectionOptions = {
      mode: 'encrypt',
      peppers: [pepper],
      cipher: { algorithm: 'aes-256-gcm', keys: [{ id: 'k1', key: generateAesKey() }], activeKey: 'k1' },
    };

    it('moves plain artifacts to encrypt: found by id, uid and user code, none under its plaintext key, consumed once', async () => {
      const clock = new ManualClock(NOW);
      const plain = new ArtifactService({ store, clock });
      const ids = {
        session: `session-${lookupKey()}`,
        device: `device-${lookupKey()}`,
        code: `code-${lookupKey()}`,
        grant: `grant-${lookupKey()}`,
        access: `at-${lookupKey()}`,
      };
      const uid = `uid-${lookupKey()}`;
      const userCode = `USER-${lookupKey().slice(0, 8)}`;
      const grantId = `g-${lookupKey()}`;
      await plain.upsert('Session', ids.session, { uid, accountId: 'alice' }, 3600);
      await plain.upsert('DeviceCode', ids.device, { userCode, grantId, clientId: 'c1' }, 600);
      await plain.upsert('AuthorizationCode', ids.code, { grantId, accountId: 'alice' }, 60);
      await plain.upsert('Grant', ids.grant, { accountId: 'alice' }, null);
      await plain.upsert('AccessToken', ids.access, { grantId, scope: 'openid' }, 3600);
      const plaintexts = [...Object.values(ids), uid, userCode];

      const protector = createProtector({ ...ENCRYPT, fallback: [{ mode: 'plain' }] });
      const summary = await new RewrapJob({ store, protector }).run();
      expect(summary.completed).toBe(true);
      expect(summary.counts.artifact).toEqual({ scanned: 5, converted: 5, current: 0, unconvertible: 0, failed: 0, skipped: 0 });

      // Read without the plain fallback: only what was moved can be found.
      const encrypted = new ArtifactService({ store, protector: createProtector(ENCRYPT), clock });
      expect(await encrypted.find('Session', ids.session)).toMatchObject({ uid, accountId: 'alice' });
      expect(await encrypted.findByUid('Session', uid)).toMatchObject({ uid, accountId: 'alice' });
      expect(await encrypted.findByUserCode('DeviceCode', userCode)).toMatchObject({ userCode, grantId });
      expect(await encrypted.find('Grant', ids.grant)).toMatchObject({ accountId: 'alice' });
      expect(await encrypted.find('AccessToken', ids.access)).toMatchObject({ grantId, scope: 'openid' });

      const stored: StoredArtifact[] = [];
      let cursor: string | null = null;
      do {
        const page = await artifacts.scanArtifacts({ cursor, limit: 500 });
        stored.push(...page.rows);
        cursor = page.cursor;
      } while (cursor !== null);
      expect(stored).toHaveLength(5);
      for (const row of stored) {
        expect(row.sealed).toBe(true);
        expect(plaintexts).not.toContain(row.key);
        for (const plaintext of plaintexts) expect(`${row.payload} ${row.value} ${row.uidKey} ${row.userCodeKey}`).not.toContain(plaintext);
      }
      const lookupTables = await Promise.all(
        ['artifacts_by_uid', 'artifacts_by_user_code', 'artifacts_by_grant'].map(
          async (table) => (await driver.execute(`SELECT * FROM ${KEYSPACE}.${table}`)).rows,
        ),
      );
      for (const row of lookupTables.flat()) expect(plaintexts).not.toContain(row.artifact_key);

      // Consumed exactly once, whoever asks concurrently.
      const consumers = await Promise.all(Array.from({ length: 4 }, () => encrypted.consume('AuthorizationCode', ids.code)));
      expect(consumers.filter(Boolean)).toHaveLength(1);
      expect(await encrypted.consume('AuthorizationCode', ids.code)).toBe(false);
      expect(await encrypted.find('AuthorizationCode', ids.code)).toMatchObject({ consumed: Math.floor(NOW / 1000) });

      // A second pass finds everything current; revocation by grant reaches the moved rows.
      const again = await new RewrapJob({ store, protector }).run();
      expect(again.counts.artifact).toMatchObject({ scanned: 5, current: 5, converted: 0 });
      expect(await encrypted.revokeByGrantId(grantId)).toBe(3);
      expect(await encrypted.findByUserCode('DeviceCode', userCode)).toBeUndefined();
      expect(await encrypted.find('Session', ids.session)).toMatchObject({ uid });
    });
  });
});

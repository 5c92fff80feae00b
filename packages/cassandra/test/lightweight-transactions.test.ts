import { CassandraStore, type CassandraStoreOptions, CONSISTENCY_LEVELS } from '@tokenstore/cassandra';
import { ErrorCode, isTokenStoreError } from '@tokenstore/core';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDriver, detectCassandra, printSkip, type StartedCassandra, startCassandra } from './support/environment.js';
import { namespacedKeyspace } from './support/keyspace.js';
import { casWriteTimeout, interceptFirst, noHostAvailable, RecordingClient } from './support/recording-client.js';
import { accessTokenRow, authorizationCodeRow, clientRow, NOW } from './support/rows.js';

const KEYSPACE = namespacedKeyspace('tokenstore_it_lwt');
const environment = await detectCassandra();
if (environment.kind === 'skip') printSkip('lightweight transaction tests', environment.reason);

const CONSUME = { from: 'ACTIVE', to: 'INACTIVE', at: NOW + 1000 } as const;
const CHANGE_STATE = 'IF state = ?';

describe.skipIf(environment.kind === 'skip')('cassandra lightweight transactions', () => {
  let started: StartedCassandra;
  let driver: cassandra.Client;

  beforeAll(async () => {
    started = await startCassandra(environment);
    driver = await connectDriver(started.url);
    await CassandraStore.create({ client: driver, keyspace: KEYSPACE, createSchema: true }).then((store) => store.close());
  });
  afterAll(async () => {
    await driver?.shutdown();
    await started?.stop();
  });

  const storeOver = (recording: RecordingClient, consistency?: CassandraStoreOptions['consistency']) =>
    new CassandraStore({ client: recording, keyspace: KEYSPACE, ...(consistency ? { consistency } : {}) });

  describe('an outcome lost to a write timeout is read back at serial consistency, never guessed', () => {
    it('reports a consume whose transaction was applied before the timeout as won', async () => {
      const recording = new RecordingClient(driver);
      const store = storeOver(recording);
      const code = authorizationCodeRow();
      await store.insert('authorizationCode', code);
      recording.intercept = interceptFirst(CHANGE_STATE, 1, { action: 'fail', error: casWriteTimeout(), afterSending: true });
      expect(await store.compareAndSetState('authorizationCode', code.key, CONSUME)).toBe(true);
      expect(await store.get('authorizationCode', code.key)).toMatchObject({ state: 'INACTIVE', stateChangedAt: CONSUME.at });
      const failedAt = recording.statements.findIndex((s) => s.query.includes(CHANGE_STATE));
      const readBack = recording.statements[failedAt + 1]!;
      expect(readBack.query).toMatch(new RegExp(`^SELECT .* FROM ${KEYSPACE}\\.authorization_codes WHERE key = \\?$`));
      expect(readBack.options.consistency).toBe(CONSISTENCY_LEVELS.SERIAL);
      expect(recording.matching(CHANGE_STATE)).toHaveLength(1);
    });

    it('sends a consume again when the read-back shows it was not applied and the code is still ACTIVE', async () => {
      const recording = new RecordingClient(driver);
      const store = storeOver(recording);
      const code = authorizationCodeRow();
      await store.insert('authorizationCode', code);
      recording.intercept = interceptFirst(CHANGE_STATE, 1, { action: 'fail', error: casWriteTimeout(), afterSending: false });
      expect(await store.compareAndSetState('authorizationCode', code.key, CONSUME)).toBe(true);
      expect(recording.matching(CHANGE_STATE)).toHaveLength(2);
      expect((await store.get('authorizationCode', code.key))?.state).toBe('INACTIVE');
    });

    it('reports a consume as lost when the read-back shows that another caller consumed the code', async () => {
      const recording = new RecordingClient(driver);
      const store = storeOver(recording);
      const rival = new CassandraStore({ client: driver, keyspace: KEYSPACE });
      const code = authorizationCodeRow();
      await store.insert('authorizationCode', code);
      recording.intercept = interceptFirst(CHANGE_STATE, 1, {
        action: 'fail',
        error: casWriteTimeout(),
        afterSending: false,
        meanwhile: () => rival.compareAndSetState('authorizationCode', code.key, CONSUME),
      });
      expect(await store.compareAndSetState('authorizationCode', code.key, CONSUME)).toBe(false);
      expect(recording.matching(CHANGE_STATE)).toHaveLength(1);
    });

    it('treats an INSERT IF NOT EXISTS applied before its timeout as an insert, not as a conflict with itself', async () => {
      const recording = new RecordingClient(driver);
      const store = storeOver(recording);
      const row = accessTokenRow();
      recording.intercept = interceptFirst('IF NOT EXISTS', 1, { action: 'fail', error: casWriteTimeout(), afterSending: true });
      expect(await store.insert('accessToken', row)).toEqual({ inserted: true });
      expect(await store.get('accessToken', row.key)).toEqual(row);
    });

    it('treats a reuse-slot claim applied before its timeout as the claim', async () => {
      const recording = new RecordingClient(driver);
      const store = storeOver(recording);
      const row = accessTokenRow({ exclusive: true, reuseKey: `reuse-${Math.random()}` });
      recording.intercept = interceptFirst('access_token_slots (reuse_key, token_key)', 1, {
        action: 'fail',
        error: casWriteTimeout(),
        afterSending: true,
      });
      expect(await store.insert('accessToken', row)).toEqual({ inserted: true });
      expect((await store.findActiveAccessToken(row.reuseKey))?.key).toBe(row.key);
    });

    describe('client compare-and-set', () => {
      const CLIENT_CONDITION = 'IF updated_at = ?';
      async function storedClient(store: CassandraStore) {
        const client = clientRow();
        await store.createClient(client);
        return { client, next: { ...client, name: 'Renamed', updatedAt: client.updatedAt + 1 } };
      }

      it('reports an update applied before its timeout as applied', async () => {
        const recording = new RecordingClient(driver);
        const store = storeOver(recording);
        const { client, next } = await storedClient(store);
        recording.intercept = interceptFirst(CLIENT_CONDITION, 1, { action: 'fail', error: casWriteTimeout(), afterSending: true });
        expect(await store.updateClient(next, client.updatedAt)).toBe(true);
        expect(recording.matching(CLIENT_CONDITION)).toHaveLength(1);
        expect(await store.getClient(client.consumerKey)).toEqual(next);
      });

      it('sends an update again when the read-back still shows the row it expected', async () => {
        const recording = new RecordingClient(driver);
        const store = storeOver(recording);
        const { client, next } = await storedClient(store);
        recording.intercept = interceptFirst(CLIENT_CONDITION, 1, { action: 'fail', error: casWriteTimeout(), afterSending: false });
        expect(await store.updateClient(next, client.updatedAt)).toBe(true);
        expect(recording.matching(CLIENT_CONDITION)).toHaveLength(2);
        expect(await store.getClient(client.consumerKey)).toEqual(next);
      });

      it('reports an update as not applied when the read-back shows another writer changed the client, even in the same millisecond', async () => {
        const recording = new RecordingClient(driver);
        const store = storeOver(recording);
        const rival = new CassandraStore({ client: driver, keyspace: KEYSPACE });
        const { client, next } = await storedClient(store);
        // The rival read the same row and stamped the same updatedAt: only the full row tells the writes apart.
        const rivals = { ...client, grantTypes: ['authorization_code'], updatedAt: next.updatedAt };
        recording.intercept = interceptFirst(CLIENT_CONDITION, 1, {
          action: 'fail',
          error: casWriteTimeout(),
          afterSending: false,
          meanwhile: async () => {
            await rival.updateClient(rivals, client.updatedAt);
          },
        });
        expect(await store.updateClient(next, client.updatedAt)).toBe(false);
        expect(recording.matching(CLIENT_CONDITION)).toHaveLength(1);
        expect(await store.getClient(client.consumerKey)).toEqual(rivals);
      });
    });

    it('fails with BACKEND_UNAVAILABLE, changing nothing, when the outcome cannot be read back', async () => {
      const recording = new RecordingClient(driver);
      const store = storeOver(recording);
      const code = authorizationCodeRow();
      await store.insert('authorizationCode', code);
      let failedLwt = false;
      recording.intercept = (statement) => {
        if (!failedLwt && statement.query.includes(CHANGE_STATE)) {
          failedLwt = true;
          return { action: 'fail', error: casWriteTimeout(), afterSending: false };
        }
        if (failedLwt && statement.options.consistency === CONSISTENCY_LEVELS.SERIAL)
          return { action: 'fail', error: noHostAvailable(), afterSending: false };
        return { action: 'send' };
      };
      const error = await store.compareAndSetState('authorizationCode', code.key, CONSUME).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isTokenStoreError(error, ErrorCode.BackendUnavailable)).toBe(true);
      expect((error as Error).message).toContain('outcome');
      recording.intercept = () => ({ action: 'send' });
      expect((await store.get('authorizationCode', code.key))?.state).toBe('ACTIVE');
    });
  });

  describe('the configured levels are the ones sent', () => {
    it('uses read ONE, plain writes at ANY, lookup entries at QUORUM and lightweight transactions committed at ONE with SERIAL by default', async () => {
      const recording = new RecordingClient(driver);
      const store = storeOver(recording);
      const code = authorizationCodeRow();
      await store.insert('authorizationCode', code);
      await store.get('authorizationCode', code.key);
      await store.compareAndSetState('authorizationCode', code.key, CONSUME);
      // The entries a bulk revocation enumerates overlap its reads whatever the levels (README, "Revocation").
      const lookupWrite = recording.matching(`INSERT INTO ${KEYSPACE}.tokens_by_user`)[0]!;
      expect(lookupWrite.options.consistency).toBe(CONSISTENCY_LEVELS.QUORUM);
      // The code expires, so its purge-index entry is written, at the user's write level.
      const indexWrite = recording.matching(`INSERT INTO ${KEYSPACE}.purge_index`)[0]!;
      expect(indexWrite.options.consistency).toBe(CONSISTENCY_LEVELS.ANY);
      const lwt = recording.matching(CHANGE_STATE)[0]!;
      expect(lwt.options).toMatchObject({ consistency: CONSISTENCY_LEVELS.ONE, serialConsistency: CONSISTENCY_LEVELS.SERIAL });
      const read = recording.statements.find((s) => s.query.startsWith('SELECT') && !s.query.includes('TTL('))!;
      expect(read.options.consistency).toBe(CONSISTENCY_LEVELS.ONE);
    });

    it('applies per-operation levels to that operation only', async () => {
      const recording = new RecordingClient(driver);
      const store = storeOver(recording, {
        read: 'ONE',
        write: 'ONE',
        perOperation: { get: { read: 'LOCAL_QUORUM' }, compareAndSetState: { write: 'QUORUM', serial: 'LOCAL_SERIAL' } },
      });
      const token = accessTokenRow();
      await store.insert('accessToken', token);
      recording.statements.length = 0;
      await store.get('accessToken', token.key);
      expect(recording.statements.map((s) => s.options.consistency)).toEqual([CONSISTENCY_LEVELS.LOCAL_QUORUM]);
      await store.compareAndSetState('accessToken', token.key, { from: 'ACTIVE', to: 'REVOKED', at: NOW + 1 });
      const lwt = recording.matching(CHANGE_STATE)[0]!;
      expect(lwt.options).toMatchObject({ consistency: CONSISTENCY_LEVELS.QUORUM, serialConsistency: CONSISTENCY_LEVELS.LOCAL_SERIAL });
      const insertLwt = recording.matching('IF NOT EXISTS');
      expect(insertLwt).toHaveLength(0);
    });
  });
});

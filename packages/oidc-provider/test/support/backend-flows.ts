import { CassandraStore, CONSISTENCY_PRESETS, parseCassandraUrl } from '@tokenstore/cassandra';
import { TokenService, type TokenStore } from '@tokenstore/core';
import cassandra from 'cassandra-driver';
import { afterAll, describe, it } from 'vitest';
import { dumpTables, emptyKeyspace } from '../../../cassandra/test/support/keyspace.js';
import { namespacedDatabaseName } from '../../../rdbms/test/support/isolated-database.js';
import { TestDatabase } from '../../../rdbms/test/support/test-database.js';
import { providerFlows } from './flows.js';
import { E2E_MODES } from './modes.js';
import { ProviderHarness } from './provider-harness.js';

/** The protection modes the database backends run: plain and hash everywhere, encrypt on PostgreSQL too. */
type Mode = keyof typeof E2E_MODES;

/** Schema (PostgreSQL), database (MariaDB) or keyspace (Cassandra) of these tests only. */
const ISOLATED_NAME = 'tokenstore_oidc_e2e';

function skipped(backend: string, reason: string): void {
  console.log(`[oidc-provider] end-to-end flows on ${backend}: skipped — ${reason}`);
  describe.skip(`oidc-provider on ${backend} (skipped: ${reason})`, () => {
    it('runs the provider flows', () => {});
  });
}

/**
 * The provider flows on PostgreSQL or MariaDB: each test on a freshly migrated schema/database of its
 * own name (dropped and recreated), the dump of every table as what is at rest.
 */
export function sqlProviderFlows(backend: 'postgres' | 'mysql', modes: readonly Mode[]): void {
  const variable = backend === 'postgres' ? 'TOKENSTORE_TEST_POSTGRES_URL' : 'TOKENSTORE_TEST_MYSQL_URL';
  const url = process.env[variable];
  if (!url) {
    skipped(backend, `${variable} is not set`);
    return;
  }
  let database: TestDatabase | undefined;
  const stores: TokenStore[] = [];
  afterAll(async () => {
    for (const store of stores) await store.close();
    await database?.close();
  });
  for (const mode of modes)
    providerFlows(backend, {
      mode,
      open: async () => {
        await database?.close();
        database = await TestDatabase.open(backend, url, ISOLATED_NAME);
        const store = await database.createStore();
        stores.push(store);
        const harness = new ProviderHarness(new TokenService({ store, protector: E2E_MODES[mode]() }));
        await harness.start();
        return harness;
      },
      inspect: () => database!.dumpRows(),
    });
}

/** The provider flows on Cassandra: one keyspace for the file (schema created once), emptied before each test. */
export function cassandraProviderFlows(modes: readonly Mode[]): void {
  const url = process.env.TOKENSTORE_TEST_CASSANDRA_URL?.trim();
  if (!url) {
    skipped('cassandra', 'TOKENSTORE_TEST_CASSANDRA_URL is not set');
    return;
  }
  const keyspace = namespacedDatabaseName(ISOLATED_NAME);
  let client: cassandra.Client | undefined;
  let schemaReady = false;
  const stores: TokenStore[] = [];
  afterAll(async () => {
    for (const store of stores) await store.close();
    await client?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await client?.shutdown();
  });
  const connected = async () => {
    if (!client) {
      const { contactPoints, localDataCenter } = parseCassandraUrl(url);
      client = new cassandra.Client({ contactPoints, localDataCenter: localDataCenter ?? 'datacenter1' });
      await client.connect();
    }
    return client;
  };
  for (const mode of modes)
    providerFlows('cassandra', {
      mode,
      open: async () => {
        const driver = await connected();
        if (!schemaReady) {
          await (await CassandraStore.create({ client: driver, keyspace, createSchema: true })).close();
          schemaReady = true;
        }
        await emptyKeyspace(driver, keyspace);
        const store = new CassandraStore({ client: driver, keyspace, consistency: CONSISTENCY_PRESETS.production });
        stores.push(store);
        const harness = new ProviderHarness(new TokenService({ store, protector: E2E_MODES[mode]() }));
        await harness.start();
        return harness;
      },
      inspect: async () => dumpTables(await connected(), keyspace),
    });
}

import { CassandraStore, parseCassandraUrl } from '@tokenstore/cassandra';
import { runConformanceSuite } from '@tokenstore/conformance';
import cassandra from 'cassandra-driver';
import { detectCassandra, type StartedCassandra, startCassandra } from './support/environment.js';
import { HoldingClient } from './support/holding-client.js';
import { dumpTables, KeyspaceRotation } from './support/keyspace.js';

const environment = await detectCassandra();

let started: StartedCassandra | undefined;
// One driver client for the whole file: every test's store gets it injected (connections and prepared
// statements are made once), and truncation and inspection go through it too.
let shared: cassandra.Client | undefined;

/**
 * The shared client. Built without heartbeats and client-side request timers: the purger tests install
 * fake timers, and a driver timer fired by them would mark the node down with its reconnection timer
 * lost with the fake clock. If the node was marked down anyway, the client is rebuilt.
 */
async function sharedClient(url: string): Promise<cassandra.Client> {
  if (shared && shared.getState().getConnectedHosts().length > 0) return shared;
  await shared?.shutdown().catch(() => undefined);
  const { contactPoints, localDataCenter } = parseCassandraUrl(url);
  shared = new cassandra.Client({
    contactPoints,
    localDataCenter: localDataCenter ?? 'datacenter1',
    pooling: { heartBeatInterval: 0 },
    socketOptions: { readTimeout: 0 },
  });
  await shared.connect();
  return shared;
}

function client(): cassandra.Client {
  if (!shared) throw new Error('Cassandra is not set up');
  return shared;
}

// Keyspaces of this run only (named after the process), dropped at the end: two runs against one node
// (a developer's beside CI's) never truncate each other's tables.
/** Each store's client, through which the interleavings topic holds a statement's answer. */
const holdingClients = new WeakMap<CassandraStore, HoldingClient>();

const keyspaces = new KeyspaceRotation(client, `tokenstore_conformance_${process.pid}`);

runConformanceSuite<CassandraStore>({
  name: 'cassandra',
  skip: environment.kind === 'skip' ? environment.reason : undefined,
  setup: async () => {
    started = await startCassandra(environment);
    const driver = await sharedClient(started.url);
    for (const keyspace of keyspaces.keyspaces)
      await CassandraStore.create({ client: driver, keyspace, createSchema: true }).then((store) => store.close());
  },
  teardown: async () => {
    await keyspaces.drop();
    await shared?.shutdown();
    await started?.stop();
  },
  // Purge counts stay exact (the default capability): rows are written USING TTL = lifetime + the suite's
  // retention (an hour or more, in real time), so none vanishes on its own while a test runs.
  createStore: async () => {
    const driver = await sharedClient(started!.url);
    const holding = new HoldingClient(driver);
    const store = new CassandraStore({ client: holding, keyspace: await keyspaces.acquire() });
    holdingClients.set(store, holding);
    return store;
  },
  interleavings: {
    holdRotation: (store) => holdingClients.get(store)!.holdRotation(),
    holdRevocationRead: (store) => holdingClients.get(store)!.holdRevocationRead(),
  },
  destroyStore: async (store) => {
    await store.close();
    keyspaces.release(store.keyspace);
  },
  inspect: (store) => dumpTables(client(), store.keyspace),
});

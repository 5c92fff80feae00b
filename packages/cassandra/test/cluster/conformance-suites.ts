import { CassandraStore, CONSISTENCY_PRESETS, type ConsistencyOptions } from '@tokenstore/cassandra';
import { runConformanceSuite } from '@tokenstore/conformance';
import type cassandra from 'cassandra-driver';
import { afterAll } from 'vitest';
import { HoldingClient } from '../support/holding-client.js';
import { dumpTables, KeyspaceRotation } from '../support/keyspace.js';
import { clusterClient } from './cluster-control.js';

/**
 * The conformance suite on the three-node cluster, every keyspace replicated three times: the whole
 * suite at the production preset (LOCAL_QUORUM / LOCAL_SERIAL), and at the defaults (ONE / ANY) the
 * topics whose guarantees must hold at every preset: single-use codes, rotation, one active token per
 * reuse key, complete revocation, interleavings.
 */
let driver: cassandra.Client | undefined;
const client = () => {
  if (!driver) throw new Error('the cluster client is not connected');
  return driver;
};

const REPLICATION = { class: 'SimpleStrategy', replicationFactor: 3 } as const;

function clusterSuite(name: string, skip: string | undefined, consistency: ConsistencyOptions, topics?: string[]): void {
  const keyspaces = new KeyspaceRotation(client, `tokenstore_cluster_${name.replace(/\W/g, '_')}_${process.pid}`);
  const holding = new WeakMap<CassandraStore, HoldingClient>();
  runConformanceSuite<CassandraStore>({
    name: `cassandra-cluster (${name})`,
    skip,
    ...(topics ? { topics } : {}),
    // Two modes: one with values at rest, one with lookup keys only; the single-node suite runs all five.
    modes: ['plain', 'hash'],
    // Three JVMs on two cores: a hundred contending lightweight transactions on one partition time out
    // (cas_contention_timeout) before they conflict; sixteen still race every one of them, and even then
    // a loser's Paxos round now and then times out before it is decided (seen in CI: one of sixteen
    // redemptions BACKEND_UNAVAILABLE, one CONFLICT, the winner still alone).
    capabilities: { concurrency: 16, contention: 'may-time-out' },
    setup: async () => {
      driver ??= await clusterClient({ readTimeoutMs: 0 });
      for (const keyspace of keyspaces.keyspaces)
        await CassandraStore.create({ client: client(), keyspace, createSchema: true, replication: REPLICATION }).then((store) =>
          store.close(),
        );
    },
    teardown: async () => {
      await keyspaces.drop();
    },
    createStore: async () => {
      const holder = new HoldingClient(client());
      const store = new CassandraStore({ client: holder, keyspace: await keyspaces.acquire(), consistency });
      holding.set(store, holder);
      return store;
    },
    interleavings: {
      holdRotation: (store) => holding.get(store)!.holdRotation(),
      holdRevocationRead: (store) => holding.get(store)!.holdRevocationRead(),
    },
    destroyStore: async (store) => {
      await store.close();
      keyspaces.release(store.keyspace);
    },
    inspect: (store) => dumpTables(client(), store.keyspace),
  });
}

/** Registers the cluster conformance runs (call at the top level of the one cluster test file). */
export function clusterConformanceSuites(skip: string | undefined): void {
  if (skip === undefined && process.env.TOKENSTORE_TEST_CASSANDRA_CLUSTER_CONFORMANCE !== '1') {
    // Measured here: the production run times out on this 2-core machine with the rest of the suite
    // beside it (three JVMs plus the single node); CI runs it on its own, as a step after the suite.
    console.log(
      '[cassandra] cluster conformance: skipped here — CI runs it on its own afterwards; set TOKENSTORE_TEST_CASSANDRA_CLUSTER_CONFORMANCE=1 (about 4 minutes alone; too heavy beside the full suite on 2 cores)',
    );
    return;
  }
  // Registered first, so it runs after both suites' teardowns.
  afterAll(async () => {
    await driver?.shutdown();
  });
  clusterSuite('production', skip, CONSISTENCY_PRESETS.production);
  // At the defaults (ONE / ANY) the suite's read-after-write steps (issue, then use at once) are not
  // guaranteed to see their write (the documented caveat), so this run fails on staleness, not on a
  // broken guarantee; the guarantees that must hold at every preset have their own tests
  // (faults.ts). Opt in to watch it: TOKENSTORE_TEST_CASSANDRA_CLUSTER_DEFAULTS=1.
  if (process.env.TOKENSTORE_TEST_CASSANDRA_CLUSTER_DEFAULTS === '1')
    clusterSuite('defaults', skip, {}, ['revocation', 'codes', 'refresh', 'reuse', 'concurrency', 'interleavings']);
  else
    console.log(
      '[cassandra] cluster conformance at the defaults: skipped — set TOKENSTORE_TEST_CASSANDRA_CLUSTER_DEFAULTS=1 (read-after-write is not guaranteed at ONE / ANY)',
    );
}

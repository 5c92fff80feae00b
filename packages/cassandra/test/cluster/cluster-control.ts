import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CassandraClient, CassandraStore } from '@tokenstore/cassandra';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll } from 'vitest';
import { printSkip } from '../support/environment.js';

const SCRIPT = fileURLToPath(new URL('../../../../scripts/cassandra/cluster.sh', import.meta.url));

export type NodeId = 1 | 2 | 3;
export const NODE_ADDRESSES: Record<NodeId, string> = { 1: '127.0.0.2', 2: '127.0.0.3', 3: '127.0.0.4' };

/**
 * The three-node cluster of `scripts/cassandra/cluster.sh`, when CI (or a developer) started it and
 * exported its URL: `TOKENSTORE_TEST_CASSANDRA_CLUSTER_URL`. Tests that stop nodes also need
 * `TOKENSTORE_TEST_CASSANDRA_CLUSTER_CONTROL=script`: they stop and start only the script's own nodes.
 */
export function clusterEnvironment(what: string): { url: string; controlled: boolean } | undefined {
  const url = process.env.TOKENSTORE_TEST_CASSANDRA_CLUSTER_URL;
  if (!url) {
    printSkip(what, 'no TOKENSTORE_TEST_CASSANDRA_CLUSTER_URL (start one with: bash scripts/cassandra/cluster.sh start)');
    return undefined;
  }
  return { url, controlled: process.env.TOKENSTORE_TEST_CASSANDRA_CLUSTER_CONTROL === 'script' };
}

async function script(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [SCRIPT, ...args], { timeout: 240_000 });
  return stdout;
}

/** Stops, kills and restarts nodes through the script, and waits for the ring state a test needs. */
export const cluster = {
  /** SIGTERM: the node announces its shutdown, peers see it down within a second. */
  stop: (node: NodeId) => script('stop', String(node)),
  /** SIGKILL: no announcement; peers convict it after some seconds; its commit log is replayed on restart. */
  kill: (node: NodeId) => script('kill', String(node)),
  restart: (node: NodeId) => script('restart', String(node)),
  /** Polls `nodetool status` on `from` (default: every running node) until the ring reads `states`, e.g. 'UN UN DN'. */
  waitFor: (states: string, from?: NodeId) => script('wait', states, ...(from ? ['--from', String(from)] : []), '--timeout', '120'),
};

/**
 * A driver client to the cluster, every node a contact point, with no driver timers (see
 * conformance.test.ts). The store passes its levels on every statement; the default (ALL, unless
 * given) is for the tests' own statements — emptying keyspaces between tests, dumping rows — which
 * must reach every replica.
 */
export async function clusterClient(options: { consistency?: number; readTimeoutMs?: number } = {}): Promise<cassandra.Client> {
  const { consistency = cassandra.types.consistencies.all, readTimeoutMs = 12_000 } = options;
  const client = new cassandra.Client({
    contactPoints: Object.values(NODE_ADDRESSES),
    localDataCenter: 'datacenter1',
    queryOptions: { consistency },
    pooling: { heartBeatInterval: 0 },
    // 0 (no client-side timer) for suites that install fake timers, which would fire a driver timer.
    socketOptions: { readTimeout: readTimeoutMs },
    policies: { reconnection: new cassandra.policies.reconnection.ConstantReconnectionPolicy(500) },
  });
  await client.connect();
  return client;
}

/**
 * `client`, with every statement sent to one coordinator (the driver's `host` option): a store that
 * behaves as a gateway node talking to that Cassandra node only.
 */
export function pinnedTo(client: cassandra.Client, node: NodeId): CassandraClient {
  const address = `${NODE_ADDRESSES[node]}:9042`;
  return {
    execute: (query, params, options) => {
      const host = client.hosts.get(address);
      if (!host) throw new Error(`the driver knows no host ${address}`);
      return client.execute(query, params, { ...options, host } as never) as never;
    },
    shutdown: async () => undefined,
  };
}

/**
 * For a describe block on the cluster: a cluster client and a keyspace replicated three times, made
 * before its tests, dropped afterwards with the client shut down (after `cleanUp`, when given).
 * `driver()` is the client once made.
 */
export function replicatedKeyspace(keyspace: string, cleanUp?: () => Promise<void>): { driver: () => cassandra.Client } {
  let driver: cassandra.Client | undefined;
  beforeAll(async () => {
    driver = await clusterClient();
    const store = await CassandraStore.create({
      client: driver,
      keyspace,
      createSchema: true,
      replication: { class: 'SimpleStrategy', replicationFactor: 3 },
    });
    await store.close();
  }, 120_000);
  afterAll(async () => {
    await cleanUp?.();
    await driver?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await driver?.shutdown();
  }, 300_000);
  return {
    driver: () => {
      if (!driver) throw new Error('the cluster client is not connected yet');
      return driver;
    },
  };
}

/**
 * {@link replicatedKeyspace} for a describe block that stops nodes: afterwards every node is started
 * again first (a failed test may leave some down).
 */
export function replicatedKeyspaceForFaults(keyspace: string): { driver: () => cassandra.Client } {
  return replicatedKeyspace(keyspace, async () => {
    for (const node of [1, 2, 3] as const) await cluster.restart(node).catch(() => undefined);
    await cluster.waitFor('UN UN UN').catch(() => undefined);
  });
}

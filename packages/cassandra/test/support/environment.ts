import { parseCassandraUrl } from '@tokenstore/cassandra';
import cassandra from 'cassandra-driver';

/** Where the integration tests find Cassandra, decided once per test file. */
export type CassandraEnvironment = { kind: 'url'; url: string } | { kind: 'testcontainers' } | { kind: 'skip'; reason: string };

const CASSANDRA_IMAGE = 'cassandra:5.0';

/**
 * In this order: `TOKENSTORE_TEST_CASSANDRA_URL`; else Testcontainers when a Docker engine answers;
 * else a skip with the reason (the caller prints it in one line).
 */
export async function detectCassandra(): Promise<CassandraEnvironment> {
  const url = process.env.TOKENSTORE_TEST_CASSANDRA_URL;
  if (url !== undefined && url.trim() !== '') return { kind: 'url', url: url.trim() };
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return { kind: 'testcontainers' };
  } catch {
    return { kind: 'skip', reason: 'no TOKENSTORE_TEST_CASSANDRA_URL and no Docker engine for Testcontainers' };
  }
}

/** A running Cassandra for the tests: its URL, and how to stop it when the tests started it. */
export interface StartedCassandra {
  url: string;
  stop: () => Promise<void>;
}

/** Starts (Testcontainers) or just names (URL) the Cassandra to test against. */
export async function startCassandra(environment: CassandraEnvironment): Promise<StartedCassandra> {
  if (environment.kind === 'url') return { url: environment.url, stop: async () => {} };
  if (environment.kind === 'skip') throw new Error(`Cassandra is not available: ${environment.reason}`);
  const { CassandraContainer } = await import('@testcontainers/cassandra');
  const container = await new CassandraContainer(CASSANDRA_IMAGE).start();
  const url = `cassandra://${container.getContactPoint()}/?dc=${container.getDatacenter()}`;
  return { url, stop: async () => void (await container.stop()) };
}

/** One line on stdout saying which Cassandra suite is skipped and why. */
export function printSkip(what: string, reason: string): void {
  console.log(`[cassandra] ${what}: skipped — ${reason}`);
}

/** A driver client for the node behind `url` (connected), for tests that look at the tables directly. */
export async function connectDriver(url: string): Promise<cassandra.Client> {
  const { contactPoints, localDataCenter } = parseCassandraUrl(url);
  const client = new cassandra.Client({ contactPoints, localDataCenter: localDataCenter ?? 'datacenter1' });
  await client.connect();
  return client;
}

import { MisconfigurationError } from '@tokenstore/core';
import type { CassandraClient } from './client.js';
import { type ConsistencyOptions, type ResolvedConsistency, resolveConsistency } from './consistency.js';
import { BACKEND } from './errors.js';
import { parseCassandraUrl } from './url.js';

/** How the keyspace is replicated when the store creates it (`createSchema: true`). */
export type ReplicationOptions =
  /** One data centre; `replicationFactor: 1` for a single test node. */
  | { class: 'SimpleStrategy'; replicationFactor: number }
  /** Production: replicas per data centre, e.g. `{ dc1: 3, dc2: 3 }`. */
  | { class: 'NetworkTopologyStrategy'; dataCenters: Record<string, number> };

export interface CassandraStoreOptions {
  /**
   * `cassandra://[user:password@]host[:port][,host2[:port]]/[keyspace]?dc=<local data centre>`.
   * An alternative to `contactPoints` + `localDataCenter` + `keyspace`.
   */
  url?: string;
  /** `host` or `host:port` of one or more nodes. */
  contactPoints?: string[];
  /** The data centre this process is in; the driver routes to it and LOCAL_* levels count in it. */
  localDataCenter?: string;
  /** Default `tokenstore`. */
  keyspace?: string;
  credentials?: { username: string; password: string };
  /**
   * A connected (or connectable) `cassandra-driver` `Client` to use instead of building one. The
   * caller owns it: `close()` leaves it open. Statements always name the keyspace, so the client's
   * own keyspace does not matter.
   */
  client?: CassandraClient;
  /** Extra options for the driver `Client` the store builds (`socketOptions`, `pooling`, `sslOptions`, ...). */
  clientOptions?: Record<string, unknown>;
  /** Longest pause between reconnection attempts to a node that is down. Default 5000 ms. */
  reconnectMaxDelayMs?: number;
  /** Create the keyspace and tables (from the files in `sql/cassandra/`) on first use. Default false. */
  createSchema?: boolean;
  /** Replication of a keyspace created by `createSchema`. Default SimpleStrategy, factor 1. */
  replication?: ReplicationOptions;
  /** Where the `NNN_*.cql` files are; default: the copy shipped with the package, else the repository's `sql/cassandra/`. */
  schemaDirectory?: string;
  /** Read / write / serial levels, globally and per operation. Default read ONE, write ANY, serial SERIAL. */
  consistency?: ConsistencyOptions;
  purgeIndex?: {
    /** Width of a purge-index partition in seconds. Default 3600 (one hour). */
    bucketSeconds?: number;
    /** How long index entries outlive their row, as a backstop when the purger is off. Default 604800 (7 days). */
    extraTtlSeconds?: number;
  };
  /**
   * Rows whose TTL would exceed this get no TTL and rely on the purge (Cassandra caps TTLs at 20 years,
   * and before storage_compatibility_mode NONE refuses expirations past 2038). Default 5 years.
   */
  maxTtlSeconds?: number;
  /** Statements a bulk operation (revocation, purge) runs in parallel. Default 16. */
  concurrency?: number;
}

export interface ResolvedCassandraOptions {
  keyspace: string;
  /** Set when the store builds its own client. */
  driver:
    | {
        contactPoints: string[];
        localDataCenter: string;
        credentials: { username: string; password: string } | undefined;
        clientOptions: Record<string, unknown> | undefined;
        reconnectMaxDelayMs: number;
      }
    | undefined;
  client: CassandraClient | undefined;
  createSchema: boolean;
  replication: ReplicationOptions;
  schemaDirectory: string | undefined;
  consistency: ResolvedConsistency;
  purgeIndex: { bucketSeconds: number; extraTtlSeconds: number };
  maxTtlSeconds: number;
  concurrency: number;
}

export const DEFAULT_KEYSPACE = 'tokenstore';
/** Cassandra's own upper bound on a TTL. */
export const CASSANDRA_MAX_TTL_SECONDS = 20 * 365 * 24 * 3600;

const KEYSPACE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;
const DATA_CENTRE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const KNOWN_OPTIONS = new Set([
  'url',
  'contactPoints',
  'localDataCenter',
  'keyspace',
  'credentials',
  'client',
  'clientOptions',
  'reconnectMaxDelayMs',
  'createSchema',
  'replication',
  'schemaDirectory',
  'consistency',
  'purgeIndex',
  'maxTtlSeconds',
  'concurrency',
]);

function fail(option: string, message: string): MisconfigurationError {
  return new MisconfigurationError(option, message, { backend: BACKEND });
}

function integer(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw fail(option, `must be a whole number from ${min} to ${max}`);
  return value;
}

function resolveReplication(value: unknown): ReplicationOptions {
  if (value === undefined) return { class: 'SimpleStrategy', replicationFactor: 1 };
  if (value === null || typeof value !== 'object') throw fail('replication', 'must be an object');
  const r = value as Record<string, unknown>;
  if (r.class === 'SimpleStrategy')
    return { class: 'SimpleStrategy', replicationFactor: integer('replication.replicationFactor', r.replicationFactor ?? 1, 1, 1, 99) };
  if (r.class === 'NetworkTopologyStrategy') {
    const dcs = r.dataCenters;
    if (dcs === null || typeof dcs !== 'object' || Object.keys(dcs).length === 0)
      throw fail('replication.dataCenters', 'must map each data centre to its replication factor, e.g. { dc1: 3 }');
    const dataCenters: Record<string, number> = {};
    for (const [dc, factor] of Object.entries(dcs)) {
      if (!DATA_CENTRE_NAME.test(dc)) throw fail('replication.dataCenters', 'has an invalid data centre name');
      dataCenters[dc] = integer(`replication.dataCenters.${dc}`, factor, 0, 0, 99);
    }
    return { class: 'NetworkTopologyStrategy', dataCenters };
  }
  throw fail('replication.class', 'must be "SimpleStrategy" or "NetworkTopologyStrategy"');
}

/** Applies defaults and validates every option, naming the option on failure. */
export function resolveCassandraOptions(options: CassandraStoreOptions): ResolvedCassandraOptions {
  if (options === null || typeof options !== 'object') throw fail('options', 'must be an object');
  for (const name of Object.keys(options)) if (!KNOWN_OPTIONS.has(name)) throw fail(name, 'unknown option');

  const fromUrl = options.url === undefined ? undefined : parseCassandraUrl(options.url);
  if (fromUrl && options.contactPoints !== undefined) throw fail('contactPoints', 'give either url or contactPoints, not both');
  if (options.client !== undefined && (fromUrl || options.contactPoints !== undefined))
    throw fail('client', 'give either an injected client or url / contactPoints, not both');
  if (options.client !== undefined && (typeof options.client !== 'object' || typeof options.client.execute !== 'function'))
    throw fail('client', 'must be a cassandra-driver Client (an object with execute() and shutdown())');

  if (fromUrl?.keyspace !== undefined && options.keyspace !== undefined && fromUrl.keyspace !== options.keyspace)
    throw fail('keyspace', 'differs from the keyspace in url');
  const keyspace = options.keyspace ?? fromUrl?.keyspace ?? DEFAULT_KEYSPACE;
  if (typeof keyspace !== 'string' || !KEYSPACE_NAME.test(keyspace))
    throw fail('keyspace', 'must be 1..48 letters, digits or _ and start with a letter');

  let driver: ResolvedCassandraOptions['driver'];
  if (options.client === undefined) {
    const contactPoints = fromUrl?.contactPoints ?? options.contactPoints;
    if (!Array.isArray(contactPoints) || contactPoints.length === 0 || contactPoints.some((p) => typeof p !== 'string' || p.trim() === ''))
      throw fail('contactPoints', 'name at least one Cassandra node (or give url, or an injected client)');
    if (
      fromUrl?.localDataCenter !== undefined &&
      options.localDataCenter !== undefined &&
      fromUrl.localDataCenter !== options.localDataCenter
    )
      throw fail('localDataCenter', 'differs from dc in url');
    const localDataCenter = options.localDataCenter ?? fromUrl?.localDataCenter;
    if (typeof localDataCenter !== 'string' || localDataCenter === '')
      throw fail('localDataCenter', 'is required (the data centre this process is in, e.g. datacenter1; in a URL: ?dc=datacenter1)');
    const credentials = options.credentials ?? fromUrl?.credentials;
    if (credentials !== undefined && (typeof credentials.username !== 'string' || typeof credentials.password !== 'string'))
      throw fail('credentials', 'must be { username, password }');
    if (options.clientOptions !== undefined && (options.clientOptions === null || typeof options.clientOptions !== 'object'))
      throw fail('clientOptions', 'must be an object of cassandra-driver client options');
    driver = {
      contactPoints: [...contactPoints],
      localDataCenter,
      credentials,
      clientOptions: options.clientOptions,
      reconnectMaxDelayMs: integer('reconnectMaxDelayMs', options.reconnectMaxDelayMs, 5000, 100, 600_000),
    };
  }

  if (options.createSchema !== undefined && typeof options.createSchema !== 'boolean') throw fail('createSchema', 'must be a boolean');
  if (options.schemaDirectory !== undefined && typeof options.schemaDirectory !== 'string')
    throw fail('schemaDirectory', 'must be a directory path');
  const purgeIndex = options.purgeIndex ?? {};
  return {
    keyspace,
    driver,
    client: options.client,
    createSchema: options.createSchema ?? false,
    replication: resolveReplication(options.replication),
    schemaDirectory: options.schemaDirectory,
    consistency: resolveConsistency(options.consistency),
    purgeIndex: {
      bucketSeconds: integer('purgeIndex.bucketSeconds', purgeIndex.bucketSeconds, 3600, 60, 7 * 86400),
      extraTtlSeconds: integer('purgeIndex.extraTtlSeconds', purgeIndex.extraTtlSeconds, 7 * 86400, 0, 365 * 86400),
    },
    maxTtlSeconds: integer('maxTtlSeconds', options.maxTtlSeconds, 5 * 365 * 86400, 1, CASSANDRA_MAX_TTL_SECONDS),
    concurrency: integer('concurrency', options.concurrency, 16, 1, 1024),
  };
}

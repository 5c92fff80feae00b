import { DriverUnavailableError } from '@tokenstore/core';
import { BACKEND } from './errors.js';

/**
 * The small part of a `cassandra-driver` `Client` the store uses, declared here so that no driver type
 * appears in the public API: pass a real `Client` (or anything with this shape) as `client`.
 */
export interface CassandraClient {
  execute(query: string, params?: unknown[], options?: CassandraExecuteOptions): Promise<CassandraResult>;
  shutdown(): Promise<void>;
  connect?(): Promise<void>;
}

/** Per-statement options the store passes (a subset of the driver's `QueryOptions`). */
export interface CassandraExecuteOptions {
  prepare?: boolean;
  /** Native-protocol code, see `CONSISTENCY_LEVELS`. */
  consistency?: number;
  serialConsistency?: number;
  fetchSize?: number;
  /** Hex cursor from a previous result (`result.pageState`). */
  pageState?: string;
  isIdempotent?: boolean;
}

const PAGE_STATE = /^[0-9a-f]+$/i;

/** True when `cursor` has the form of a driver page state (`result.pageState`): the scans' cursor check. */
export function isPageState(cursor: string): boolean {
  return PAGE_STATE.test(cursor);
}

/** One result row: column name to driver value (Date for timestamps, Uuid objects for uuids, ...). */
export type CassandraRow = Record<string, unknown>;

export interface CassandraResult {
  rows?: CassandraRow[] | undefined;
  /** Hex string when more rows are available (paging), else null/undefined. */
  pageState?: string | null | undefined;
}

/** Options for the driver `Client` the store builds itself (when no `client` is injected). */
export interface DriverClientSettings {
  contactPoints: string[];
  localDataCenter: string;
  credentials?: { username: string; password: string } | undefined;
  /** Maximum delay between reconnection attempts to a node that went down. */
  reconnectMaxDelayMs: number;
  /** Extra driver options merged last (`socketOptions`, `pooling`, `sslOptions`, ...). */
  clientOptions?: Record<string, unknown> | undefined;
}

interface DriverModule {
  Client: new (options: Record<string, unknown>) => CassandraClient & { connect(): Promise<void> };
  policies: {
    reconnection: { ExponentialReconnectionPolicy: new (baseDelay: number, maxDelay: number, startWithNoDelay?: boolean) => unknown };
  };
}

let driverPromise: Promise<DriverModule> | undefined;

/** Loads `cassandra-driver` on first use, so importing this package never requires it. */
export function loadDriver(): Promise<DriverModule> {
  driverPromise ??= import('cassandra-driver').then(
    (module) => ((module as { default?: unknown }).default ?? module) as DriverModule,
    (error: unknown) => {
      driverPromise = undefined;
      throw new DriverUnavailableError('cassandra-driver', { backend: BACKEND, cause: error });
    },
  );
  return driverPromise;
}

/** Builds (without connecting) a driver client for the settings. */
export async function createDriverClient(settings: DriverClientSettings): Promise<CassandraClient & { connect(): Promise<void> }> {
  const driver = await loadDriver();
  const extra = settings.clientOptions ?? {};
  const extraPolicies = (extra.policies ?? {}) as Record<string, unknown>;
  return new driver.Client({
    contactPoints: settings.contactPoints,
    localDataCenter: settings.localDataCenter,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...extra,
    policies: {
      // The driver's default backs off to 10 minutes; a token store must come back within seconds.
      reconnection: new driver.policies.reconnection.ExponentialReconnectionPolicy(100, settings.reconnectMaxDelayMs, true),
      ...extraPolicies,
    },
  });
}

/** `[applied]` of a lightweight transaction's result. */
export function wasApplied(result: CassandraResult): boolean {
  const applied = result.rows?.[0]?.['[applied]'];
  return typeof applied === 'boolean' ? applied : true;
}

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SqlDialect } from '../../src/dialects/dialect.js';
import type { SqlDriver } from '../../src/dialects/driver.js';
import { ALL_TABLES, SqlStore } from '../../src/index.js';

/**
 * What the SQL Server, Oracle and DB2 conformance files share: where a database comes from (a URL
 * in an environment variable; else a Testcontainers container when a Docker engine answers; else a
 * skip reason, printed once), and a store factory over the dialect's own driver.
 */

export type ServerEnvironment =
  | { url: string; skip?: undefined; stop(): Promise<void> }
  | { url?: undefined; skip: string; stop?: undefined };

/** Where a Docker engine could answer; without one of these, Testcontainers has nothing to try. */
function dockerEndpointCandidates(): string[] {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return [
    '/var/run/docker.sock',
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    join(homedir(), '.testcontainers.properties'),
    ...(runtime ? [join(runtime, 'docker.sock'), join(runtime, 'podman', 'podman.sock')] : []),
  ];
}

/**
 * `undefined` when a container runtime answers, otherwise why not. Decides without touching
 * Testcontainers when there is no Docker endpoint at all, so a machine without Docker skips at once.
 */
export async function dockerUnavailableReason(): Promise<string | undefined> {
  if (!process.env.DOCKER_HOST && !dockerEndpointCandidates().some((path) => existsSync(path)))
    return 'no Docker engine for Testcontainers (no DOCKER_HOST and no Docker socket)';
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return undefined;
  } catch (error) {
    return `no Docker engine for Testcontainers (${(error as Error).message.split('\n')[0]})`;
  }
}

/** `undefined` when the driver package loads, otherwise why not (ibm_db needs IBM's CLI driver, downloaded at install). */
export async function driverUnavailableReason(packageName: string): Promise<string | undefined> {
  try {
    await import(packageName);
    return undefined;
  } catch (error) {
    return `driver package ${packageName} cannot be loaded (${(error as Error).message.split('\n')[0]})`;
  }
}

/**
 * The environment of one backend, in DESIGN.md's order: the URL variable, else a container from
 * `start` when Docker answers, else the reason for skipping. The driver package is loaded only when
 * there is a database to talk to, and its absence is a skip reason too (ibm_db cannot be installed
 * without IBM's CLI driver download).
 */
export async function resolveServerEnvironment(options: {
  variable: string;
  driverPackage: string;
  start: () => Promise<{ url: string; stop(): Promise<void> }>;
}): Promise<ServerEnvironment> {
  const url = process.env[options.variable];
  if (!url) {
    const docker = await dockerUnavailableReason();
    if (docker !== undefined) return { skip: `no ${options.variable} and ${docker}` };
  }
  const driver = await driverUnavailableReason(options.driverPackage);
  if (driver !== undefined) return { skip: driver };
  if (url) return { url, stop: async () => undefined };
  try {
    return await options.start();
  } catch (error) {
    return { skip: `no ${options.variable}, and the container did not start: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** A migrated database of one backend, reached through the dialect's own driver. */
export class ConformanceDatabase {
  constructor(
    readonly dialect: SqlDialect,
    readonly driver: SqlDriver,
  ) {}

  /** A store on the shared driver; closing the store leaves the driver's pool open. */
  createStore(): SqlStore {
    return new SqlStore({ dialect: this.dialect, driver: { ...bound(this.driver), destroy: async () => undefined } });
  }

  async migrate(): Promise<void> {
    const store = this.createStore();
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
  }

  /** Deletes every row of every table. */
  async clear(): Promise<void> {
    for (const table of ALL_TABLES) await this.driver.query(`DELETE FROM ${table}`, []);
  }

  /** Every row of every table (but those in `except`), as the driver returns it. */
  async dumpRows(except: readonly string[] = []): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    for (const table of ALL_TABLES.filter((name) => !except.includes(name)))
      rows.push(...(await this.driver.query(`SELECT * FROM ${table}`, [])).rows);
    return rows;
  }

  close(): Promise<void> {
    return this.driver.destroy();
  }
}

/** The driver's methods bound to it, so they survive being spread into another object. */
function bound(driver: SqlDriver): SqlDriver {
  return {
    query: (sql, params) => driver.query(sql, params),
    acquireConnection: () => driver.acquireConnection(),
    releaseConnection: (connection, broken) => driver.releaseConnection(connection, broken),
    beginTransaction: (connection) => driver.beginTransaction(connection),
    commitTransaction: (connection) => driver.commitTransaction(connection),
    rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
    destroy: () => driver.destroy(),
  };
}

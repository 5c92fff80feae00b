import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseKind } from '../../src/index.js';
import { TestDatabase } from './test-database.js';

/**
 * Where the database tests of every dialect find a server, in the order DESIGN.md gives: a URL in an
 * environment variable; else a Testcontainers container when a Docker engine answers; else a skip
 * reason naming the backend and why, which the test file prints as one line. One table,
 * {@link TEST_BACKENDS}, says per dialect which variable, which image and how to start it.
 */

/** The backends with a server on the development machine and in CI; their test files get a schema or database of their own. */
export type TestBackend = 'postgres' | 'mysql';

export type TestEnvironment =
  | { url: string; skip?: undefined; source: 'env' | 'testcontainers'; stop(): Promise<void> }
  | { url?: undefined; skip: string; stop?: undefined };

/** A started container: the URL of its database and how to stop it. */
interface StartedServer {
  url: string;
  stop(): Promise<void>;
}

interface BackendEnvironment {
  /** The environment variable holding a server URL. */
  readonly variable: string;
  /** The driver package the tests load (its absence is a skip reason: ibm_db needs IBM's CLI driver download). */
  readonly driverPackage: string;
  /** The Testcontainers image used when the variable is unset. */
  readonly image: string;
  start(image: string): Promise<StartedServer>;
}

const ORACLE_PASSWORD = 'tokenstore';
const ORACLE_APP_USER = 'tokenstore';
const DB2_PASSWORD = 'tokenstore';
/** The SQL Server container's database of its own, so the suite's tables never mix with master's. */
const MSSQL_DATABASE = 'tokenstore_conformance';

/** Every dialect's test server: variable, driver, image and how to start it. */
export const TEST_BACKENDS: Readonly<Record<DatabaseKind, BackendEnvironment>> = {
  postgres: {
    variable: 'TOKENSTORE_TEST_POSTGRES_URL',
    driverPackage: 'pg',
    image: 'postgres:16-alpine',
    async start(image) {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer(image).start();
      return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
    },
  },
  mysql: {
    variable: 'TOKENSTORE_TEST_MYSQL_URL',
    driverPackage: 'mysql2',
    image: 'mariadb:11',
    async start(image) {
      const { MariaDbContainer } = await import('@testcontainers/mariadb');
      const container = await new MariaDbContainer(image).start();
      // Root: the tests create a database per test file.
      return { url: container.getConnectionUri(true), stop: async () => void (await container.stop()) };
    },
  },
  mssql: {
    variable: 'TOKENSTORE_TEST_MSSQL_URL',
    driverPackage: 'mssql',
    image: 'mcr.microsoft.com/mssql/server:2022-latest',
    async start(image) {
      const { MSSQLServerContainer } = await import('@testcontainers/mssqlserver');
      const container = await new MSSQLServerContainer(image).acceptLicense().start();
      const server = `mssql://sa:${encodeURIComponent(container.getPassword())}@${container.getHost()}:${container.getPort()}`;
      const admin = await TestDatabase.connect('mssql', `${server}/master?encrypt=false&trustServerCertificate=true`, 'master');
      await admin.query(`IF DB_ID(N'${MSSQL_DATABASE}') IS NULL CREATE DATABASE ${MSSQL_DATABASE}`);
      await admin.close();
      return {
        url: `${server}/${MSSQL_DATABASE}?encrypt=false&trustServerCertificate=true`,
        stop: async () => void (await container.stop()),
      };
    },
  },
  oracle: {
    variable: 'TOKENSTORE_TEST_ORACLE_URL',
    driverPackage: 'oracledb',
    image: 'gvenzl/oracle-free:23-slim-faststart',
    async start(image) {
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer(image)
        .withEnvironment({ ORACLE_PASSWORD, APP_USER: ORACLE_APP_USER, APP_USER_PASSWORD: ORACLE_PASSWORD })
        .withExposedPorts(1521)
        .withWaitStrategy(Wait.forLogMessage('DATABASE IS READY TO USE!'))
        .withStartupTimeout(300_000)
        .start();
      // The migration lock uses DBMS_LOCK, which only SYS can grant.
      const grant = await container.exec([
        'bash',
        '-c',
        `echo 'GRANT EXECUTE ON SYS.DBMS_LOCK TO ${ORACLE_APP_USER};' | sqlplus -s sys/${ORACLE_PASSWORD}@//localhost:1521/FREEPDB1 as sysdba`,
      ]);
      if (grant.exitCode !== 0) throw new Error(`GRANT EXECUTE ON DBMS_LOCK failed: ${grant.output}`);
      return {
        url: `oracle://${ORACLE_APP_USER}:${ORACLE_PASSWORD}@${container.getHost()}:${container.getMappedPort(1521)}/FREEPDB1?poolSize=10`,
        stop: async () => void (await container.stop()),
      };
    },
  },
  db2: {
    variable: 'TOKENSTORE_TEST_DB2_URL',
    driverPackage: 'ibm_db',
    image: 'icr.io/db2_community/db2',
    async start(image) {
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer(image)
        .withPrivilegedMode()
        .withEnvironment({
          LICENSE: 'accept',
          DB2INSTANCE: 'db2inst1',
          DB2INST1_PASSWORD: DB2_PASSWORD,
          DBNAME: 'TESTDB',
          BLU: 'false',
          ENABLE_ORACLE_COMPATIBILITY: 'false',
          UPDATEAVAIL: 'NO',
          TO_CREATE_SAMPLEDB: 'false',
          REPODB: 'false',
          IS_OSXFS: 'false',
          PERSISTENT_HOME: 'false',
          HADR_ENABLED: 'false',
        })
        .withExposedPorts(50000)
        .withWaitStrategy(Wait.forLogMessage('Setup has completed'))
        .withStartupTimeout(900_000)
        .start();
      return {
        url: `db2://db2inst1:${DB2_PASSWORD}@${container.getHost()}:${container.getMappedPort(50000)}/TESTDB?poolSize=10`,
        stop: async () => void (await container.stop()),
      };
    },
  },
};

/** Environments of this process, resolved (and containers started) once and shared by every caller. */
const resolved = new Map<DatabaseKind, Promise<TestEnvironment>>();

export function testEnvironment(backend: DatabaseKind): Promise<TestEnvironment> {
  let environment = resolved.get(backend);
  if (!environment) {
    environment = resolveEnvironment(backend);
    resolved.set(backend, environment);
  }
  return environment;
}

/**
 * The URL variable, else a container when Docker answers, else the reason for skipping. The driver
 * package is loaded only when there is a database to talk to, and its absence is a skip reason too.
 */
async function resolveEnvironment(backend: DatabaseKind): Promise<TestEnvironment> {
  const { variable, driverPackage, image, start } = TEST_BACKENDS[backend];
  const url = process.env[variable];
  if (!url) {
    const docker = await dockerUnavailableReason();
    if (docker !== undefined) return { skip: `no ${variable} and ${docker}` };
  }
  const driver = await driverUnavailableReason(driverPackage);
  if (driver !== undefined) return { skip: driver };
  if (url) return { url, source: 'env', stop: async () => undefined };
  try {
    return { ...(await start(image)), source: 'testcontainers' };
  } catch (error) {
    return { skip: `no ${variable}, and the ${backend} container (${image}) did not start: ${(error as Error).message.split('\n')[0]}` };
  }
}

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
async function dockerUnavailableReason(): Promise<string | undefined> {
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

/** `undefined` when the driver package loads, otherwise why not. */
async function driverUnavailableReason(packageName: string): Promise<string | undefined> {
  try {
    await import(packageName);
    return undefined;
  } catch (error) {
    return `driver package ${packageName} cannot be loaded (${(error as Error).message.split('\n')[0]})`;
  }
}

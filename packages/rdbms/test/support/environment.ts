/**
 * Where the integration tests find a database, in the order DESIGN.md gives: a URL in an
 * environment variable; else a Testcontainers container when a Docker engine answers; else a skip
 * reason, which the test file prints as one line.
 */

export type TestBackend = 'postgres' | 'mysql';

export type TestEnvironment =
  | { url: string; skip?: undefined; source: 'env' | 'testcontainers'; stop(): Promise<void> }
  | { url?: undefined; skip: string; stop?: undefined };

const ENV_VARIABLES: Record<TestBackend, string> = {
  postgres: 'TOKENSTORE_TEST_POSTGRES_URL',
  mysql: 'TOKENSTORE_TEST_MYSQL_URL',
};

/** Containers of this process, started once and shared by every caller. */
const started = new Map<TestBackend, Promise<TestEnvironment>>();

export function testEnvironment(backend: TestBackend): Promise<TestEnvironment> {
  let environment = started.get(backend);
  if (!environment) {
    environment = resolveEnvironment(backend);
    started.set(backend, environment);
  }
  return environment;
}

async function resolveEnvironment(backend: TestBackend): Promise<TestEnvironment> {
  const variable = ENV_VARIABLES[backend];
  const url = process.env[variable];
  if (url) return { url, source: 'env', stop: async () => undefined };
  const docker = await dockerUnavailableReason();
  if (docker !== undefined) return { skip: `no ${variable} and ${docker}` };
  try {
    return await startContainer(backend);
  } catch (error) {
    return { skip: `no ${variable}, and the ${backend} container did not start: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** `undefined` when a container runtime answers; otherwise why not (fails fast: no image is pulled). */
async function dockerUnavailableReason(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return undefined;
  } catch (error) {
    return `no Docker engine for Testcontainers (${(error as Error).message.split('\n')[0]})`;
  }
}

async function startContainer(backend: TestBackend): Promise<TestEnvironment> {
  if (backend === 'postgres') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    return { url: container.getConnectionUri(), source: 'testcontainers', stop: async () => void (await container.stop()) };
  }
  const { MariaDbContainer } = await import('@testcontainers/mariadb');
  const container = await new MariaDbContainer('mariadb:11').start();
  // Root: the tests create a database per test file.
  return { url: container.getConnectionUri(true), source: 'testcontainers', stop: async () => void (await container.stop()) };
}

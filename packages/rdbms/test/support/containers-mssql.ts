import { MssqlDialect } from '../../src/dialects/mssql/mssql-dialect.js';
import { createMssqlPool, MssqlDriver } from '../../src/dialects/mssql/mssql-driver.js';
import { parseDatabaseUrl } from '../../src/index.js';
import { ConformanceDatabase, resolveServerEnvironment, type ServerEnvironment } from './containers-shared.js';

export const MSSQL_URL_VARIABLE = 'TOKENSTORE_TEST_MSSQL_URL';
const DATABASE = 'tokenstore_conformance';

/** `TOKENSTORE_TEST_MSSQL_URL`, else SQL Server 2022 in a container, else a skip reason. */
export function mssqlEnvironment(): Promise<ServerEnvironment> {
  return resolveServerEnvironment({ variable: MSSQL_URL_VARIABLE, driverPackage: 'mssql', start: startMssqlContainer });
}

async function startMssqlContainer(): Promise<{ url: string; stop(): Promise<void> }> {
  const { MSSQLServerContainer } = await import('@testcontainers/mssqlserver');
  const container = await new MSSQLServerContainer('mcr.microsoft.com/mssql/server:2022-latest').acceptLicense().start();
  const server = `mssql://sa:${encodeURIComponent(container.getPassword())}@${container.getHost()}:${container.getPort()}`;
  // A database of its own: the suite's tables never mix with master's.
  const admin = await connect(`${server}/master?encrypt=false&trustServerCertificate=true`);
  await admin.driver.query(`IF DB_ID(N'${DATABASE}') IS NULL CREATE DATABASE ${DATABASE}`, []);
  await admin.close();
  return { url: `${server}/${DATABASE}?encrypt=false&trustServerCertificate=true`, stop: async () => void (await container.stop()) };
}

/** The database at `url`, through a pool the test owns. */
export async function connect(url: string): Promise<ConformanceDatabase> {
  const pool = await createMssqlPool(parseDatabaseUrl(url));
  return new ConformanceDatabase(new MssqlDialect(), new MssqlDriver(pool, { ownsPool: true }));
}

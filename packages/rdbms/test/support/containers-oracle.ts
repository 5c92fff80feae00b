import { OracleDialect } from '../../src/dialects/oracle/oracle-dialect.js';
import { createOraclePool, OracleDriver } from '../../src/dialects/oracle/oracle-driver.js';
import { parseDatabaseUrl } from '../../src/index.js';
import { ConformanceDatabase, resolveServerEnvironment, type ServerEnvironment } from './containers-shared.js';

export const ORACLE_URL_VARIABLE = 'TOKENSTORE_TEST_ORACLE_URL';
const PASSWORD = 'tokenstore';
const APP_USER = 'tokenstore';

/** `TOKENSTORE_TEST_ORACLE_URL`, else Oracle Database 23ai Free in a container, else a skip reason. */
export function oracleEnvironment(): Promise<ServerEnvironment> {
  return resolveServerEnvironment({ variable: ORACLE_URL_VARIABLE, driverPackage: 'oracledb', start: startOracleContainer });
}

async function startOracleContainer(): Promise<{ url: string; stop(): Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('gvenzl/oracle-free:23-slim-faststart')
    .withEnvironment({ ORACLE_PASSWORD: PASSWORD, APP_USER, APP_USER_PASSWORD: PASSWORD })
    .withExposedPorts(1521)
    .withWaitStrategy(Wait.forLogMessage('DATABASE IS READY TO USE!'))
    .withStartupTimeout(300_000)
    .start();
  // The migration lock uses DBMS_LOCK, which only SYS can grant.
  const grant = await container.exec([
    'bash',
    '-c',
    `echo 'GRANT EXECUTE ON SYS.DBMS_LOCK TO ${APP_USER};' | sqlplus -s sys/${PASSWORD}@//localhost:1521/FREEPDB1 as sysdba`,
  ]);
  if (grant.exitCode !== 0) throw new Error(`GRANT EXECUTE ON DBMS_LOCK failed: ${grant.output}`);
  return {
    url: `oracle://${APP_USER}:${PASSWORD}@${container.getHost()}:${container.getMappedPort(1521)}/FREEPDB1?poolSize=10`,
    stop: async () => void (await container.stop()),
  };
}

/** The database at `url`, through a pool the test owns. */
export async function connect(url: string): Promise<ConformanceDatabase> {
  const pool = await createOraclePool(parseDatabaseUrl(url));
  return new ConformanceDatabase(new OracleDialect(), new OracleDriver(pool, { ownsPool: true }));
}

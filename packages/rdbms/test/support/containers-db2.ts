import { Db2Dialect } from '../../src/dialects/db2/db2-dialect.js';
import { createDb2Pool, Db2Driver } from '../../src/dialects/db2/db2-driver.js';
import { parseDatabaseUrl } from '../../src/index.js';
import { ConformanceDatabase, resolveServerEnvironment, type ServerEnvironment } from './containers-shared.js';

export const DB2_URL_VARIABLE = 'TOKENSTORE_TEST_DB2_URL';
const PASSWORD = 'tokenstore';

/** `TOKENSTORE_TEST_DB2_URL`, else Db2 Community Edition in a (privileged) container, else a skip reason. */
export function db2Environment(): Promise<ServerEnvironment> {
  return resolveServerEnvironment({ variable: DB2_URL_VARIABLE, driverPackage: 'ibm_db', start: startDb2Container });
}

async function startDb2Container(): Promise<{ url: string; stop(): Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('icr.io/db2_community/db2')
    .withPrivilegedMode()
    .withEnvironment({
      LICENSE: 'accept',
      DB2INSTANCE: 'db2inst1',
      DB2INST1_PASSWORD: PASSWORD,
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
    url: `db2://db2inst1:${PASSWORD}@${container.getHost()}:${container.getMappedPort(50000)}/TESTDB?poolSize=10`,
    stop: async () => void (await container.stop()),
  };
}

/**
 * The database at `url`, through a pool the test owns, with the migration lock's table prepared
 * (the runner does not run `migrationLock.prepare` yet; see the DB2 dialect).
 */
export async function connect(url: string): Promise<ConformanceDatabase> {
  const dialect = new Db2Dialect();
  const driver = new Db2Driver(await createDb2Pool(parseDatabaseUrl(url)), { ownsPool: true });
  await driver.query(dialect.migrationLock.prepare, []);
  return new ConformanceDatabase(dialect, driver);
}

import { runConformanceSuite } from '@tokenstore/conformance';
import { type DatabaseKind, LEASE_TABLE, type SqlStore } from '../src/index.js';
import { testEnvironment } from './support/environment.js';
import { HOLDING_POOLS, type HoldingPool } from './support/holding-pool.js';
import { TestDatabase } from './support/test-database.js';

/**
 * The conformance suite against every dialect, one after the other: each from its server URL
 * (`TOKENSTORE_TEST_<DB>_URL`), else a Testcontainers container, else one printed line saying why
 * it is skipped (see `support/environment.ts`).
 */
const BACKENDS: readonly DatabaseKind[] = ['postgres', 'mysql', 'mssql', 'oracle', 'db2'];

for (const backend of BACKENDS) {
  const environment = await testEnvironment(backend);
  const holding = HOLDING_POOLS[backend];
  let database: TestDatabase;
  // Where the backend has one, the stores' pool: the real one, with a way to hold a transaction
  // before COMMIT (interleavings topic).
  let holder: HoldingPool | undefined;

  runConformanceSuite<SqlStore>({
    name: backend,
    skip: environment.skip,
    setup: async () => {
      database = await TestDatabase.open(backend, environment.url!, 'tokenstore_conformance');
      holder = holding?.(database.pool);
    },
    teardown: async () => {
      await database?.close();
      await environment.stop?.();
    },
    createStore: async () => {
      await database.clear();
      return database.createStore({}, holder?.pool);
    },
    ...(holding && {
      interleavings: {
        holdRotation: () => holder!.holdRotation(),
        waitForLockWaiter: (_store, timeoutMs) => holder!.waitForLockWaiter(timeoutMs),
      },
    }),
    // Every table but the purge lease: its one row (a holder id and an expiry) is bookkeeping that a
    // purge run creates, and the suite counts stored rows around purge runs.
    inspect: () => database.dumpRows([LEASE_TABLE]),
  });
}

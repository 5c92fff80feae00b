import { runConformanceSuite } from '@tokenstore/conformance';
import type mysql from 'mysql2/promise';
import { createSqlStore, LEASE_TABLE, type SqlStore } from '../src/index.js';
import { testEnvironment } from './support/environment.js';
import { holdingMysqlPool } from './support/holding-pool.js';
import { TestDatabase } from './support/test-database.js';

const environment = await testEnvironment('mysql');
let database: TestDatabase;
// The stores' pool: the real one, with a way to hold a transaction before COMMIT (interleavings topic).
let holder: ReturnType<typeof holdingMysqlPool>;

runConformanceSuite<SqlStore>({
  name: 'mysql',
  skip: environment.skip,
  setup: async () => {
    database = await TestDatabase.open('mysql', environment.url!, 'tokenstore_conformance');
    holder = holdingMysqlPool(database.pool as mysql.Pool);
  },
  teardown: async () => {
    await database?.close();
    await environment.stop?.();
  },
  createStore: async () => {
    await database.clear();
    return createSqlStore({ dialect: 'mysql', pool: holder.pool });
  },
  interleavings: {
    holdRotation: () => holder.holdRotation(),
    waitForLockWaiter: (_store, timeoutMs) => holder.waitForLockWaiter(timeoutMs),
  },
  // Every table but the purge lease: its one row (a holder id and an expiry) is bookkeeping that a
  // purge run creates, and the suite counts stored rows around purge runs.
  inspect: () => database.dumpRows([LEASE_TABLE]),
});

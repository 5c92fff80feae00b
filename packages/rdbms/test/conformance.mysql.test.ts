import { runConformanceSuite } from '@tokenstore/conformance';
import { LEASE_TABLE, type SqlStore } from '../src/index.js';
import { testEnvironment } from './support/environment.js';
import { TestDatabase } from './support/test-database.js';

const environment = await testEnvironment('mysql');
let database: TestDatabase;

runConformanceSuite<SqlStore>({
  name: 'mysql',
  skip: environment.skip,
  setup: async () => {
    database = await TestDatabase.open('mysql', environment.url!, 'tokenstore_conformance');
  },
  teardown: async () => {
    await database?.close();
    await environment.stop?.();
  },
  createStore: async () => {
    await database.clear();
    return database.createStore();
  },
  // Every table but the purge lease: its one row (a holder id and an expiry) is bookkeeping that a
  // purge run creates, and the suite counts stored rows around purge runs.
  inspect: () => database.dumpRows([LEASE_TABLE]),
});

import { runConformanceSuite } from '@tokenstore/conformance';
import { LEASE_TABLE, type SqlStore } from '../src/index.js';
import { connect, mssqlEnvironment } from './support/containers-mssql.js';
import type { ConformanceDatabase } from './support/containers-shared.js';

const environment = await mssqlEnvironment();
let database: ConformanceDatabase;

runConformanceSuite<SqlStore>({
  name: 'mssql',
  skip: environment.skip,
  setup: async () => {
    database = await connect(environment.url!);
    await database.migrate();
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

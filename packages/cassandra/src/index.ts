export { CassandraStore } from './cassandra-store.js';
export type { CassandraClient, CassandraExecuteOptions, CassandraResult, CassandraRow } from './client.js';
export {
  CONSISTENCY_LEVELS,
  CONSISTENCY_PRESETS,
  type ConsistencyLevel,
  type ConsistencyOptions,
  type ConsistencySettings,
  DEFAULT_CONSISTENCY,
  describeConsistency,
  type OperationConsistency,
  type ResolvedConsistency,
  resolveConsistency,
  type SerialConsistencyLevel,
  STORE_OPERATIONS,
  type StoreOperation,
} from './consistency.js';
export { CassandraErrorCode, isUnavailable, isUnknownOutcome, toStoreError } from './errors.js';
export { type CassandraStoreOptions, DEFAULT_KEYSPACE, type ReplicationOptions, type ResolvedCassandraOptions } from './options.js';
export {
  applySchema,
  DATA_TABLES,
  type DataTable,
  locateSchemaDirectory,
  MIGRATIONS_TABLE,
  readSchemaFiles,
  schemaStatements,
} from './schema.js';
export { type CassandraUrl, parseCassandraUrl } from './url.js';

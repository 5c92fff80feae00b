import type { CassandraStore } from '@tokenstore/cassandra';
import type { Retention } from '@tokenstore/core';

/**
 * Hands the conformance suite's retention (the longest any of its tests configures) to a fresh store
 * and keeps it: the suite runs services with different retentions over one store, which the store
 * refuses in production (every service on one store needs the same retention, see `acceptRetention`).
 * Rows then live as long as the longest of them needs, as they did when the store took the
 * retention as an option; each service still purges by its own cut-offs.
 */
export function keepSuiteRetention(store: CassandraStore, retention: Retention): CassandraStore {
  store.useRetention(retention);
  store.useRetention = () => {};
  return store;
}

import { MemoryStore, ReadCache } from '@tokenstore/cache';
import { CassandraStore } from '@tokenstore/cassandra';
import type { Clock, TokenStore } from '@tokenstore/core';
import { createSqlStore } from '@tokenstore/rdbms';
import type { BackendConfig, CliConfig } from './config.js';

/** What {@link openStore} needs from the configuration. */
export type StoreSettings = Pick<CliConfig, 'backend' | 'readCache' | 'service'>;

export interface OpenStoreOptions {
  /**
   * Apply the schema while opening: SQL runs the migration files (MigrationRunner), Cassandra creates
   * the keyspace and tables. Ignored for `memory:`. Default false.
   */
  migrate?: boolean;
  /** Clock of the in-memory store's retention TTLs and of the read cache (tests pass a ManualClock). */
  clock?: Clock;
}

/**
 * Opens the store `TOKENSTORE_URL` names: a `MemoryStore` for `memory:`, a `SqlStore` for the SQL URLs,
 * a `CassandraStore` for `cassandra://` — wrapped in a `ReadCache` when a read cache is
 * configured. A missing driver package fails with the core `DriverUnavailableError`
 * (`DRIVER_UNAVAILABLE`), whose `packageName` says what to install; an unreachable database with
 * `BACKEND_UNAVAILABLE`.
 */
export async function openStore(settings: StoreSettings, options: OpenStoreOptions = {}): Promise<TokenStore> {
  const store = await openBackend(settings.backend, options);
  if (!settings.readCache || settings.backend.kind === 'memory') return store;
  return new ReadCache(store, {
    ttlMs: settings.readCache.ttlMs,
    maxEntries: settings.readCache.maxEntries,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

async function openBackend(backend: BackendConfig, options: OpenStoreOptions): Promise<TokenStore> {
  switch (backend.kind) {
    case 'memory':
      // The service hands its retention to the store when it is constructed (TokenStore.useRetention).
      return new MemoryStore(options.clock ? { clock: options.clock } : {});
    case 'sql':
      return createSqlStore({ url: backend.url, migrate: options.migrate ?? false });
    case 'cassandra':
      // No retention here: the service hands its own to the store (useRetention).
      return CassandraStore.create({ url: backend.url, createSchema: options.migrate ?? false });
  }
}

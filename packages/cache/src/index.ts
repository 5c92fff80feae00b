export { CacheStore, type CacheStoreSizes } from './cache-store.js';
export {
  type CacheRetention,
  type CacheStoreOptions,
  DEFAULT_CACHE_RETENTION,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_NEGATIVE_TTL_MS,
  DEFAULT_READ_CACHE_MAX_ENTRIES,
  DEFAULT_READ_CACHE_TTL_MS,
  type ReadCacheOptions,
  type ResolvedCacheStoreOptions,
  type ResolvedReadCacheOptions,
} from './options.js';
export { ReadCacheStore } from './read-cache.js';
export type { TokenTableSizes } from './token-table.js';

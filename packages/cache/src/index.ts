export type { ArtifactTableSizes } from './artifact-table.js';
export { MemoryStore, type MemoryStoreSizes } from './memory-store.js';
export {
  DEFAULT_MAX_ENTRIES,
  DEFAULT_NEGATIVE_TTL_MS,
  DEFAULT_READ_CACHE_MAX_ENTRIES,
  DEFAULT_READ_CACHE_TTL_MS,
  type MemoryStoreOptions,
  type ReadCacheOptions,
  type ResolvedMemoryStoreOptions,
  type ResolvedReadCacheOptions,
} from './options.js';
export { ReadCache } from './read-cache.js';
export type { TokenTableSizes } from './token-table.js';

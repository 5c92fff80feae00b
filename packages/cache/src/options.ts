import { type Clock, MisconfigurationError, systemClock } from '@tokenstore/core';

export interface MemoryStoreOptions {
  /**
   * Most rows kept per kind (access tokens, refresh tokens and codes each have their own LRU); the
   * least recently used row is evicted first. Clients are never evicted. Default 100_000.
   */
  maxEntries?: number;
  /** Optional memory bound per kind, in (estimated) bytes; rows are evicted to stay under it. */
  maxMemoryBytes?: number;
  /**
   * Time source of the retention TTLs (epoch milliseconds). Pass the service's clock (e.g. a
   * `ManualClock` in tests) so rows age with it. Default: the system clock.
   */
  clock?: Clock;
}

export interface ResolvedMemoryStoreOptions {
  maxEntries: number;
  maxMemoryBytes: number | null;
  clock: Clock;
}

export const DEFAULT_MAX_ENTRIES = 100_000;

/** Options of the read cache a {@link ReadCache} keeps in front of another store. */
export interface ReadCacheOptions {
  /** Most cached lookups per kind (and for clients). Default 10_000. */
  maxEntries?: number;
  /**
   * Longest a found row is served from the cache, in milliseconds: the maximum staleness of a change
   * made on another node (a revocation there is seen here at most this late). Default 5000.
   */
  ttlMs?: number;
  /** How long an unknown key is remembered as unknown, in milliseconds; 0 switches negative caching off. Default 1000. */
  negativeTtlMs?: number;
  /** Time source of the cache TTLs; default the system clock. */
  clock?: Clock;
}

export interface ResolvedReadCacheOptions {
  maxEntries: number;
  ttlMs: number;
  negativeTtlMs: number;
  clock: Clock;
}

export const DEFAULT_READ_CACHE_MAX_ENTRIES = 10_000;
export const DEFAULT_READ_CACHE_TTL_MS = 5000;
export const DEFAULT_NEGATIVE_TTL_MS = 1000;

// lru-cache preallocates `max` slots and its TTLs must stay below 2^31 ms to be timer-safe.
const MAX_ENTRIES_LIMIT = 2 ** 24;
const MAX_TTL_MS = 2 ** 31 - 1;

type Backend = { backend: string };

function requireOptionsObject(name: string, value: unknown, where: Backend): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new MisconfigurationError(name, 'must be an object', where);
  return value as Record<string, unknown>;
}

function rejectUnknown(name: string, value: Record<string, unknown>, known: readonly string[], where: Backend): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new MisconfigurationError(`${name}${unknown}`, `is not an option; known: ${known.join(', ')}`, where);
}

function integerOption(name: string, value: unknown, min: number, max: number, fallback: number, where: Backend): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw new MisconfigurationError(name, `must be a whole number from ${min} to ${max}`, where);
  return value;
}

function clockOption(value: unknown, where: Backend): Clock {
  if (value === undefined) return systemClock;
  if (value === null || typeof (value as Partial<Clock>).now !== 'function')
    throw new MisconfigurationError('clock', 'must be a Clock (an object with a now() method returning epoch milliseconds)', where);
  return value as Clock;
}

/** Applies defaults and validates every MemoryStore option, naming the option on failure. */
export function resolveMemoryStoreOptions(options: MemoryStoreOptions | undefined): ResolvedMemoryStoreOptions {
  const where = { backend: 'memory' };
  const o = requireOptionsObject('options', options, where);
  rejectUnknown('', o, ['maxEntries', 'maxMemoryBytes', 'clock'], where);
  return {
    maxEntries: integerOption('maxEntries', o.maxEntries, 1, MAX_ENTRIES_LIMIT, DEFAULT_MAX_ENTRIES, where),
    maxMemoryBytes:
      o.maxMemoryBytes === undefined ? null : integerOption('maxMemoryBytes', o.maxMemoryBytes, 1024, Number.MAX_SAFE_INTEGER, 0, where),
    clock: clockOption(o.clock, where),
  };
}

/** Applies defaults and validates every ReadCache option, naming the option on failure. */
export function resolveReadCacheOptions(options: ReadCacheOptions | undefined, backend: string): ResolvedReadCacheOptions {
  const where = { backend };
  const o = requireOptionsObject('options', options, where);
  rejectUnknown('', o, ['maxEntries', 'ttlMs', 'negativeTtlMs', 'clock'], where);
  return {
    maxEntries: integerOption('maxEntries', o.maxEntries, 1, MAX_ENTRIES_LIMIT, DEFAULT_READ_CACHE_MAX_ENTRIES, where),
    ttlMs: integerOption('ttlMs', o.ttlMs, 1, MAX_TTL_MS, DEFAULT_READ_CACHE_TTL_MS, where),
    negativeTtlMs: integerOption('negativeTtlMs', o.negativeTtlMs, 0, MAX_TTL_MS, DEFAULT_NEGATIVE_TTL_MS, where),
    clock: clockOption(o.clock, where),
  };
}

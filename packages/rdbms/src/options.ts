import { MisconfigurationError } from '@tokenstore/core';
import type { SqlDialect } from './dialects/dialect.js';
import type { SqlDriver } from './dialects/driver.js';

/** How often an operation that hit a deadlock or serialization failure is tried again. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  attempts?: number;
  /** Backoff before attempt n is a random delay up to `baseDelayMs * 2^(n-1)` ms. Default 5. */
  baseDelayMs?: number;
}

/** Options shared by every way of creating a SQL store. */
export interface SqlStoreSettings {
  /**
   * Copy purged rows to the audit tables (`*_audit`, created by `002_audit.sql`) in the same
   * transaction that deletes them. Default false.
   */
  archive?: boolean;
  retry?: RetryOptions;
  /**
   * Where the `NNN_*.sql` files of each dialect live (a folder holding `postgres/`, `mysql/`, …).
   * Default: the `sql/` folder shipped in this package.
   */
  migrationsDirectory?: string;
}

/** Options of `new SqlStore(…)`: a dialect and a driver built around a pool (see `createSqlStore` for the short way). */
export interface SqlStoreOptions extends SqlStoreSettings {
  dialect: SqlDialect;
  driver: SqlDriver;
}

export interface ResolvedSqlStoreOptions {
  dialect: SqlDialect;
  driver: SqlDriver;
  archive: boolean;
  retry: Required<RetryOptions>;
  migrationsDirectory: string | undefined;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 5, baseDelayMs: 5 };

/** Applies defaults and validates every option, naming the option on failure. */
export function resolveSqlStoreOptions(options: SqlStoreOptions): ResolvedSqlStoreOptions {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError('options', 'must be an object');
  const { dialect, driver } = options;
  if (!dialect || typeof dialect.classifyError !== 'function' || typeof dialect.placeholder !== 'function')
    throw new MisconfigurationError('dialect', 'must be a SqlDialect (e.g. new PostgresDialect())');
  if (!driver || typeof driver.query !== 'function' || typeof driver.acquireConnection !== 'function')
    throw new MisconfigurationError('driver', 'must be a SqlDriver (e.g. new PostgresDriver(pool))');
  if (options.archive !== undefined && typeof options.archive !== 'boolean')
    throw new MisconfigurationError('archive', 'must be a boolean');
  const retry = { ...DEFAULT_RETRY, ...stripUndefined(options.retry ?? {}) };
  if (!Number.isSafeInteger(retry.attempts) || retry.attempts < 1 || retry.attempts > 100)
    throw new MisconfigurationError('retry.attempts', 'must be a whole number from 1 to 100');
  if (typeof retry.baseDelayMs !== 'number' || !Number.isFinite(retry.baseDelayMs) || retry.baseDelayMs < 0 || retry.baseDelayMs > 10_000)
    throw new MisconfigurationError('retry.baseDelayMs', 'must be a number of milliseconds from 0 to 10000');
  if (options.migrationsDirectory !== undefined && (typeof options.migrationsDirectory !== 'string' || options.migrationsDirectory === ''))
    throw new MisconfigurationError('migrationsDirectory', 'must be a non-empty path');
  return { dialect, driver, archive: options.archive ?? false, retry, migrationsDirectory: options.migrationsDirectory };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

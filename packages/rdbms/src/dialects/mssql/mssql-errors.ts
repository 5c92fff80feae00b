import type { ClassifiedDriverError } from '../dialect.js';
import { errorProperty, isNetworkError } from '../standard-sql.js';

/**
 * What an `mssql` (tedious) error means. `mssql` raises `RequestError` for server errors, with the
 * SQL Server error `number` (`code` is then `EREQUEST`), and `ConnectionError` / `RequestError`
 * with a tedious or mssql `code` and no number for client-side failures.
 * Error numbers: https://learn.microsoft.com/sql/relational-databases/errors-events/database-engine-events-and-errors
 */

/** 2627: PRIMARY KEY or UNIQUE constraint; 2601: unique index (the filtered one-active-token index among them). */
const UNIQUE_VIOLATIONS = new Set([2627, 2601]);

/**
 * 1205 deadlock victim, 1222 lock request time-out, 3960 snapshot update conflict, and the
 * memory-optimized table conflicts (41301, 41302, 41305, 41325) that Microsoft says to retry.
 */
const RETRYABLE_ERRORS = new Set([1205, 1222, 3960, 41301, 41302, 41305, 41325]);
/** 208 invalid object name, 207 invalid column name. */
const MISSING_SCHEMA_ERRORS = new Set([208, 207]);

/**
 * Server-side "not available now": database cannot be opened (4060), no process on the other end
 * (233), transport errors (10053, 10054, 10060), and Azure SQL's transient errors (40197, 40501,
 * 40613, 49918, 49919, 49920).
 */
const CONNECTION_ERRORS = new Set([233, 4060, 10053, 10054, 10060, 40197, 40501, 40613, 49918, 49919, 49920]);

/**
 * tedious / mssql client codes for a broken, closed or unreachable connection. `ETIMEOUT` covers both
 * a connect timeout and a request timeout: after either, the outcome on the server is unknown.
 */
const CONNECTION_CODES = new Set(['ESOCKET', 'ECONNCLOSED', 'ETIMEOUT', 'ECLOSE', 'ENOTOPEN', 'ENOCONN', 'EINSTLOOKUP', 'EINVALIDSTATE']);

/** The "… unique index 'name'" / "… constraint 'name'" part of messages 2601 and 2627 (English server messages). */
const VIOLATED_NAME = /(?:unique index|constraint) '([^']+)'/;

/** Classifies an `mssql` error by its number or code (see {@link SqlDialect.classifyError}). */
export function classifyMssqlError(error: unknown): ClassifiedDriverError {
  const number = serverErrorNumber(error);
  const rawCode = errorProperty(error, 'code');
  const clientCode = typeof rawCode === 'string' ? rawCode : undefined;
  // Report the server's number when there is one: `EREQUEST` alone says nothing.
  const code = number !== undefined ? String(number) : clientCode;
  if (number !== undefined && UNIQUE_VIOLATIONS.has(number)) return { kind: 'unique-violation', code, constraint: violatedName(error) };
  if (number !== undefined && RETRYABLE_ERRORS.has(number)) return { kind: 'retryable', code };
  if (number !== undefined && MISSING_SCHEMA_ERRORS.has(number)) return { kind: 'missing-schema', code };
  if (
    (number !== undefined && CONNECTION_ERRORS.has(number)) ||
    (clientCode !== undefined && CONNECTION_CODES.has(clientCode)) ||
    // tarn (mssql's pool) gives up waiting for a free connection.
    errorProperty(error, 'name') === 'TimeoutError' ||
    isNetworkError(error) ||
    isNetworkError(errorProperty(error, 'originalError'))
  )
    return { kind: 'connection', code };
  return { kind: 'other', code };
}

/** `number` of an mssql `RequestError`, or of the tedious error it wraps. */
function serverErrorNumber(error: unknown): number | undefined {
  const own = errorProperty(error, 'number');
  if (typeof own === 'number') return own;
  const info = errorProperty(errorProperty(error, 'originalError'), 'info');
  const wrapped = errorProperty(info, 'number');
  return typeof wrapped === 'number' ? wrapped : undefined;
}

/**
 * The index or constraint named in a duplicate-key message, and nothing else of it: the rest holds
 * the duplicate value, a lookup key. Messages in another server language yield `undefined`.
 */
function violatedName(error: unknown): string | undefined {
  const message = errorProperty(error, 'message');
  if (typeof message !== 'string') return undefined;
  const match = VIOLATED_NAME.exec(message);
  if (!match) return undefined;
  const name = match[1]!;
  return name.slice(name.lastIndexOf('.') + 1);
}

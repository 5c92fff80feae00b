import type { ClassifiedDriverError } from '../dialect.js';
import { errorProperty, isNetworkError } from '../standard-sql.js';

/**
 * What a `mysql2` error means. Server errors carry the server's error number in `errno` and its
 * name in `code` (`ER_DUP_ENTRY`); mysql2's own errors a client `code`, or only a message.
 */

/** Server error numbers (MySQL and MariaDB agree on these). */
const UNIQUE_VIOLATIONS = new Set([1062, 1586, 1022]); // ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME, ER_DUP_KEY
const RETRYABLE_ERRORS = new Set([1213, 1205]); // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
const MISSING_SCHEMA_ERRORS = new Set([1146, 1054]); // ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR
/** Server shutdown, killed connection, too many connections, client timeouts (MySQL 4031, MariaDB 1927). */
const CONNECTION_ERRORS = new Set([1040, 1053, 1077, 1152, 1153, 1158, 1159, 1160, 1161, 1927, 2002, 2003, 2006, 2013, 4031]);
const CONNECTION_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR']);
/** mysql2's own errors without a code. */
const MYSQL2_CONNECTION_MESSAGES = ['Pool is closed', 'connection is in closed state'];

/** Classifies a `mysql2` error by its server error number or client code (see {@link DriverErrorClassifier.classifyError}). */
export function classifyMysqlError(error: unknown): ClassifiedDriverError {
  const errno = errorProperty(error, 'errno');
  const rawCode = errorProperty(error, 'code');
  const code = typeof rawCode === 'string' ? rawCode : undefined;
  if (typeof errno === 'number' && UNIQUE_VIOLATIONS.has(errno))
    return { kind: 'unique-violation', code, constraint: duplicateKeyName(error) };
  if (typeof errno === 'number' && RETRYABLE_ERRORS.has(errno)) return { kind: 'retryable', code };
  if (typeof errno === 'number' && MISSING_SCHEMA_ERRORS.has(errno)) return { kind: 'missing-schema', code };
  if (
    (typeof errno === 'number' && CONNECTION_ERRORS.has(errno)) ||
    (code !== undefined && CONNECTION_CODES.has(code)) ||
    errorProperty(error, 'fatal') === true ||
    isNetworkError(error)
  )
    return { kind: 'connection', code };
  const message = errorProperty(error, 'message');
  if (typeof message === 'string' && MYSQL2_CONNECTION_MESSAGES.some((text) => message.includes(text))) return { kind: 'connection', code };
  return { kind: 'other', code };
}

/**
 * The index named in "Duplicate entry '…' for key 'table.index'" (MySQL 8) or "… for key 'index'"
 * (MariaDB). Only the name is kept: the rest of the message holds the duplicate value.
 */
function duplicateKeyName(error: unknown): string | undefined {
  const message = errorProperty(error, 'message');
  if (typeof message !== 'string') return undefined;
  const match = /for key '([^']+)'$/.exec(message);
  if (!match) return undefined;
  const name = match[1]!;
  return name.slice(name.lastIndexOf('.') + 1);
}

import type { ClassifiedDriverError } from '../dialect.js';
import { errorProperty, isNetworkError } from '../standard-sql.js';

/**
 * What an `oracledb` error means. Database errors carry `errorNum` (1 for ORA-00001) and `code`
 * (`ORA-00001`); driver errors carry only `code` (`NJS-500`). The driver rewrites lost-connection
 * database errors (ORA-03113, ORA-03114, …) to `code: 'NJS-500'` and keeps their `errorNum`.
 */

/** ORA-00001 unique constraint violated. */
const UNIQUE_VIOLATION = 1;

/** ORA-00060 deadlock, ORA-08177 cannot serialize access, ORA-30006 resource busy (WAIT timeout). */
const RETRYABLE_ERRORS = new Set([60, 8177, 30006]);
/** ORA-00942 table or view does not exist, ORA-00904 invalid identifier (a missing column). */
const MISSING_SCHEMA_ERRORS = new Set([942, 904]);

/**
 * Session killed (28), not logged on (1012), instance starting or shutting down (1033, 1034, 1089,
 * 1090, 1092), end-of-file / lost contact (3113, 3114, 3135), listener and TNS failures (12153,
 * 12170, 12514, 12516, 12518, 12519, 12520, 12521, 12528, 12537, 12541, 12543, 12547, 12560, 12570,
 * 12571), lost instance in RAC (25408).
 */
const CONNECTION_ERRORS = new Set([
  28, 1012, 1033, 1034, 1089, 1090, 1092, 3113, 3114, 3135, 12153, 12170, 12514, 12516, 12518, 12519, 12520, 12521, 12528, 12537, 12541,
  12543, 12547, 12560, 12570, 12571, 25408,
]);

/**
 * Driver codes for an unusable connection or pool: NJS-003 invalid connection, NJS-040 queue
 * timeout, NJS-064/065 pool closing/closed, NJS-123 call timeout (outcome unknown), and the
 * Oracle Net range NJS-500…NJS-535 (closed, lost contact, timed out, refused, host not found …).
 */
const CONNECTION_CODES = new Set(['NJS-003', 'NJS-040', 'NJS-064', 'NJS-065', 'NJS-123']);
const NET_ERROR_CODE = /^NJS-5\d\d$/;

/** "ORA-00001: unique constraint (SCHEMA.NAME) violated…": the name only, never the values 23ai appends. */
const VIOLATED_NAME = /unique constraint \(([^)]+)\)/;

/** Classifies an `oracledb` error by its number or code (see {@link SqlDialect.classifyError}). */
export function classifyOracleError(error: unknown): ClassifiedDriverError {
  const rawNumber = errorProperty(error, 'errorNum');
  const errorNum = typeof rawNumber === 'number' && rawNumber > 0 ? rawNumber : undefined;
  const rawCode = errorProperty(error, 'code');
  const driverCode = typeof rawCode === 'string' ? rawCode : undefined;
  const code = driverCode ?? (errorNum !== undefined ? `ORA-${String(errorNum).padStart(5, '0')}` : undefined);
  if (errorNum === UNIQUE_VIOLATION) return { kind: 'unique-violation', code, constraint: violatedName(error) };
  if (errorNum !== undefined && RETRYABLE_ERRORS.has(errorNum)) return { kind: 'retryable', code };
  if (errorNum !== undefined && MISSING_SCHEMA_ERRORS.has(errorNum)) return { kind: 'missing-schema', code };
  if (
    (errorNum !== undefined && CONNECTION_ERRORS.has(errorNum)) ||
    (driverCode !== undefined && (CONNECTION_CODES.has(driverCode) || NET_ERROR_CODE.test(driverCode))) ||
    errorProperty(error, 'isRecoverable') === true ||
    isNetworkError(error)
  )
    return { kind: 'connection', code };
  return { kind: 'other', code };
}

/** The violated index or constraint, lower-cased as the schema files spell it. */
function violatedName(error: unknown): string | undefined {
  const message = errorProperty(error, 'message');
  if (typeof message !== 'string') return undefined;
  const match = VIOLATED_NAME.exec(message);
  if (!match) return undefined;
  const qualified = match[1]!;
  return qualified
    .slice(qualified.lastIndexOf('.') + 1)
    .replace(/"/g, '')
    .toLowerCase();
}

import type { ClassifiedDriverError } from '../dialect.js';
import { errorProperty, isNetworkError } from '../standard-sql.js';

/**
 * What an `ibm_db` error means. Errors from the CLI driver carry the SQLSTATE in `state` (or
 * `sqlstate` on some of ibm_db's own errors) and the SQLCODE in `sqlcode` (negative).
 *
 * DB2 names the violated index by its internal id, not its name (`SQL0803N … identified by "2"`),
 * so a unique violation carries no constraint name: the DB2 dialect's inserts avoid raising one on
 * a taken reuse slot (see `Db2Dialect.insertExclusiveAccessToken`).
 */

const UNIQUE_VIOLATION_STATE = '23505';
const UNIQUE_VIOLATION_CODE = -803;

/** 40001: deadlock or lock timeout, transaction rolled back (SQL0911N); 57033: the same, statement only (SQL0913N). */
const RETRYABLE_STATES = new Set(['40001', '57033']);
const RETRYABLE_CODES = new Set([-911, -913]);
/** SQL0204N undefined name (42704), SQL0206N undefined column (42703). */
const MISSING_SCHEMA_STATES = new Set(['42704', '42703']);
const MISSING_SCHEMA_CODES = new Set([-204, -206]);

/**
 * SQLSTATE class 08 (connection exception), 40003 (statement completion unknown after a
 * communication failure), 55032 (database manager stopped), HYT00/HYT01 (CLI timeouts).
 */
const CONNECTION_STATES = new Set(['40003', '55032', 'HYT00', 'HYT01']);
/** SQL30081N communication error, SQL30108N client reroute, SQL1224N agent gone, SQL1776N HADR standby, SQL30080N. */
const CONNECTION_CODES = new Set([-30081, -30108, -1224, -1776, -30080]);

/** Classifies an `ibm_db` error by SQLSTATE and SQLCODE (see {@link SqlDialect.classifyError}). */
export function classifyDb2Error(error: unknown): ClassifiedDriverError {
  const rawState = errorProperty(error, 'state') ?? errorProperty(error, 'sqlstate');
  const state = typeof rawState === 'string' && rawState !== '' ? rawState : undefined;
  const rawCode = errorProperty(error, 'sqlcode');
  const sqlcode = typeof rawCode === 'number' ? rawCode : undefined;
  const code = state ?? (sqlcode !== undefined ? String(sqlcode) : undefined);
  if (state === UNIQUE_VIOLATION_STATE || sqlcode === UNIQUE_VIOLATION_CODE)
    return { kind: 'unique-violation', code, constraint: undefined };
  if ((state !== undefined && RETRYABLE_STATES.has(state)) || (sqlcode !== undefined && RETRYABLE_CODES.has(sqlcode)))
    return { kind: 'retryable', code };
  if ((state !== undefined && MISSING_SCHEMA_STATES.has(state)) || (sqlcode !== undefined && MISSING_SCHEMA_CODES.has(sqlcode)))
    return { kind: 'missing-schema', code };
  if (
    (state !== undefined && (state.startsWith('08') || CONNECTION_STATES.has(state))) ||
    (sqlcode !== undefined && CONNECTION_CODES.has(sqlcode)) ||
    isNetworkError(error)
  )
    return { kind: 'connection', code };
  return { kind: 'other', code };
}

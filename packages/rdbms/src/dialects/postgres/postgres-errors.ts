import type { ClassifiedDriverError } from '../dialect.js';
import { errorProperty, isNetworkError } from '../standard-sql.js';

/**
 * What a `pg` error means. Server errors carry the SQLSTATE in `code`; pg's own client-side errors
 * carry none. SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */

const UNIQUE_VIOLATION = '23505';
const RETRYABLE_STATES = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MISSING_SCHEMA_STATES = new Set(['42P01', '42703']); // undefined_table, undefined_column
const CONNECTION_STATES = new Set(['57P01', '57P02', '57P03', '53300']); // admin/crash shutdown, cannot connect now, too many connections
/** pg's own client-side errors carry no code; their fixed messages are all there is. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Cannot use a pool after calling end on the pool',
];

/** Classifies a `pg` error by its SQLSTATE (see {@link DriverErrorClassifier.classifyError}). */
export function classifyPostgresError(error: unknown): ClassifiedDriverError {
  const code = errorProperty(error, 'code');
  const state = typeof code === 'string' ? code : undefined;
  if (state === UNIQUE_VIOLATION) {
    const constraint = errorProperty(error, 'constraint');
    return { kind: 'unique-violation', code: state, constraint: typeof constraint === 'string' ? constraint : undefined };
  }
  if (state !== undefined && RETRYABLE_STATES.has(state)) return { kind: 'retryable', code: state };
  if (state !== undefined && MISSING_SCHEMA_STATES.has(state)) return { kind: 'missing-schema', code: state };
  if ((state !== undefined && (state.startsWith('08') || CONNECTION_STATES.has(state))) || isNetworkError(error))
    return { kind: 'connection', code: state };
  const message = errorProperty(error, 'message');
  if (state === undefined && typeof message === 'string' && PG_CONNECTION_MESSAGES.some((text) => message.includes(text)))
    return { kind: 'connection', code: undefined };
  return { kind: 'other', code: state };
}

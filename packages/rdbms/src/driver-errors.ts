import { BackendUnavailableError, ConflictError, ErrorCode, TokenStoreError } from '@tokenstore/core';

/** How to apply the schema, for the error a missing table or column gives. */
export const APPLY_SCHEMA_HINT =
  'apply the schema: createSqlStore({ …, migrate: true }), MigrationRunner, `tokenstore migrate`, or the files in sql/<dialect>/ by hand';

import type { ClassifiedDriverError } from './dialects/dialect.js';
import { errorProperty } from './dialects/standard-sql.js';

/**
 * What the store keeps of a driver error as the `cause` of the error it throws: the driver's code,
 * the index name of a unique violation, and the driver's message except where that quotes values.
 * Never the driver error itself: a `cause` ends up in logs, and driver errors carry lookup keys —
 * PostgreSQL's `detail` ("Key (token_key)=(…)", "Failing row contains (…)"), MySQL's duplicate
 * message ("Duplicate entry '…'") and mysql2's `sql` (the statement with its values interpolated).
 */
export class DriverErrorSummary extends Error {
  readonly kind: ClassifiedDriverError['kind'];
  readonly code: string | undefined;
  readonly constraint: string | undefined;

  constructor(classified: ClassifiedDriverError, driverMessage: string | undefined) {
    const details = [`code ${classified.code ?? 'unknown'}`];
    if (classified.constraint) details.push(`constraint ${classified.constraint}`);
    super(`${driverMessage ?? classified.kind} [${details.join(', ')}]`);
    this.name = 'DriverErrorSummary';
    this.kind = classified.kind;
    this.code = classified.code;
    this.constraint = classified.constraint;
  }
}

/**
 * A thrown driver error as the `TokenStoreError` the store contract promises. Messages name the
 * statement and the driver's code, never driver text.
 */
export function toStoreError(error: unknown, classified: ClassifiedDriverError, backend: string, statement: string): TokenStoreError {
  if (error instanceof TokenStoreError) return error;
  const code = classified.code === undefined ? '' : ` (${classified.code})`;
  // A duplicate's message quotes the duplicate value; every other message is the driver's own text.
  const message = errorProperty(error, 'message');
  const cause = new DriverErrorSummary(
    classified,
    classified.kind === 'unique-violation' || typeof message !== 'string' ? undefined : message.split('\n')[0],
  );
  switch (classified.kind) {
    case 'unique-violation':
      return new ConflictError(`${statement}: a row with the same key already exists`, { backend, cause });
    case 'connection':
      return new BackendUnavailableError(`${statement}: the database connection failed${code}`, { backend, cause });
    case 'missing-schema':
      return new TokenStoreError(
        ErrorCode.Misconfiguration,
        `${statement}: the tokenstore schema is missing or out of date in this database${code}; ${APPLY_SCHEMA_HINT}`,
        {
          backend,
          cause,
        },
      );
    case 'retryable':
      return new ConflictError(`${statement}: gave up after repeated deadlocks or serialization failures${code}`, { backend, cause });
    default:
      return new TokenStoreError(ErrorCode.BackendError, `${statement} failed${code}`, { backend, cause });
  }
}

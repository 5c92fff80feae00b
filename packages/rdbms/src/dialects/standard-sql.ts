import { isNetworkErrorCode } from '@tokenstore/core';
import { columnMarkers } from '../statements/sql-statement.js';
import type { DialectColumnTypes, LeaseStatements } from './dialect.js';

/**
 * Building blocks written in standard SQL, shared by dialects whose syntax agrees. A dialect calls
 * them; the store never does (it only talks to {@link SqlDialect}).
 */

/** `INSERT INTO table (a, b) VALUES (:a, :b)`, the part every dialect's insert starts with. */
export function insertInto(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columnMarkers(columns)})`;
}

/** The lease statements in standard SQL, given the dialect's insert-if-absent. */
export function standardLeaseStatements(table: string, insertIfAbsent: string): LeaseStatements {
  return {
    takeOver: `UPDATE ${table} SET holder = :holder, expires_at = :expiresAt WHERE lease_name = :leaseName AND (holder = :holder OR expires_at <= :now)`,
    insertIfAbsent,
    release: `DELETE FROM ${table} WHERE lease_name = :leaseName AND holder = :holder`,
  };
}

/**
 * What purge deletes (DESIGN, Purge; core's `isPurgeable`): an ACTIVE row once it expired at or
 * before `:expiredBefore`; a row no longer ACTIVE once its state changed at or before
 * `:inactiveBefore` and it expired at or before `:expiredBefore` or never expires. Each index branch
 * keeps its own range (expiry; retired rows by `state_changed_at`) and adds the other window as a
 * filter, so a batch's limit is only spent on rows it deletes.
 *
 * This one filters the expiry branch: an expired row that left ACTIVE waits for its inactive retention too.
 */
export const PURGE_EXPIRY_BRANCH_FILTER = "(state = 'ACTIVE' OR state_changed_at <= :inactiveBefore)";
/** Filter of the retired-rows branch: a row that left ACTIVE waits for its expired retention too. */
export const PURGE_RETIRED_BRANCH_FILTER = '(expires_at IS NULL OR expires_at <= :expiredBefore)';
/** The whole rule, for dialects that check it again on the rows they delete. */
export const PURGEABLE_ROW = `((state = 'ACTIVE' AND expires_at <= :expiredBefore) OR (state <> 'ACTIVE' AND state_changed_at <= :inactiveBefore AND ${PURGE_RETIRED_BRANCH_FILTER}))`;

/** The migration runner's version table; `suffix` carries table options (MySQL's `ENGINE=InnoDB`). */
export function schemaVersionTableDdl(table: string, types: DialectColumnTypes, suffix = ''): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  version ${types.integer} NOT NULL,
  name ${types.identifier} NOT NULL,
  checksum ${types.lookupKey} NOT NULL,
  applied_at ${types.epochMillis} NOT NULL,
  PRIMARY KEY (version)
)${suffix}`;
}

/** True for a socket-level error (core's `NETWORK_ERROR_CODES`), including Node's `AggregateError` from trying several addresses. */
export function isNetworkError(error: unknown): boolean {
  if (isNetworkErrorCode(errorProperty(error, 'code'))) return true;
  const errors = errorProperty(error, 'errors');
  return Array.isArray(errors) && errors.some((inner) => isNetworkError(inner));
}

/** Reads a property of an unknown thrown value without trusting its shape. */
export function errorProperty(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

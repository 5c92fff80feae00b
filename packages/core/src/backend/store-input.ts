import { ClosedError, InvalidInputError } from '../errors.js';
import type { PurgeCriteria, ScanRequest } from '../store.js';
import { PROTECTED_KINDS, type ProtectedKind, TOKEN_KINDS, type TokenKind } from '../types.js';

/**
 * The checks every {@link TokenStore} makes on what reaches it, in one place, so that every backend
 * refuses the same bad argument with the same typed error (and changes nothing). The service validates
 * its requests long before; these guard the store primitives, which integrations and tools call too.
 */

/** Largest page a store scan returns. */
export const MAX_SCAN_LIMIT = 10_000;
/** Largest batch one purge call deletes (the service's `purge.batchSize` is bounded by it too). */
export const MAX_PURGE_LIMIT = 100_000;

/** Throws `INVALID_INPUT` (field `kind`) unless `kind` is a token kind. */
export function checkTokenKind(kind: unknown, backend: string): asserts kind is TokenKind {
  if (!(TOKEN_KINDS as readonly unknown[]).includes(kind))
    throw new InvalidInputError('kind', `must be one of ${TOKEN_KINDS.join(', ')}`, { backend });
}

/** Throws `INVALID_INPUT` (field `kind`) unless `kind` is a token kind or `client`. */
export function checkProtectedKind(kind: unknown, backend: string): asserts kind is ProtectedKind {
  if (!(PROTECTED_KINDS as readonly unknown[]).includes(kind))
    throw new InvalidInputError('kind', `must be one of ${PROTECTED_KINDS.join(', ')}`, { backend });
}

/** Throws `INVALID_INPUT` unless `criteria` holds finite instants and a limit from 1 to {@link MAX_PURGE_LIMIT}. */
export function checkPurgeCriteria(criteria: unknown, backend: string): asserts criteria is PurgeCriteria {
  if (typeof criteria !== 'object' || criteria === null) throw new InvalidInputError('criteria', 'must be an object', { backend });
  const c = criteria as Record<string, unknown>;
  for (const field of ['now', 'expiredBefore', 'inactiveBefore'] as const)
    if (!Number.isSafeInteger(c[field])) throw new InvalidInputError(field, 'must be an instant in epoch milliseconds', { backend });
  checkLimit(c.limit, MAX_PURGE_LIMIT, backend);
}

/**
 * Throws `INVALID_INPUT` unless `request` holds a limit from 1 to {@link MAX_SCAN_LIMIT} and a cursor that
 * is `null` or a string; `isCursor` says whether a string is one this store hands out.
 */
export function checkScanRequest(request: unknown, backend: string, isCursor: (cursor: string) => boolean): asserts request is ScanRequest {
  if (typeof request !== 'object' || request === null) throw new InvalidInputError('request', 'must be an object', { backend });
  const r = request as Record<string, unknown>;
  checkLimit(r.limit, MAX_SCAN_LIMIT, backend);
  if (r.cursor !== null && (typeof r.cursor !== 'string' || !isCursor(r.cursor)))
    throw new InvalidInputError('cursor', 'is not a cursor returned by this store', { backend });
}

function checkLimit(limit: unknown, max: number, backend: string): void {
  if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > max)
    throw new InvalidInputError('limit', `must be a whole number from 1 to ${max}`, { backend });
}

/**
 * Whether a store is still open: every primitive calls {@link check} first, `close()` calls
 * {@link close} (which says whether this is the first close, so closing twice is harmless).
 */
export class StoreGate {
  readonly #backend: string;
  #closed = false;

  constructor(backend: string) {
    this.#backend = backend;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Throws {@link ClosedError} once the store is closed. */
  check(): void {
    if (this.#closed) throw new ClosedError({ backend: this.#backend });
  }

  /** Marks the store closed; `true` the first time only. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }
}

import { DEFAULT_RETENTION, mergeRetention, type Retention } from '@tokenstore/core';
import { BACKEND } from './errors.js';

/**
 * TTLs in whole seconds, computed from the times the service passes in (never from the local clock).
 * `0` means "no TTL" (that is what `USING TTL 0` means to Cassandra).
 */
export interface TtlPolicy {
  /** Retention of expired rows: rows live this long past their expiry. */
  expiredSeconds: number;
  /** Retention of revoked / inactive rows (bounds the life of their purge-index entries). */
  inactiveSeconds: number;
  /** Extra life of index entries beyond their row, a backstop when the purger is off. */
  extraTtlSeconds: number;
  /** Longer TTLs are not written at all: such rows rely on the purge. */
  maxTtlSeconds: number;
}

function bounded(seconds: number, policy: TtlPolicy): number {
  if (seconds > policy.maxTtlSeconds) return 0;
  // TTL 0 would mean "forever": a row that is due now still gets the shortest TTL there is.
  return Math.max(1, seconds);
}

/** TTL of a token row (and its lookup entries) written at `now`: remaining lifetime + expired retention. */
export function rowTtl(expiresAt: number | null, now: number, policy: TtlPolicy): number {
  if (expiresAt === null) return 0;
  return bounded(Math.ceil((expiresAt - now) / 1000) + policy.expiredSeconds, policy);
}

/**
 * TTL of a row that leaves ACTIVE now, given its remaining TTL: DESIGN keeps it until
 * `max(expiresAt + expiredSeconds, stateChangedAt + inactiveSeconds)`. The remaining TTL already runs
 * to the first (it was written as lifetime + expired retention); the second is the inactive retention
 * from now. A row without TTL (it never expires, or past maxTtlSeconds) keeps none: purge removes it.
 */
export function retainedTtl(remainingSeconds: number, policy: TtlPolicy): number {
  if (remainingSeconds === 0 || remainingSeconds >= policy.inactiveSeconds) return remainingSeconds;
  return bounded(policy.inactiveSeconds, policy);
}

/** Remaining TTL of an existing row as read with `TTL(column)`: `null` (no TTL) becomes 0. */
export function remainingTtl(ttl: unknown): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) return 0;
  return Math.max(1, Math.floor(ttl));
}

/** TTL of an index entry: its row's TTL plus the backstop; 0 when the row has none. */
export function entryTtl(rowTtlSeconds: number, policy: TtlPolicy): number {
  return rowTtlSeconds === 0 ? 0 : bounded(rowTtlSeconds + policy.extraTtlSeconds, policy);
}

/** TTL of the index entry of a state change at `at` (written at `now`). */
export function inactiveEntryTtl(at: number, now: number, policy: TtlPolicy): number {
  return bounded(Math.ceil((at - now) / 1000) + policy.inactiveSeconds + policy.extraTtlSeconds, policy);
}

/** TTL of a bucket registration: it outlives every entry an event in the bucket can have. */
export function bucketTtl(bucketEnd: number, now: number, retentionSeconds: number, policy: TtlPolicy): number {
  return bounded(Math.ceil((bucketEnd - now) / 1000) + retentionSeconds + policy.extraTtlSeconds, policy);
}

/**
 * The store's {@link TtlPolicy}: the purge-index settings and the TTL bound from the store's options,
 * the retention from the service ({@link use}, i.e. `TokenStore.useRetention`); {@link DEFAULT_RETENTION}
 * until the service hands its retention over. The collaborators share this one object, so the
 * retention handed over reaches every write.
 */
export class StoreTtlPolicy implements TtlPolicy {
  readonly extraTtlSeconds: number;
  readonly maxTtlSeconds: number;
  #handedOver: Readonly<Retention> | null = null;

  constructor(settings: { extraTtlSeconds: number; maxTtlSeconds: number }) {
    this.extraTtlSeconds = settings.extraTtlSeconds;
    this.maxTtlSeconds = settings.maxTtlSeconds;
  }

  get expiredSeconds(): number {
    return (this.#handedOver ?? DEFAULT_RETENTION).expiredSeconds;
  }

  get inactiveSeconds(): number {
    return (this.#handedOver ?? DEFAULT_RETENTION).inactiveSeconds;
  }

  /** Takes a service's retention; with several services, the longest of each window ({@link mergeRetention}). */
  use(retention: Retention): void {
    this.#handedOver = mergeRetention(this.#handedOver, retention, BACKEND);
  }
}

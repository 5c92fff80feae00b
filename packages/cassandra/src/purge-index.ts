import type { TokenKind } from '@tokenstore/core';

/** Why a purge-index entry exists: the row expires at `event_at`, or left ACTIVE at `event_at`. */
export type PurgeReason = 'expiry' | 'inactive';
export const PURGE_REASONS: readonly PurgeReason[] = ['inactive', 'expiry'];

/** Start of the bucket `at` falls in. */
export function bucketOf(at: number, bucketMs: number): number {
  return Math.floor(at / bucketMs) * bucketMs;
}

/**
 * Buckets this process has registered in `purge_buckets`, so that each is written once per process
 * instead of once per token (which would make every write hit the same partition).
 */
export class BucketRegistry {
  readonly #known = new Set<string>();
  static readonly #limit = 10_000;

  /** True the first time a bucket is seen (the caller then writes its registration). */
  needsRegistration(kind: TokenKind, reason: PurgeReason, bucket: number): boolean {
    const id = `${kind}|${reason}|${bucket}`;
    if (this.#known.has(id)) return false;
    if (this.#known.size >= BucketRegistry.#limit) this.#known.clear();
    this.#known.add(id);
    return true;
  }

  /** A registration failed to be written: try again next time. */
  forget(kind: TokenKind, reason: PurgeReason, bucket: number): void {
    this.#known.delete(`${kind}|${reason}|${bucket}`);
  }
}

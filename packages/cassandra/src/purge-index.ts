import type { TokenKind } from '@tokenstore/core';
import type { OperationConsistency } from './consistency.js';
import type { CassandraExecutor } from './executor.js';
import { millis, textOf } from './token-rows.js';
import { bucketTtl, inactiveEntryTtl, type TtlPolicy } from './ttl.js';

/** What a purge-index entry points at: a token row of a kind, or a provider artifact (`<model>:<key>`). */
export type PurgeIndexKind = TokenKind | 'artifact';

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
  needsRegistration(kind: PurgeIndexKind, reason: PurgeReason, bucket: number): boolean {
    const id = `${kind}|${reason}|${bucket}`;
    if (this.#known.has(id)) return false;
    if (this.#known.size >= BucketRegistry.#limit) this.#known.clear();
    this.#known.add(id);
    return true;
  }

  /** A registration failed to be written: try again next time. */
  forget(kind: PurgeIndexKind, reason: PurgeReason, bucket: number): void {
    this.#known.delete(`${kind}|${reason}|${bucket}`);
  }
}

/**
 * Writes the purge index: an entry per event (`purge_index`, one partition per kind, reason and
 * bucket) and, once per process and bucket, the bucket's registration (`purge_buckets`), at the
 * operation's write level.
 */
export class PurgeIndexWriter {
  readonly #x: CassandraExecutor;
  readonly #ttl: TtlPolicy;
  readonly #bucketMs: number;
  readonly #registry: BucketRegistry;

  constructor(executor: CassandraExecutor, ttl: TtlPolicy, bucketMs: number, registry: BucketRegistry) {
    this.#x = executor;
    this.#ttl = ttl;
    this.#bucketMs = bucketMs;
    this.#registry = registry;
  }

  writeInactiveEntry(kind: PurgeIndexKind, key: string, at: number, now: number, levels: OperationConsistency): Promise<void> {
    return this.writeIndexEntry(kind, 'inactive', at, key, inactiveEntryTtl(at, now, this.#ttl), now, levels);
  }

  async writeIndexEntry(
    kind: PurgeIndexKind,
    reason: PurgeReason,
    eventAt: number,
    key: string,
    ttl: number,
    now: number | undefined,
    levels: OperationConsistency,
  ): Promise<void> {
    const cql = this.#x.cql.purge;
    const bucket = bucketOf(eventAt, this.#bucketMs);
    const plain = { consistency: levels.codes.write };
    const writes: Array<Promise<unknown>> = [
      this.#x.execute(cql.insertEntry, [kind, reason, new Date(bucket), new Date(eventAt), key, ttl], plain),
    ];
    if (this.#registry.needsRegistration(kind, reason, bucket)) {
      const retention = reason === 'expiry' ? this.#ttl.expiredSeconds : this.#ttl.inactiveSeconds;
      const registrationTtl =
        now === undefined ? (ttl === 0 ? 0 : ttl + this.#bucketMs / 1000) : bucketTtl(bucket + this.#bucketMs, now, retention, this.#ttl);
      writes.push(
        this.#x.execute(cql.registerBucket, [kind, reason, new Date(bucket), registrationTtl], plain).catch((error: unknown) => {
          this.#registry.forget(kind, reason, bucket);
          throw error;
        }),
      );
    }
    await Promise.all(writes);
  }

  /** Deletes the entry of the event at `at` for the row `key` (its bucket stays registered). */
  removeEntry(kind: PurgeIndexKind, reason: PurgeReason, at: number, key: string, levels: OperationConsistency): Promise<unknown> {
    return this.#x.execute(this.#x.cql.purge.removeEntry, [kind, reason, new Date(bucketOf(at, this.#bucketMs)), new Date(at), key], {
      consistency: levels.codes.write,
    });
  }
}

/** One purge-index entry: the event's instant and the row's key. */
export interface DueEntry {
  at: number;
  key: string;
}

/** Reads the purge index for the purge (buckets up to a cut-off, due entries) and drops what it has done. */
export class PurgeIndexReader {
  readonly #x: CassandraExecutor;
  readonly #registry: BucketRegistry;
  /** Width of a bucket in milliseconds. */
  readonly bucketMs: number;

  constructor(executor: CassandraExecutor, bucketMs: number, registry: BucketRegistry) {
    this.#x = executor;
    this.bucketMs = bucketMs;
    this.#registry = registry;
  }

  /** The registered buckets of `kind` and `reason` up to the bucket of `cutoff`, oldest first. */
  async buckets(kind: PurgeIndexKind, reason: PurgeReason, cutoff: number, levels: OperationConsistency): Promise<number[]> {
    const buckets = await this.#x.execute(
      this.#x.cql.purge.selectBuckets,
      [kind, reason, new Date(bucketOf(cutoff, this.bucketMs)), 1000],
      { consistency: levels.codes.read },
    );
    return (buckets.rows ?? []).flatMap((bucketRow) => {
      const bucket = millis(bucketRow.bucket);
      return bucket === null ? [] : [bucket];
    });
  }

  /** Up to `pageSize` entries of a bucket whose event is before `cutoff`, in event order. */
  async due(
    kind: PurgeIndexKind,
    reason: PurgeReason,
    bucket: number,
    cutoff: number,
    pageSize: number,
    levels: OperationConsistency,
  ): Promise<DueEntry[]> {
    const page = await this.#x.execute(this.#x.cql.purge.selectDue, [kind, reason, new Date(bucket), new Date(cutoff), pageSize], {
      consistency: levels.codes.read,
    });
    return (page.rows ?? []).flatMap((row) => {
      const at = millis(row.event_at);
      const key = textOf(row.token_key);
      return at === null || key === null ? [] : [{ at, key }];
    });
  }

  /** Deletes a bucket's entries up to and including `last`. */
  async removeUpTo(kind: PurgeIndexKind, reason: PurgeReason, bucket: number, last: DueEntry, levels: OperationConsistency): Promise<void> {
    await this.#x.execute(this.#x.cql.purge.removeUpTo, [kind, reason, new Date(bucket), new Date(last.at), last.key], {
      consistency: levels.codes.write,
    });
  }

  /** Deletes a bucket and its registration. */
  async dropBucket(kind: PurgeIndexKind, reason: PurgeReason, bucket: number, levels: OperationConsistency): Promise<void> {
    const cql = this.#x.cql.purge;
    const params = [kind, reason, new Date(bucket)];
    await this.#x.execute(cql.removeBucket, params, { consistency: levels.codes.write });
    await this.#x.execute(cql.unregisterBucket, params, { consistency: levels.codes.write });
    this.#registry.forget(kind, reason, bucket);
  }
}

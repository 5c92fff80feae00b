import {
  type Clock,
  ErrorCode,
  isPurgeable,
  type PurgeCriteria,
  type Retention,
  type StoredRow,
  TokenState,
  TokenStoreError,
} from '@tokenstore/core';
import { LRUCache } from 'lru-cache';
import { KeySetIndex } from './key-set-index.js';
import { PurgeQueue } from './purge-queue.js';
import { ttlFor } from './retention.js';
import { estimateRowBytes } from './row-size.js';
import { ScanOrder } from './scan-order.js';

export interface TokenTableOptions<R extends StoredRow> {
  backend: string;
  maxEntries: number;
  maxMemoryBytes: number | null;
  clock: Clock;
  /** The retention in force (the service hands it to the store once; read on every write). */
  retention: () => Readonly<Retention>;
  /** Called after a row is stored (new or updated), for indexes kept outside the table. */
  onStored?: (row: R) => void;
  /** Called when a row leaves the table for any reason (delete, eviction, TTL, purge, clear). */
  onRemoved?: (row: R, key: string) => void;
}

/** How many rows each secondary structure holds, for diagnostics and the boundedness tests. */
export interface TokenTableSizes {
  rows: number;
  byUser: number;
  byConsumerKey: number;
  byGrant: number;
  scanOrder: number;
  expiryQueue: number;
  stateQueue: number;
}

/**
 * The rows of one kind: an LRU of rows by lookup key (with a retention TTL per row), secondary indexes
 * by user, consumer key and grant, and the queues purge pops from. Every structure is updated
 * synchronously with the LRU: lru-cache's `dispose` hook removes a row's index entries whatever takes
 * it out (delete, eviction, expiry), so indexes never point at missing rows and never outgrow the LRU.
 *
 * Rows are stored as given: the caller copies them in and out.
 */
export class TokenTable<R extends StoredRow> {
  readonly #lru: LRUCache<string, R>;
  readonly #options: TokenTableOptions<R>;
  readonly #byUser = new KeySetIndex();
  readonly #byConsumerKey = new KeySetIndex();
  readonly #byGrant = new KeySetIndex();
  readonly #scanOrder = new ScanOrder();
  /** Rows with an expiry, by `expiresAt`. */
  readonly #expiries: PurgeQueue;
  /** Rows no longer ACTIVE, by `stateChangedAt`. */
  readonly #stateChanges: PurgeQueue;

  constructor(options: TokenTableOptions<R>) {
    this.#options = options;
    this.#lru = new LRUCache<string, R>({
      max: options.maxEntries,
      ...(options.maxMemoryBytes === null ? {} : { maxSize: options.maxMemoryBytes, sizeCalculation: estimateRowBytes }),
      // TTLs follow the injected clock, read on every check (no 1 ms caching that a manual clock would defeat).
      perf: options.clock,
      ttlResolution: 0,
      // Replacing a row's value is an update, not a removal; `dispose` then only sees rows that leave.
      noDisposeOnSet: true,
      dispose: (row, key) => this.#forget(row, key),
    });
    this.#expiries = new PurgeQueue(({ at, key }) => this.#lru.peek(key, { allowStale: true })?.expiresAt === at);
    this.#stateChanges = new PurgeQueue(({ at, key }) => {
      const row = this.#lru.peek(key, { allowStale: true });
      return row !== undefined && row.state !== TokenState.Active && row.stateChangedAt === at;
    });
  }

  /** The row under `key`, unless absent or past its retention deadline (then it is removed on the way). */
  get(key: string): R | undefined {
    return this.#lru.get(key);
  }

  /**
   * Stores `row` under `row.key`, new or replacing. `scanSeq` keeps the scan position of a row that is
   * being re-keyed.
   */
  write(row: R, scanSeq?: number): void {
    const previous = this.#lru.peek(row.key, { allowStale: true });
    const ttl = ttlFor(row, this.#options.retention(), this.#options.clock.now());
    this.#lru.set(row.key, row, { ttl });
    if (this.#lru.peek(row.key, { allowStale: true }) !== row)
      throw new TokenStoreError(ErrorCode.BackendError, 'row is larger than the maxMemoryBytes bound allows', {
        backend: this.#options.backend,
      });
    if (!previous) {
      this.#byUser.add(row.userId, row.key);
      this.#byConsumerKey.add(row.consumerKey, row.key);
      this.#byGrant.add(row.grantId, row.key);
      if (scanSeq === undefined) this.#scanOrder.append(row.key);
      else this.#scanOrder.adopt(row.key, scanSeq);
    }
    if (row.expiresAt !== null && previous?.expiresAt !== row.expiresAt) this.#expiries.push(row.expiresAt, row.key, this.#lru.size);
    if (row.state !== TokenState.Active && (previous?.state === TokenState.Active || previous?.stateChangedAt !== row.stateChangedAt))
      this.#stateChanges.push(row.stateChangedAt, row.key, this.#lru.size);
    this.#options.onStored?.(row);
  }

  delete(key: string): boolean {
    return this.#lru.delete(key);
  }

  /** The scan position of `key`, to keep when it is re-keyed. */
  scanSeqOf(key: string): number | undefined {
    return this.#scanOrder.seqOf(key);
  }

  keysOfUser(userId: string): string[] {
    return this.#byUser.keys(userId);
  }

  keysOfConsumerKey(consumerKey: string): string[] {
    return this.#byConsumerKey.keys(consumerKey);
  }

  keysOfGrant(grantId: string): string[] {
    return this.#byGrant.keys(grantId);
  }

  /**
   * Deletes up to `criteria.limit` rows that are purgeable ({@link isPurgeable}). Pops the two
   * time-ordered queues, so the work is proportional to the rows deleted plus entries discarded, each
   * entry popped once, never to the table size. A row no longer ACTIVE has an entry in both queues: the
   * first one that comes due while the other deadline is still ahead is dropped, and the row is
   * deleted when its other entry comes due (so it is never re-queued, nor looked at again per batch).
   */
  purge(criteria: PurgeCriteria): number {
    let deleted = 0;
    while (deleted < criteria.limit) {
      const due = this.#expiries.popDue(criteria.expiredBefore) ?? this.#stateChanges.popDue(criteria.inactiveBefore);
      if (!due) break;
      const row = this.#lru.peek(due.key, { allowStale: true });
      if (row && isPurgeable(row, criteria) && this.#lru.delete(due.key)) deleted++;
    }
    return deleted;
  }

  /** A page of visible rows in a stable order; see {@link ScanOrder}. */
  scan(cursor: string | null, limit: number): { rows: R[]; cursor: string | null } {
    const page = this.#scanOrder.page(cursor, limit, (key) => this.#lru.peek(key) !== undefined);
    return { rows: page.keys.map((key) => this.#lru.peek(key)!), cursor: page.cursor };
  }

  get size(): number {
    return this.#lru.size;
  }

  /** Every live row (expired-by-TTL entries skipped, as `scan` does), for counting; no copy. */
  *rows(): IterableIterator<R> {
    for (const key of this.#lru.keys()) {
      const row = this.#lru.peek(key);
      if (row !== undefined) yield row;
    }
  }

  sizes(): TokenTableSizes {
    return {
      rows: this.#lru.size,
      byUser: this.#byUser.entries,
      byConsumerKey: this.#byConsumerKey.entries,
      byGrant: this.#byGrant.entries,
      scanOrder: this.#scanOrder.logLength,
      expiryQueue: this.#expiries.size,
      stateQueue: this.#stateChanges.size,
    };
  }

  clear(): void {
    this.#lru.clear();
    this.#expiries.clear();
    this.#stateChanges.clear();
    this.#scanOrder.clear();
  }

  #forget(row: R, key: string): void {
    this.#byUser.remove(row.userId, key);
    this.#byConsumerKey.remove(row.consumerKey, key);
    this.#byGrant.remove(row.grantId, key);
    this.#scanOrder.remove(key);
    this.#options.onRemoved?.(row, key);
  }
}

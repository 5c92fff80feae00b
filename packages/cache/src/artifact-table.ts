import {
  type ArtifactStore,
  type Clock,
  checkArtifactModel,
  checkArtifactReplacement,
  checkArtifactRow,
  checkGrantId,
  checkInstant,
  checkLookupKey,
  checkPurgeCriteria,
  checkScanRequest,
  ErrorCode,
  isArtifactPurgeable,
  type PurgeCriteria,
  type Retention,
  type ScanPage,
  type ScanRequest,
  type StoredArtifact,
  type StoreGate,
  sameArtifactVersion,
  TokenStoreError,
} from '@tokenstore/core';
import { LRUCache } from 'lru-cache';
import { KeySetIndex } from './key-set-index.js';
import { PurgeQueue } from './purge-queue.js';
import { ScanOrder } from './scan-order.js';

export interface ArtifactTableOptions {
  backend: string;
  gate: StoreGate;
  maxEntries: number;
  maxMemoryBytes: number | null;
  clock: Clock;
  /** The retention in force: rows stay `expiredSeconds` past their expiry, like tokens. */
  retention: () => Readonly<Retention>;
}

/** Sizes of the artifact structures, for monitoring and the boundedness tests. */
export interface ArtifactTableSizes {
  rows: number;
  byGrant: number;
  byUid: number;
  byUserCode: number;
  expiryQueue: number;
}

/**
 * The memory store's artifacts ({@link ArtifactStore}): one LRU of frozen rows by model and lookup
 * key, with a TTL from the row's expiry (none when it never expires), lookup maps by uid and user code,
 * a grant index and an expiry queue for purge. Like the token tables, `dispose` removes index entries
 * whatever takes a row out, and every primitive runs synchronously, so each is atomic in the process.
 */
export class ArtifactTable implements ArtifactStore {
  readonly #options: ArtifactTableOptions;
  readonly #lru: LRUCache<string, StoredArtifact>;
  readonly #byGrant = new KeySetIndex();
  /** `model \0 uidKey` → row id (`model \0 key`) of the latest row that claimed it. */
  readonly #byUid = new Map<string, string>();
  readonly #byUserCode = new Map<string, string>();
  readonly #expiries: PurgeQueue;
  /** The order of {@link scanArtifacts}: a row keeps its place when it is written again. */
  readonly #order = new ScanOrder();

  constructor(options: ArtifactTableOptions) {
    this.#options = options;
    this.#lru = new LRUCache<string, StoredArtifact>({
      max: options.maxEntries,
      ...(options.maxMemoryBytes === null ? {} : { maxSize: options.maxMemoryBytes, sizeCalculation: artifactBytes }),
      perf: options.clock,
      ttlResolution: 0,
      noDisposeOnSet: true,
      dispose: (row, id) => {
        this.#forget(row, id);
        this.#order.remove(id);
      },
    });
    this.#expiries = new PurgeQueue(({ at, key }) => this.#lru.peek(key, { allowStale: true })?.expiresAt === at);
  }

  async upsertArtifact(row: StoredArtifact): Promise<void> {
    this.#options.gate.check();
    checkArtifactRow(row, this.#options.backend);
    this.#write(row);
  }

  async insertArtifact(row: StoredArtifact): Promise<boolean> {
    this.#options.gate.check();
    checkArtifactRow(row, this.#options.backend);
    if (this.#lru.get(rowId(row.model, row.key)) !== undefined) return false;
    this.#write(row);
    return true;
  }

  async replaceArtifact(expected: StoredArtifact, next: StoredArtifact): Promise<boolean> {
    this.#options.gate.check();
    checkArtifactReplacement(expected, next, this.#options.backend);
    const stored = this.#lru.get(rowId(expected.model, expected.key));
    if (stored === undefined || !sameArtifactVersion(stored, expected)) return false;
    this.#write(next);
    return true;
  }

  async deleteArtifactIf(expected: StoredArtifact): Promise<boolean> {
    this.#options.gate.check();
    checkArtifactRow(expected, this.#options.backend);
    const id = rowId(expected.model, expected.key);
    const stored = this.#lru.get(id);
    return stored !== undefined && sameArtifactVersion(stored, expected) && this.#lru.delete(id);
  }

  async scanArtifacts(request: ScanRequest): Promise<ScanPage<StoredArtifact>> {
    this.#options.gate.check();
    checkScanRequest(request, this.#options.backend, (cursor) => /^\d{1,15}$/.test(cursor));
    const page = this.#order.page(request.cursor, request.limit, (id) => this.#lru.get(id) !== undefined);
    return { rows: page.keys.flatMap((id) => this.#lru.peek(id) ?? []), cursor: page.cursor };
  }

  /** Stores `row` (new or replacing the row with its model and key); synchronous, so atomic in the process. */
  #write(row: StoredArtifact): void {
    const stored = Object.freeze({ ...row });
    const id = rowId(row.model, row.key);
    const previous = this.#lru.peek(id, { allowStale: true });
    if (previous) this.#forget(previous, id);
    else this.#order.append(id);
    this.#lru.set(id, stored, { ttl: this.#ttl(stored) });
    if (this.#lru.peek(id, { allowStale: true }) !== stored)
      throw new TokenStoreError(ErrorCode.BackendError, 'artifact is larger than the maxMemoryBytes bound allows', {
        backend: this.#options.backend,
      });
    if (stored.grantId !== null) this.#byGrant.add(stored.grantId, id);
    if (stored.uidKey !== null) this.#byUid.set(rowId(stored.model, stored.uidKey), id);
    if (stored.userCodeKey !== null) this.#byUserCode.set(rowId(stored.model, stored.userCodeKey), id);
    if (stored.expiresAt !== null) this.#expiries.push(stored.expiresAt, id, this.#lru.size);
  }

  async getArtifact(model: string, key: string): Promise<StoredArtifact | null> {
    this.#checkRef(model, key, 'key');
    return this.#lru.get(rowId(model, key)) ?? null;
  }

  async findArtifactByUid(model: string, uidKey: string): Promise<StoredArtifact | null> {
    this.#checkRef(model, uidKey, 'uidKey');
    return this.#through(this.#byUid, model, uidKey, (row) => row.uidKey);
  }

  async findArtifactByUserCode(model: string, userCodeKey: string): Promise<StoredArtifact | null> {
    this.#checkRef(model, userCodeKey, 'userCodeKey');
    return this.#through(this.#byUserCode, model, userCodeKey, (row) => row.userCodeKey);
  }

  async consumeArtifact(model: string, key: string, at: number): Promise<boolean> {
    this.#checkRef(model, key, 'key');
    checkInstant('at', at, this.#options.backend);
    const id = rowId(model, key);
    const row = this.#lru.get(id);
    if (!row || row.consumedAt !== null) return false;
    // Same row, same TTL: only consumedAt changes (no dispose on set, indexes stay).
    this.#lru.set(id, Object.freeze({ ...row, consumedAt: at }), { ttl: this.#ttl(row) });
    return true;
  }

  async deleteArtifact(model: string, key: string): Promise<boolean> {
    this.#checkRef(model, key, 'key');
    return this.#lru.delete(rowId(model, key));
  }

  async deleteArtifactsOfGrant(grantId: string): Promise<number> {
    this.#options.gate.check();
    checkGrantId(grantId, this.#options.backend);
    let deleted = 0;
    for (const id of this.#byGrant.keys(grantId)) if (this.#lru.delete(id)) deleted++;
    return deleted;
  }

  /** Pops the expiry queue: a batch costs what it deletes, not the table size. */
  async purgeArtifacts(criteria: PurgeCriteria): Promise<number> {
    this.#options.gate.check();
    checkPurgeCriteria(criteria, this.#options.backend);
    let deleted = 0;
    while (deleted < criteria.limit) {
      const due = this.#expiries.popDue(criteria.expiredBefore);
      if (!due) break;
      const row = this.#lru.peek(due.key, { allowStale: true });
      if (row && isArtifactPurgeable(row, criteria) && this.#lru.delete(due.key)) deleted++;
    }
    return deleted;
  }

  /** Every live row as stored (no copy), for inspection: what a dump of this store would show. */
  *rows(): IterableIterator<StoredArtifact> {
    for (const id of this.#lru.keys()) {
      const row = this.#lru.peek(id);
      if (row !== undefined) yield row;
    }
  }

  sizes(): ArtifactTableSizes {
    return {
      rows: this.#lru.size,
      byGrant: this.#byGrant.entries,
      byUid: this.#byUid.size,
      byUserCode: this.#byUserCode.size,
      expiryQueue: this.#expiries.size,
    };
  }

  clear(): void {
    this.#lru.clear();
    this.#expiries.clear();
    this.#order.clear();
  }

  #checkRef(model: string, key: string, field: string): void {
    this.#options.gate.check();
    checkArtifactModel(model, this.#options.backend);
    checkLookupKey(field, key, this.#options.backend);
  }

  #through(
    index: Map<string, string>,
    model: string,
    lookupKey: string,
    keyOf: (row: StoredArtifact) => string | null,
  ): StoredArtifact | null {
    const id = index.get(rowId(model, lookupKey));
    if (id === undefined) return null;
    const row = this.#lru.get(id);
    return row && keyOf(row) === lookupKey ? row : null;
  }

  /** The LRU TTL: until `expiresAt + expiredSeconds`; 0 (none) when it never expires; at least 1 ms. */
  #ttl(row: StoredArtifact): number {
    if (row.expiresAt === null) return 0;
    const deadline = row.expiresAt + this.#options.retention().expiredSeconds * 1000;
    return Math.max(1, deadline - this.#options.clock.now());
  }

  #forget(row: StoredArtifact, id: string): void {
    if (row.grantId !== null) this.#byGrant.remove(row.grantId, id);
    if (row.uidKey !== null) unlink(this.#byUid, rowId(row.model, row.uidKey), id);
    if (row.userCodeKey !== null) unlink(this.#byUserCode, rowId(row.model, row.userCodeKey), id);
  }
}

function rowId(model: string, key: string): string {
  return `${model}\u0000${key}`;
}

function unlink(index: Map<string, string>, lookup: string, id: string): void {
  if (index.get(lookup) === id) index.delete(lookup);
}

function artifactBytes(row: StoredArtifact): number {
  // UTF-16 strings plus a fixed overhead per row: an estimate, like the token rows'.
  return 2 * (row.model.length + row.key.length + (row.value?.length ?? 0) + row.payload.length) + 256;
}

import {
  type ArtifactStore,
  checkTokenKind,
  type InsertResult,
  isPurgeable,
  MisconfigurationError,
  matchesRevocationFilter,
  type ProtectedKind,
  type PurgeCriteria,
  type RefreshRotation,
  type Retention,
  type RevocationCounts,
  type RevocationFilter,
  type ScannedRowByKind,
  type ScanPage,
  type ScanRequest,
  type StateChange,
  type StoreCapabilities,
  type StoredAccessToken,
  type StoredClient,
  type StoredRow,
  type StoredRowByKind,
  StoreGate,
  TOKEN_KINDS,
  type TokenKind,
  type TokenStore,
} from '@tokenstore/core';
import { LRUCache } from 'lru-cache';
import { type ReadCacheOptions, type ResolvedReadCacheOptions, resolveReadCacheOptions } from './options.js';
import { frozenClient, frozenRow } from './row-copies.js';

/** A remembered lookup: the row found, or `null` for a key the inner store did not know. */
interface CachedLookup<V> {
  value: V | null;
}

/** A lookup on its way to the inner store; a write that lands meanwhile marks it not cacheable. */
interface PendingRead {
  promise: Promise<unknown>;
  cacheable: boolean;
  /** When the inner lookup was sent (the cache clock): what it returns may be stale from then on. */
  startedAt: number;
}

type LookupScope = TokenKind | 'client';
type LookupCache<V> = LRUCache<string, CachedLookup<V>>;
type RowCaches = { [K in TokenKind]: LookupCache<StoredRowByKind[K]> };

/**
 * A read cache in front of any {@link TokenStore}: `get` of access tokens, refresh tokens and codes,
 * and `getClient`, are answered from an in-process LRU when possible, so the hot path (token
 * validation) usually costs no round trip. Unknown keys are remembered briefly too (negative
 * caching), so a flood of invalid tokens does not reach the database.
 *
 * **Staleness.** Every write that passes through this decorator invalidates what it touches before
 * the write's promise settles, so this process always reads its own writes. Changes made through
 * *other* processes (another gateway node revoking a token, rotating a refresh token, regenerating a
 * client secret) are seen here at most `ttlMs` late (default 5 s): a row is never served from the
 * cache for longer than that, counted from when the read that fetched it was sent. A key remembered as unknown stays unknown for at most `negativeTtlMs`
 * (default 1 s) after another node creates it (never after this node does). Keep `ttlMs` below the
 * revocation delay you can accept.
 *
 * **Never cached:** `findActiveAccessToken`, `compareAndSetState`, `rotateRefreshToken`, `revokeTokens`,
 * `insert`, `scan`, `purge` and the purge lease go straight to the inner store, so every atomic
 * decision (code consumption, rotation, reuse uniqueness) is taken there. A stale cached row can at
 * worst make such a decision fail (e.g. a refresh reported as `CONFLICT` instead of `REUSE_DETECTED`),
 * never succeed twice.
 *
 * **Invalidation.** Single-row writes delete the cached keys they touch (old and new keys of a
 * rotation or re-keying). Bulk revocations and purges walk the cached entries of the kinds concerned
 * and drop those that match (cost proportional to `maxEntries`, paid only by those rare calls, instead
 * of indexes that every read would have to maintain). Lookups in flight when a write lands are not
 * cached.
 */
export class ReadCache implements TokenStore {
  readonly backend: string;
  readonly inner: TokenStore;
  readonly options: Readonly<ResolvedReadCacheOptions>;

  readonly #rows: RowCaches;
  readonly #clients: LookupCache<StoredClient>;
  readonly #pending = new Map<string, PendingRead>();
  #hits = 0;
  #misses = 0;
  readonly #gate: StoreGate;

  constructor(inner: TokenStore, options: ReadCacheOptions = {}) {
    if (!inner || typeof inner.get !== 'function' || typeof inner.backend !== 'string')
      throw new MisconfigurationError('inner', 'must be a TokenStore', { backend: 'cache+?' });
    this.inner = inner;
    this.backend = `cache+${inner.backend}`;
    this.#gate = new StoreGate(this.backend);
    this.options = resolveReadCacheOptions(options, this.backend);
    this.#rows = {
      accessToken: this.#newCache(),
      refreshToken: this.#newCache(),
      authorizationCode: this.#newCache(),
    };
    this.#clients = this.#newCache();
  }

  /**
   * The inner store's artifact primitives, straight through: artifacts are never cached here, so a
   * consumption or a revocation by grant is seen by the next read on any node.
   */
  get artifacts(): ArtifactStore | undefined {
    return this.inner.artifacts;
  }

  /** The inner store's: the cache changes what is fast, not what is possible. */
  get capabilities(): StoreCapabilities {
    return this.inner.capabilities;
  }

  /** Handed to the inner store: the cache keeps nothing longer than its own `ttlMs`. */
  useRetention(retention: Retention): void {
    this.#gate.check();
    this.inner.useRetention?.(retention);
  }

  // ------------------------------------------------------------------ cached reads

  async get<K extends TokenKind>(kind: K, key: string): Promise<StoredRowByKind[K] | null> {
    this.#checkKind(kind);
    return this.#readThrough(this.#rows[kind], kind, key, () => this.inner.get(kind, key), frozenRow);
  }

  /**
   * A hit answered synchronously (see `TokenStore.peek`), `undefined` on a miss: the caller then calls
   * {@link get}, which reads through (and counts the miss). Lets validation skip promise hops on a hit.
   */
  peek<K extends TokenKind>(kind: K, key: string): StoredRowByKind[K] | null | undefined {
    this.#checkKind(kind);
    const hit = this.#rows[kind].get(key);
    if (!hit) return undefined;
    this.#hits++;
    return hit.value === null ? null : (frozenRow(hit.value) as StoredRowByKind[K]);
  }

  async getClient(consumerKey: string): Promise<StoredClient | null> {
    return this.#readThrough(this.#clients, 'client', consumerKey, () => this.inner.getClient(consumerKey), frozenClient);
  }

  // ------------------------------------------------------------------ straight through, never cached

  async findActiveAccessToken(reuseKey: string): Promise<StoredAccessToken | null> {
    this.#gate.check();
    return this.inner.findActiveAccessToken(reuseKey);
  }

  async scan<K extends ProtectedKind>(kind: K, request: ScanRequest): Promise<ScanPage<ScannedRowByKind[K]>> {
    this.#gate.check();
    return this.inner.scan(kind, request);
  }

  async acquirePurgeLease(owner: string, now: number, ttlMs: number): Promise<boolean> {
    this.#gate.check();
    return this.inner.acquirePurgeLease(owner, now, ttlMs);
  }

  async releasePurgeLease(owner: string): Promise<void> {
    this.#gate.check();
    return this.inner.releasePurgeLease(owner);
  }

  // ------------------------------------------------------------------ writes: through, then invalidate

  async insert<K extends TokenKind>(kind: K, row: StoredRowByKind[K]): Promise<InsertResult> {
    this.#checkKind(kind);
    return this.#writeThrough(
      () => this.inner.insert(kind, row),
      () => this.#invalidate(kind, row.key),
    );
  }

  async compareAndSetState(kind: TokenKind, key: string, change: StateChange): Promise<boolean> {
    this.#checkKind(kind);
    return this.#writeThrough(
      () => this.inner.compareAndSetState(kind, key, change),
      () => this.#invalidate(kind, key),
    );
  }

  async rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    this.#gate.check();
    return this.#writeThrough(
      () => this.inner.rotateRefreshToken(rotation),
      () => {
        this.#invalidate('refreshToken', rotation.key);
        this.#invalidate('refreshToken', rotation.successor.refreshToken.key);
        this.#invalidate('accessToken', rotation.successor.accessToken.key);
      },
    );
  }

  async revokeTokens(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    this.#gate.check();
    return this.#writeThrough(
      () => this.inner.revokeTokens(filter, at),
      () => {
        for (const kind of TOKEN_KINDS) this.#invalidateMatching(kind, (row) => matchesRevocationFilter(row, filter));
      },
    );
  }

  async purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number> {
    this.#checkKind(kind);
    return this.#writeThrough(
      () => this.inner.purge(kind, criteria),
      () => this.#invalidateMatching(kind, (row) => isPurgeable(row, criteria)),
    );
  }

  async replaceKey<K extends TokenKind>(kind: K, oldKey: string, row: StoredRowByKind[K]): Promise<boolean> {
    this.#checkKind(kind);
    return this.#writeThrough(
      () => this.inner.replaceKey(kind, oldKey, row),
      () => {
        this.#invalidate(kind, oldKey);
        this.#invalidate(kind, row.key);
      },
    );
  }

  async createClient(client: StoredClient): Promise<void> {
    this.#gate.check();
    return this.#writeThrough(
      () => this.inner.createClient(client),
      () => this.#invalidate('client', client.consumerKey),
    );
  }

  async updateClient(client: StoredClient, expectedUpdatedAt: number): Promise<boolean> {
    this.#gate.check();
    // Invalidated whatever the outcome: a refused compare-and-set means our cached copy is stale, and
    // the caller's re-read must reach the inner store.
    return this.#writeThrough(
      () => this.inner.updateClient(client, expectedUpdatedAt),
      () => this.#invalidate('client', client.consumerKey),
    );
  }

  async deleteClient(consumerKey: string): Promise<boolean> {
    this.#gate.check();
    return this.#writeThrough(
      () => this.inner.deleteClient(consumerKey),
      () => this.#invalidate('client', consumerKey),
    );
  }

  /** Not cached: counts go to the inner store (which may not have them). */
  get count(): TokenStore['count'] {
    const inner = this.inner;
    if (inner.count === undefined) return undefined;
    return (kind, now) => {
      this.#gate.check();
      return inner.count!(kind, now);
    };
  }

  /**
   * Lookups answered from the cache (`hits`) and sent to the inner store (`misses`) since it was
   * created, for the read-cache hit rate (`instrumentTokenService(service, { readCache })`).
   */
  stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  /** Drops the cache and closes the inner store. Idempotent; any other call afterwards throws a `CLOSED` error. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    this.#clearAll();
    await this.inner.close();
  }

  /** Cached lookups per kind (found and unknown keys together), for monitoring and tests. */
  cachedEntries(): Record<LookupScope, number> {
    return {
      accessToken: this.#rows.accessToken.size,
      refreshToken: this.#rows.refreshToken.size,
      authorizationCode: this.#rows.authorizationCode.size,
      client: this.#clients.size,
    };
  }

  /** Forgets everything cached, e.g. after changing the inner store behind the decorator's back. */
  clear(): void {
    this.#clearAll();
  }

  // ------------------------------------------------------------------ internals

  #newCache<V>(): LookupCache<V> {
    return new LRUCache<string, CachedLookup<V>>({
      max: this.options.maxEntries,
      ttl: this.options.ttlMs,
      perf: this.options.clock,
      // Read the clock on every check: a cached "now" would let an entry outlive ttlMs under a manual clock.
      ttlResolution: 0,
    });
  }

  /** The checks of every primitive taking a kind: open, and a token kind (core's one definition). */
  #checkKind(kind: TokenKind): void {
    this.#gate.check();
    checkTokenKind(kind, this.backend);
  }

  #cacheOf(scope: LookupScope): LookupCache<StoredRow | StoredClient> {
    return (scope === 'client' ? this.#clients : this.#rows[scope]) as LookupCache<StoredRow | StoredClient>;
  }

  async #readThrough<V>(cache: LookupCache<V>, scope: LookupScope, key: string, load: () => Promise<V | null>, copy: (value: V) => V) {
    this.#gate.check();
    const hit = cache.get(key);
    if (hit) {
      this.#hits++;
      return hit.value === null ? null : copy(hit.value);
    }
    this.#misses++;
    const id = pendingId(scope, key);
    let pending = this.#pending.get(id);
    if (!pending) {
      // Concurrent misses for one key share one inner lookup.
      const read: PendingRead = { promise: load(), cacheable: true, startedAt: this.options.clock.now() };
      pending = read;
      this.#pending.set(id, read);
      read.promise.then(
        (value) => {
          if (this.#pending.get(id) === read) this.#pending.delete(id);
          if (read.cacheable && !this.#gate.closed) this.#remember(cache, key, value as V | null, copy, read.startedAt);
        },
        () => {
          if (this.#pending.get(id) === read) this.#pending.delete(id);
        },
      );
    }
    const value = (await pending.promise) as V | null;
    return value === null ? null : copy(value);
  }

  /**
   * Caches what a read found for what is left of its bound, counted from when the read started (a
   * revocation on another node may have landed right after the inner store answered it).
   */
  #remember<V>(cache: LookupCache<V>, key: string, value: V | null, copy: (value: V) => V, startedAt: number): void {
    const elapsed = Math.max(0, this.options.clock.now() - startedAt);
    const ttl = (value === null ? this.options.negativeTtlMs : this.options.ttlMs) - elapsed;
    if (ttl <= 0) return;
    cache.set(key, { value: value === null ? null : copy(value) }, { ttl });
  }

  async #writeThrough<T>(write: () => Promise<T>, invalidate: () => void): Promise<T> {
    try {
      return await write();
    } finally {
      // Also on failure: a write that timed out may still have been applied.
      invalidate();
    }
  }

  #invalidate(scope: LookupScope, key: string): void {
    this.#cacheOf(scope).delete(key);
    const id = pendingId(scope, key);
    const pending = this.#pending.get(id);
    if (pending) {
      pending.cacheable = false;
      this.#pending.delete(id);
    }
  }

  #invalidateMatching(kind: TokenKind, predicate: (row: StoredRow) => boolean): void {
    const cache = this.#cacheOf(kind) as LookupCache<StoredRow>;
    const doomed: string[] = [];
    for (const [key, entry] of cache.entries()) if (entry.value !== null && predicate(entry.value)) doomed.push(key);
    for (const key of doomed) cache.delete(key);
    const prefix = pendingId(kind, '');
    for (const [id, pending] of this.#pending) {
      if (!id.startsWith(prefix)) continue;
      pending.cacheable = false;
      this.#pending.delete(id);
    }
  }

  #clearAll(): void {
    for (const kind of TOKEN_KINDS) this.#rows[kind].clear();
    this.#clients.clear();
    for (const pending of this.#pending.values()) pending.cacheable = false;
    this.#pending.clear();
  }
}

function pendingId(scope: LookupScope, key: string): string {
  return `${scope}\u0000${key}`;
}

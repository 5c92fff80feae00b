import {
  ConflictError,
  checkPurgeCriteria,
  checkScanRequest,
  checkTokenKind,
  DEFAULT_RETENTION,
  type InsertResult,
  isRevocable,
  matchesRevocationFilter,
  mergeRetention,
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
  type StoredAuthorizationCode,
  type StoredClient,
  type StoredRefreshToken,
  type StoredRow,
  type StoredRowByKind,
  StoreGate,
  TOKEN_STATES,
  type TokenCount,
  type TokenKind,
  TokenState,
  type TokenStore,
} from '@tokenstore/core';
import { ArtifactTable, type ArtifactTableSizes } from './artifact-table.js';
import { type MemoryStoreOptions, type ResolvedMemoryStoreOptions, resolveMemoryStoreOptions } from './options.js';
import { frozenClient, frozenRow } from './row-copies.js';
import { ScanOrder } from './scan-order.js';
import { TokenTable, type TokenTableSizes } from './token-table.js';

const BACKEND = 'memory';

type Tables = { [K in TokenKind]: TokenTable<StoredRowByKind[K]> };

/** Sizes of every structure the store keeps, for monitoring and the boundedness tests. */
export interface MemoryStoreSizes {
  accessToken: TokenTableSizes & { activeByReuseKey: number };
  refreshToken: TokenTableSizes;
  authorizationCode: TokenTableSizes;
  clients: number;
  artifacts: ArtifactTableSizes;
}

/**
 * The embedded default store: everything in this process's memory, nothing to install or run. Each
 * kind of token lives in its own LRU (lru-cache) bounded by `maxEntries` (and optionally
 * `maxMemoryBytes`); rows vanish on their own once past expiry or their state change plus the
 * retention, and the least recently used rows are evicted when a bound is reached — so an evicted
 * token simply stops validating, as in any cache. Clients are kept in a plain map and never evicted.
 *
 * Every primitive runs synchronously between reading and writing (no `await` inside), so within the
 * process each one is atomic: of concurrent code consumptions, rotations or exclusive inserts exactly
 * one wins. Rows are copied in and out; callers never hold the stored objects.
 *
 * Not shared between processes: for several gateway nodes use a shared store (SQL, Cassandra), with a
 * {@link ReadCache} in front of it if reads must be cheaper.
 */
export class MemoryStore implements TokenStore {
  readonly backend = BACKEND;
  readonly capabilities: StoreCapabilities = { shared: false, nativeExpiry: true, timeGranularityMs: 1 };
  readonly options: Readonly<ResolvedMemoryStoreOptions>;
  /** Provider artifacts (see `ArtifactStore`), in their own LRU with TTLs from their expiry. */
  readonly artifacts: ArtifactTable;

  readonly #tables: Tables;
  /** Reuse key → key of the one ACTIVE exclusive access token for it. */
  readonly #activeByReuseKey = new Map<string, string>();
  readonly #clients = new Map<string, StoredClient>();
  readonly #clientOrder = new ScanOrder();
  readonly #gate = new StoreGate(BACKEND);
  /** The service's retention once handed over ({@link useRetention}); the default until then. */
  #retention: Readonly<Retention> | null = null;

  constructor(options: MemoryStoreOptions = {}) {
    this.options = resolveMemoryStoreOptions(options);
    const common = {
      backend: BACKEND,
      maxEntries: this.options.maxEntries,
      maxMemoryBytes: this.options.maxMemoryBytes,
      clock: this.options.clock,
      retention: () => this.#retention ?? DEFAULT_RETENTION,
    };
    this.#tables = {
      accessToken: new TokenTable<StoredAccessToken>({
        ...common,
        onStored: (row) => this.#indexReuseKey(row),
        onRemoved: (row, key) => this.#unindexReuseKey(row.reuseKey, key),
      }),
      refreshToken: new TokenTable<StoredRefreshToken>(common),
      authorizationCode: new TokenTable<StoredAuthorizationCode>(common),
    };
    this.artifacts = new ArtifactTable({ ...common, gate: this.#gate });
  }

  async insert<K extends TokenKind>(kind: K, row: StoredRowByKind[K]): Promise<InsertResult> {
    const table = this.#table(kind);
    if (table.get(row.key)) throw new ConflictError(`a ${kind} row with this key already exists`, { backend: BACKEND });
    if (kind === 'accessToken') {
      const access = row as StoredAccessToken;
      const active = access.exclusive && access.state === TokenState.Active ? this.#activeExclusive(access.reuseKey) : null;
      if (active) return { inserted: false, active: frozenRow(active) };
    }
    table.write(frozenRow(row));
    return { inserted: true };
  }

  async get<K extends TokenKind>(kind: K, key: string): Promise<StoredRowByKind[K] | null> {
    return this.peek(kind, key);
  }

  /** Synchronous {@link get}: an in-memory store always knows. */
  peek<K extends TokenKind>(kind: K, key: string): StoredRowByKind[K] | null {
    const row = this.#table(kind).get(key);
    return row ? frozenRow(row) : null;
  }

  async findActiveAccessToken(reuseKey: string): Promise<StoredAccessToken | null> {
    this.#gate.check();
    const row = this.#activeExclusive(reuseKey);
    return row ? frozenRow(row) : null;
  }

  async compareAndSetState(kind: TokenKind, key: string, change: StateChange): Promise<boolean> {
    // Only the fields every kind shares change here, so any table can be treated alike.
    const table = this.#table(kind) as unknown as TokenTable<StoredRow>;
    const row = table.get(key);
    if (!row || row.state !== change.from) return false;
    table.write({ ...row, state: change.to, stateChangedAt: change.at });
    return true;
  }

  async rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    const refreshTokens = this.#table('refreshToken');
    const accessTokens = this.#table('accessToken');
    const row = refreshTokens.get(rotation.key);
    if (!row || row.state !== rotation.expected.state || row.reuseCount !== rotation.expected.reuseCount) return false;
    const { refreshToken, accessToken } = rotation.successor;
    // Check both successors before writing anything: all or nothing.
    if (refreshTokens.get(refreshToken.key) || accessTokens.get(accessToken.key))
      throw new ConflictError('a successor token with this key already exists', { backend: BACKEND });
    const rotated: StoredRefreshToken =
      row.state === TokenState.Active
        ? { ...row, state: TokenState.Inactive, rotatedAt: rotation.at, stateChangedAt: rotation.at }
        : { ...row, reuseCount: row.reuseCount + 1 };
    refreshTokens.write(rotated);
    refreshTokens.write(frozenRow(refreshToken));
    accessTokens.write(frozenRow(accessToken));
    return true;
  }

  async revokeTokens(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    this.#gate.check();
    return {
      accessToken: this.#revokeIn('accessToken', filter, at),
      refreshToken: this.#revokeIn('refreshToken', filter, at),
      authorizationCode: this.#revokeIn('authorizationCode', filter, at),
    };
  }

  async createClient(client: StoredClient): Promise<void> {
    this.#gate.check();
    if (this.#clients.has(client.consumerKey))
      throw new ConflictError('a client with this consumer key already exists', { backend: BACKEND });
    this.#clients.set(client.consumerKey, frozenClient(client));
    this.#clientOrder.append(client.consumerKey);
  }

  async getClient(consumerKey: string): Promise<StoredClient | null> {
    this.#gate.check();
    const client = this.#clients.get(consumerKey);
    return client ? frozenClient(client) : null;
  }

  async updateClient(client: StoredClient, expectedUpdatedAt: number): Promise<boolean> {
    this.#gate.check();
    // Compare and set in one synchronous step: nothing can interleave between the check and the write.
    if (this.#clients.get(client.consumerKey)?.updatedAt !== expectedUpdatedAt) return false;
    this.#clients.set(client.consumerKey, frozenClient(client));
    return true;
  }

  async deleteClient(consumerKey: string): Promise<boolean> {
    this.#gate.check();
    this.#clientOrder.remove(consumerKey);
    return this.#clients.delete(consumerKey);
  }

  /**
   * Deletes up to `criteria.limit` due rows, popping time-ordered queues (see {@link TokenTable.purge}):
   * a batch costs what it deletes, not the size of the cache. Rows that already vanished on their own
   * (TTL, eviction) are not counted.
   */
  async purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number> {
    const table = this.#table(kind);
    checkPurgeCriteria(criteria, BACKEND);
    return table.purge(criteria);
  }

  /** Always granted: nothing else can purge this process's memory. */
  async acquirePurgeLease(_owner: string, _now: number, _ttlMs: number): Promise<boolean> {
    this.#gate.check();
    return true;
  }

  async releasePurgeLease(_owner: string): Promise<void> {
    this.#gate.check();
  }

  async scan<K extends ProtectedKind>(kind: K, request: ScanRequest): Promise<ScanPage<ScannedRowByKind[K]>> {
    this.#gate.check();
    if (kind !== 'client') checkTokenKind(kind, BACKEND);
    checkScanRequest(request, BACKEND, isScanCursor);
    if (kind === 'client') {
      const page = this.#clientOrder.page(request.cursor, request.limit, (key) => this.#clients.has(key));
      const rows = page.keys.map((key) => frozenClient(this.#clients.get(key)!));
      return { rows: rows as ScannedRowByKind[K][], cursor: page.cursor };
    }
    const page = this.#table(kind as TokenKind).scan(request.cursor, request.limit);
    return { rows: page.rows.map((row) => frozenRow(row)) as ScannedRowByKind[K][], cursor: page.cursor };
  }

  async replaceKey<K extends TokenKind>(kind: K, oldKey: string, row: StoredRowByKind[K]): Promise<boolean> {
    const table = this.#table(kind);
    const old = table.get(oldKey);
    if (!old) return false;
    // Only the key and the value move: state and every other field stay as stored now, so a revocation
    // that landed after the caller read the row is not undone.
    const moved = { ...old, key: row.key, value: row.value };
    if (oldKey === row.key) {
      table.write(frozenRow(moved));
      return true;
    }
    const scanSeq = table.scanSeqOf(oldKey);
    table.delete(oldKey);
    if (!table.get(row.key)) table.write(frozenRow(moved), scanSeq);
    return true;
  }

  /** Drops every row. Idempotent; any other call afterwards throws a `CLOSED` error. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    for (const table of Object.values(this.#tables)) table.clear();
    this.#activeByReuseKey.clear();
    this.#clients.clear();
    this.#clientOrder.clear();
    this.artifacts.clear();
  }

  /** Exact counts from the table itself: a walk over memory, no copy, no I/O. */
  async count(kind: TokenKind, now: number): Promise<TokenCount> {
    const table = this.#table(kind);
    const byState = Object.fromEntries(TOKEN_STATES.map((state) => [state, 0])) as Record<TokenState, number>;
    let total = 0;
    let activeExpired = 0;
    let neverExpires = 0;
    for (const row of table.rows()) {
      total++;
      byState[row.state]++;
      if (row.expiresAt === null) neverExpires++;
      else if (row.state === 'ACTIVE' && row.expiresAt <= now) activeExpired++;
    }
    return { exact: true, total, byState, activeExpired, neverExpires };
  }

  /** How many entries each structure holds (rows and index entries), for monitoring. */
  sizes(): MemoryStoreSizes {
    return {
      accessToken: { ...this.#tables.accessToken.sizes(), activeByReuseKey: this.#activeByReuseKey.size },
      refreshToken: this.#tables.refreshToken.sizes(),
      authorizationCode: this.#tables.authorizationCode.sizes(),
      clients: this.#clients.size,
      artifacts: this.artifacts.sizes(),
    };
  }

  /** The retention rows are written with now (the default until a service hands one over). */
  get retention(): Readonly<Retention> {
    return this.#retention ?? DEFAULT_RETENTION;
  }

  /**
   * Takes a service's retention (see `TokenStore.useRetention`): rows written from now on vanish on
   * their own once past the longest retention handed over, never before a service may still need them.
   */
  useRetention(retention: Retention): void {
    this.#gate.check();
    this.#retention = mergeRetention(this.#retention, retention, BACKEND);
  }

  #table<K extends TokenKind>(kind: K): Tables[K] {
    this.#gate.check();
    checkTokenKind(kind, BACKEND);
    return this.#tables[kind];
  }

  #activeExclusive(reuseKey: string): StoredAccessToken | null {
    const key = this.#activeByReuseKey.get(reuseKey);
    if (key === undefined) return null;
    // get() may find the row past its retention and remove it, which also clears the index entry.
    const row = this.#tables.accessToken.get(key);
    return row && row.state === TokenState.Active && row.exclusive ? row : null;
  }

  #indexReuseKey(row: StoredAccessToken): void {
    if (row.exclusive && row.state === TokenState.Active) this.#activeByReuseKey.set(row.reuseKey, row.key);
    else this.#unindexReuseKey(row.reuseKey, row.key);
  }

  #unindexReuseKey(reuseKey: string, key: string): void {
    if (this.#activeByReuseKey.get(reuseKey) === key) this.#activeByReuseKey.delete(reuseKey);
  }

  #revokeIn(kind: TokenKind, filter: RevocationFilter, at: number): number {
    // Only the fields every kind shares change here, so any table can be treated alike.
    const table = this.#tables[kind] as unknown as TokenTable<StoredRow>;
    let revoked = 0;
    for (const key of candidateKeys(table, filter)) {
      const row = table.get(key);
      if (!row || !matchesRevocationFilter(row, filter)) continue;
      if (!isRevocable(kind, row.state)) continue;
      table.write({ ...row, state: TokenState.Revoked, stateChangedAt: at });
      revoked++;
    }
    return revoked;
  }
}

/** The cursors {@link ScanOrder} hands out: a sequence number. */
function isScanCursor(cursor: string): boolean {
  return /^\d{1,15}$/.test(cursor);
}

function candidateKeys<R extends StoredRow>(table: TokenTable<R>, filter: RevocationFilter): string[] {
  if ('grantId' in filter) return table.keysOfGrant(filter.grantId);
  if ('userId' in filter) return table.keysOfUser(filter.userId);
  return table.keysOfConsumerKey(filter.consumerKey);
}

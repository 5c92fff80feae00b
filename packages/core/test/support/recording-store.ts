import {
  ConflictError,
  type InsertResult,
  isPurgeable,
  isRevocable,
  matchesRevocationFilter,
  type ProtectedKind,
  type PurgeCriteria,
  type RefreshRotation,
  type RevocationCounts,
  type RevocationFilter,
  type ScannedRowByKind,
  type ScanPage,
  type ScanRequest,
  type StateChange,
  type StoreCapabilities,
  type StoredAccessToken,
  type StoredClient,
  type StoredRowByKind,
  TokenKind,
  TokenState,
  type TokenStore,
} from '@tokenstore/core';

/** Every method of the store contract, as recorded. */
export type StoreMethod = Exclude<keyof TokenStore, 'backend' | 'capabilities'>;

export interface StoreCall {
  method: StoreMethod;
  args: unknown[];
}

/** Methods that change what is stored (the lease counts: it is a row in a shared store). */
const WRITE_METHODS: ReadonlySet<StoreMethod> = new Set<StoreMethod>([
  'insert',
  'compareAndSetState',
  'rotateRefreshToken',
  'revokeTokens',
  'createClient',
  'updateClient',
  'deleteClient',
  'purge',
  'acquirePurgeLease',
  'releasePurgeLease',
  'replaceKey',
]);

/**
 * Scripted replacements for single primitives. A hook runs instead of the in-memory behaviour; the
 * call is recorded either way.
 */
export interface StoreHooks {
  purge?: (kind: TokenKind, criteria: PurgeCriteria) => Promise<number> | number;
  acquirePurgeLease?: (owner: string, now: number, ttlMs: number) => Promise<boolean> | boolean;
  rotateRefreshToken?: (rotation: RefreshRotation) => Promise<boolean> | boolean;
  compareAndSetState?: (kind: TokenKind, key: string, change: StateChange) => Promise<boolean> | boolean;
  insert?: <K extends TokenKind>(kind: K, row: StoredRowByKind[K]) => Promise<InsertResult> | InsertResult;
  revokeTokens?: (filter: RevocationFilter, at: number) => Promise<RevocationCounts> | RevocationCounts;
  /** Runs before the compare-and-set, e.g. to let another writer change the client first. */
  beforeUpdateClient?: (client: StoredClient, expectedUpdatedAt: number) => Promise<void> | void;
}

/**
 * A TokenStore over Maps that records every call. Rows are kept by reference, as a naive in-memory
 * backend would, so a test notices when the service hands a caller an object the store still holds.
 */
export class RecordingStore implements TokenStore {
  readonly backend = 'recording';
  readonly capabilities: StoreCapabilities = { shared: false, nativeExpiry: false, timeGranularityMs: 1 };
  readonly calls: StoreCall[] = [];
  readonly hooks: StoreHooks = {};
  readonly tables: { [K in TokenKind]: Map<string, StoredRowByKind[K]> } = {
    accessToken: new Map(),
    refreshToken: new Map(),
    authorizationCode: new Map(),
  };
  readonly clients = new Map<string, StoredClient>();
  closed = false;

  /** Calls that change stored state. */
  get writes(): StoreCall[] {
    return this.calls.filter((call) => WRITE_METHODS.has(call.method));
  }

  /** The argument lists of every call to `method`, in order. */
  argsOf(method: StoreMethod): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  /** The stored row of `kind` holding `value` as its plaintext (plain protection). */
  rowByValue<K extends TokenKind>(kind: K, value: string): StoredRowByKind[K] {
    for (const row of this.tables[kind].values()) if (row.value === value) return row;
    throw new Error(`no ${kind} row holds that value`);
  }

  #record(method: StoreMethod, args: unknown[]): void {
    this.calls.push({ method, args });
  }

  #table<K extends TokenKind>(kind: K): Map<string, StoredRowByKind[K]> {
    return this.tables[kind] as Map<string, StoredRowByKind[K]>;
  }

  async insert<K extends TokenKind>(kind: K, row: StoredRowByKind[K]): Promise<InsertResult> {
    this.#record('insert', [kind, row]);
    if (this.hooks.insert) return this.hooks.insert(kind, row);
    const table = this.#table(kind);
    if (table.has(row.key)) throw new ConflictError(`${kind} key exists`, { backend: this.backend });
    if (kind === TokenKind.AccessToken && (row as StoredAccessToken).exclusive) {
      const active = this.#activeExclusive((row as StoredAccessToken).reuseKey);
      if (active) return { inserted: false, active };
    }
    table.set(row.key, row);
    return { inserted: true };
  }

  async get<K extends TokenKind>(kind: K, key: string): Promise<StoredRowByKind[K] | null> {
    this.#record('get', [kind, key]);
    return this.#table(kind).get(key) ?? null;
  }

  async findActiveAccessToken(reuseKey: string): Promise<StoredAccessToken | null> {
    this.#record('findActiveAccessToken', [reuseKey]);
    return this.#activeExclusive(reuseKey);
  }

  #activeExclusive(reuseKey: string): StoredAccessToken | null {
    for (const row of this.tables.accessToken.values())
      if (row.exclusive && row.reuseKey === reuseKey && row.state === TokenState.Active) return row;
    return null;
  }

  async compareAndSetState(kind: TokenKind, key: string, change: StateChange): Promise<boolean> {
    this.#record('compareAndSetState', [kind, key, change]);
    if (this.hooks.compareAndSetState) return this.hooks.compareAndSetState(kind, key, change);
    const row = this.#table(kind).get(key);
    if (!row || row.state !== change.from) return false;
    row.state = change.to;
    row.stateChangedAt = change.at;
    return true;
  }

  async rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    this.#record('rotateRefreshToken', [rotation]);
    if (this.hooks.rotateRefreshToken) return this.hooks.rotateRefreshToken(rotation);
    const row = this.tables.refreshToken.get(rotation.key);
    if (!row || row.state !== rotation.expected.state || row.reuseCount !== rotation.expected.reuseCount) return false;
    if (row.state === TokenState.Active) {
      row.state = TokenState.Inactive;
      row.rotatedAt = rotation.at;
      row.stateChangedAt = rotation.at;
    } else {
      row.reuseCount++;
    }
    this.tables.refreshToken.set(rotation.successor.refreshToken.key, rotation.successor.refreshToken);
    this.tables.accessToken.set(rotation.successor.accessToken.key, rotation.successor.accessToken);
    return true;
  }

  async revokeTokens(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    this.#record('revokeTokens', [filter, at]);
    if (this.hooks.revokeTokens) return this.hooks.revokeTokens(filter, at);
    const counts: RevocationCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
    for (const kind of Object.values(TokenKind)) {
      for (const row of this.#table(kind).values()) {
        if (!matchesRevocationFilter(row, filter)) continue;
        if (!isRevocable(kind, row.state)) continue;
        row.state = TokenState.Revoked;
        row.stateChangedAt = at;
        counts[kind]++;
      }
    }
    return counts;
  }

  async createClient(client: StoredClient): Promise<void> {
    this.#record('createClient', [client]);
    if (this.clients.has(client.consumerKey)) throw new ConflictError('client exists', { backend: this.backend });
    this.clients.set(client.consumerKey, client);
  }

  async getClient(consumerKey: string): Promise<StoredClient | null> {
    this.#record('getClient', [consumerKey]);
    return this.clients.get(consumerKey) ?? null;
  }

  async updateClient(client: StoredClient, expectedUpdatedAt: number): Promise<boolean> {
    this.#record('updateClient', [client, expectedUpdatedAt]);
    if (this.hooks.beforeUpdateClient) await this.hooks.beforeUpdateClient(client, expectedUpdatedAt);
    if (this.clients.get(client.consumerKey)?.updatedAt !== expectedUpdatedAt) return false;
    this.clients.set(client.consumerKey, client);
    return true;
  }

  async deleteClient(consumerKey: string): Promise<boolean> {
    this.#record('deleteClient', [consumerKey]);
    return this.clients.delete(consumerKey);
  }

  async purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number> {
    this.#record('purge', [kind, criteria]);
    if (this.hooks.purge) return this.hooks.purge(kind, criteria);
    const table = this.#table(kind);
    let deleted = 0;
    for (const [key, row] of table) {
      if (deleted >= criteria.limit) break;
      if (isPurgeable(row, criteria)) {
        table.delete(key);
        deleted++;
      }
    }
    return deleted;
  }

  async acquirePurgeLease(owner: string, now: number, ttlMs: number): Promise<boolean> {
    this.#record('acquirePurgeLease', [owner, now, ttlMs]);
    return this.hooks.acquirePurgeLease ? this.hooks.acquirePurgeLease(owner, now, ttlMs) : true;
  }

  async releasePurgeLease(owner: string): Promise<void> {
    this.#record('releasePurgeLease', [owner]);
  }

  async scan<K extends ProtectedKind>(kind: K, request: ScanRequest): Promise<ScanPage<ScannedRowByKind[K]>> {
    this.#record('scan', [kind, request]);
    const rows = (kind === 'client' ? [...this.clients.values()] : [...this.#table(kind as TokenKind).values()]) as ScannedRowByKind[K][];
    const start = request.cursor === null ? 0 : Number(request.cursor);
    const end = start + request.limit;
    return { rows: rows.slice(start, end), cursor: end < rows.length ? String(end) : null };
  }

  async replaceKey<K extends TokenKind>(kind: K, oldKey: string, row: StoredRowByKind[K]): Promise<boolean> {
    this.#record('replaceKey', [kind, oldKey, row]);
    const table = this.#table(kind);
    if (!table.delete(oldKey)) return false;
    if (!table.has(row.key)) table.set(row.key, row);
    return true;
  }

  async close(): Promise<void> {
    this.#record('close', []);
    this.closed = true;
  }
}

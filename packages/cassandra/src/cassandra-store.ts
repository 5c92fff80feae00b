import {
  type ArtifactStore,
  checkProtectedKind,
  checkPurgeCriteria,
  checkScanRequest,
  checkTokenKind,
  type InsertResult,
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
  type StoredRowByKind,
  type TokenCount,
  type TokenKind,
  type TokenStore,
} from '@tokenstore/core';
import { ArtifactMoves } from './artifact-moves.js';
import { CassandraArtifacts } from './artifact-primitives.js';
import { ArtifactPurge } from './artifact-purge.js';
import { ArtifactRows } from './artifacts.js';
import { type CassandraExecuteOptions, isPageState } from './client.js';
import { ClientRows } from './clients.js';
import type { ResolvedConsistency, StoreOperation } from './consistency.js';
import { estimateTableRows } from './count-estimate.js';
import { BACKEND, cursorRefusal, toStoreError } from './errors.js';
import { CassandraExecutor } from './executor.js';
import { LookupPartitions } from './lookups.js';
import { type CassandraStoreOptions, type ResolvedCassandraOptions, resolveCassandraOptions } from './options.js';
import { Purge } from './purge.js';
import { BucketRegistry, PurgeIndexReader, PurgeIndexWriter } from './purge-index.js';
import { PurgeLease } from './purge-lease.js';
import { KeyReplacement } from './replace-key.js';
import { ReuseSlots } from './reuse-slots.js';
import { Revocation } from './revocation.js';
import { Rotation } from './rotation.js';
import { RowAccess } from './row-access.js';
import { StateChanges } from './state-changes.js';
import { clientFromRow, TOKEN_TABLES, tokenFromRow } from './token-rows.js';
import { StoreTtlPolicy } from './ttl.js';

/**
 * `TokenStore` on Apache Cassandra: tables designed per query, rows written USING TTL, lightweight
 * transactions (with configurable serial consistency) for everything that must be atomic, and read /
 * write consistency configurable globally and per operation.
 *
 * ```ts
 * const store = new CassandraStore({ url: 'cassandra://10.0.0.1,10.0.0.2/tokenstore?dc=dc1',
 *   consistency: CONSISTENCY_PRESETS.production });
 * ```
 *
 * The facade: it checks what reaches it and runs each primitive as one operation of the shared
 * {@link CassandraExecutor}; the work is done by the collaborators (rows, reuse slots, lookups, purge
 * index and lease, state changes, rotation, revocation, key replacement, clients, artifacts).
 */
export class CassandraStore implements TokenStore {
  readonly backend = BACKEND;
  readonly capabilities: StoreCapabilities = { shared: true, nativeExpiry: true, timeGranularityMs: 1 };
  /** Provider artifacts (issue 14): `008_artifacts.cql`, see {@link ArtifactRows}. */
  readonly artifacts: ArtifactStore;
  readonly #options: ResolvedCassandraOptions;
  readonly #x: CassandraExecutor;
  readonly #ttl: StoreTtlPolicy;
  readonly #readByKeyOptions: Record<TokenKind, CassandraExecuteOptions>;
  readonly #rows: RowAccess;
  readonly #slots: ReuseSlots;
  readonly #changes: StateChanges;
  readonly #rotation: Rotation;
  readonly #revocation: Revocation;
  readonly #replacement: KeyReplacement;
  readonly #purge: Purge;
  readonly #lease: PurgeLease;
  readonly #clients: ClientRows;

  /** Validates every option (consistency included) now; connects lazily on first use, or with {@link connect}. */
  constructor(options: CassandraStoreOptions | string) {
    this.#options = resolveCassandraOptions(typeof options === 'string' ? { url: options } : options);
    const x = new CassandraExecutor(this.#options);
    this.#x = x;
    // The service's retention arrives with useRetention; DEFAULT_RETENTION until then.
    this.#ttl = new StoreTtlPolicy({
      extraTtlSeconds: this.#options.purgeIndex.extraTtlSeconds,
      maxTtlSeconds: this.#options.maxTtlSeconds,
    });
    const bucketMs = this.#options.purgeIndex.bucketSeconds * 1000;
    const registry = new BucketRegistry();
    const index = new PurgeIndexWriter(x, this.#ttl, bucketMs, registry);
    const lookups = new LookupPartitions(x);
    this.#slots = new ReuseSlots(x);
    this.#rows = new RowAccess(x, this.#ttl, { lookups, index, slots: this.#slots });
    this.#changes = new StateChanges(x, this.#ttl, { rows: this.#rows, lookups, index, slots: this.#slots });
    this.#rotation = new Rotation(x, this.#ttl, { rows: this.#rows, index, changes: this.#changes });
    this.#revocation = new Revocation(x, { rows: this.#rows, lookups, changes: this.#changes });
    this.#replacement = new KeyReplacement(x, this.#ttl, { rows: this.#rows, index, slots: this.#slots });
    const indexReader = new PurgeIndexReader(x, bucketMs, registry);
    this.#purge = new Purge(x, { index: indexReader, rows: this.#rows });
    const artifactRows = new ArtifactRows(x, this.#ttl, index);
    this.artifacts = new CassandraArtifacts(x, {
      rows: artifactRows,
      moves: new ArtifactMoves(x, this.#ttl, artifactRows),
      purge: new ArtifactPurge(x, { index: indexReader, rows: artifactRows }),
    });
    this.#lease = new PurgeLease(x);
    this.#clients = new ClientRows(x);
    const readByKey = (operation: StoreOperation) => ({ prepare: true, consistency: x.levels(operation).codes.read });
    this.#readByKeyOptions = {
      accessToken: readByKey('get'),
      refreshToken: readByKey('readRefreshToken'),
      authorizationCode: readByKey('readAuthorizationCode'),
    };
  }

  /** Builds a store and connects it (creating the schema when `createSchema` is set), so start-up fails early. */
  static async create(options: CassandraStoreOptions | string): Promise<CassandraStore> {
    const store = new CassandraStore(options);
    await store.connect();
    return store;
  }

  /** The consistency levels every operation runs with. */
  get consistency(): ResolvedConsistency {
    return this.#options.consistency;
  }

  /** The keyspace every statement names. */
  get keyspace(): string {
    return this.#options.keyspace;
  }

  /** Connects now (and creates the schema when asked to). Called implicitly by the first operation. */
  async connect(): Promise<void> {
    this.#x.gate.check();
    await this.#x.ready();
  }

  /**
   * Takes the service's retention (the service calls it once, before any write): rows are written
   * USING TTL = remaining lifetime + `expiredSeconds`, and a row leaving ACTIVE is kept at least
   * `inactiveSeconds` more. A second service with a different retention is refused (`MISCONFIGURATION`).
   */
  useRetention(retention: Retention): void {
    this.#ttl.use(retention);
  }

  // ------------------------------------------------------------------ tokens

  async insert<K extends TokenKind>(kind: K, row: StoredRowByKind[K]): Promise<InsertResult> {
    return this.#x.operation('insert', async () => {
      checkTokenKind(kind, BACKEND);
      return (await this.#rows.insertRow(kind, row, this.#x.levels('insert'))).result;
    });
  }

  async get<K extends TokenKind>(kind: K, key: string): Promise<StoredRowByKind[K] | null> {
    // The gateway's hot path: no closure, options built once per kind at construction.
    this.#x.gate.check();
    checkTokenKind(kind, BACKEND);
    try {
      const client = this.#x.client ?? (await this.#x.ready());
      const result = await client.execute(this.#x.cql.tokens[kind].select, [key], this.#readByKeyOptions[kind]);
      return tokenFromRow(kind, result.rows?.[0]);
    } catch (error) {
      throw toStoreError(error, 'get');
    }
  }

  async findActiveAccessToken(reuseKey: string): Promise<StoredAccessToken | null> {
    return this.#x.operation('findActiveAccessToken', () => this.#slots.findActive(reuseKey, this.#x.levels('findActiveAccessToken')));
  }

  async compareAndSetState(kind: TokenKind, key: string, change: StateChange): Promise<boolean> {
    return this.#x.operation('compareAndSetState', async () => {
      checkTokenKind(kind, BACKEND);
      const levels = this.#x.levels('compareAndSetState');
      const current = await this.#rows.readForUpdate(kind, key, levels);
      if (!current) return false;
      return this.#changes.changeState(kind, current, change.from, change.to, change.at, levels);
    });
  }

  async rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    return this.#x.operation('rotateRefreshToken', () => this.#rotation.rotate(rotation));
  }

  async revokeTokens(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    return this.#x.operation('revokeTokens', () => this.#revocation.revoke(filter, at));
  }

  // ------------------------------------------------------------------ clients

  async createClient(client: StoredClient): Promise<void> {
    return this.#x.operation('createClient', () => this.#clients.create(client));
  }

  async getClient(consumerKey: string): Promise<StoredClient | null> {
    return this.#x.operation('getClient', () => this.#clients.read(consumerKey, this.#x.levels('clients').codes.read));
  }

  async updateClient(client: StoredClient, expectedUpdatedAt: number): Promise<boolean> {
    return this.#x.operation('updateClient', () => this.#clients.update(client, expectedUpdatedAt));
  }

  async deleteClient(consumerKey: string): Promise<boolean> {
    return this.#x.operation('deleteClient', () => this.#clients.delete(consumerKey));
  }

  // ------------------------------------------------------------------ purge

  /** See {@link Purge.purge}: through the purge index, the row deciding. */
  async purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number> {
    return this.#x.operation('purge', async () => {
      checkTokenKind(kind, BACKEND);
      checkPurgeCriteria(criteria, BACKEND);
      return this.#purge.purge(kind, criteria);
    });
  }

  async acquirePurgeLease(owner: string, now: number, ttlMs: number): Promise<boolean> {
    return this.#x.operation('acquirePurgeLease', () => this.#lease.acquire(owner, now, ttlMs));
  }

  async releasePurgeLease(owner: string): Promise<void> {
    return this.#x.operation('releasePurgeLease', () => this.#lease.release(owner));
  }

  // ------------------------------------------------------------------ scan & rewrap

  /** Pages through a kind's table in token order; the cursor is the driver's page state. */
  async scan<K extends ProtectedKind>(kind: K, request: ScanRequest): Promise<ScanPage<ScannedRowByKind[K]>> {
    return this.#x.operation('scan', async () => {
      checkProtectedKind(kind, BACKEND);
      checkScanRequest(request, BACKEND, isPageState);
      const { cursor, limit } = request;
      const statement = kind === 'client' ? this.#x.cql.clients.scan : this.#x.cql.tokens[kind as TokenKind].scan;
      const result = await this.#x
        .execute(statement, [], {
          consistency: this.#x.levels('scan').codes.read,
          fetchSize: limit,
          ...(cursor === null ? {} : { pageState: cursor }),
        })
        .catch((error: unknown) => {
          throw cursorRefusal(error, cursor);
        });
      const rows = (result.rows ?? [])
        .map((row) => (kind === 'client' ? clientFromRow(row) : tokenFromRow(kind as TokenKind, row)))
        .filter((row) => row !== null) as ScannedRowByKind[K][];
      return { rows, cursor: result.pageState ?? null };
    });
  }

  /** See {@link KeyReplacement.replaceKey}: the new row first, then the old one deleted. */
  async replaceKey<K extends TokenKind>(kind: K, oldKey: string, row: StoredRowByKind[K]): Promise<boolean> {
    return this.#x.operation('replaceKey', async () => {
      checkTokenKind(kind, BACKEND);
      return this.#replacement.replaceKey(kind, oldKey, row);
    });
  }

  /** Closes the connection (unless the client was injected). Further calls throw a `CLOSED` error. */
  async close(): Promise<void> {
    await this.#x.close();
  }

  // ------------------------------------------------------------------ counts (issue 13)

  /** An estimate (`exact: false`): see {@link estimateTableRows}. Cassandra keeps no exact count. */
  async count(kind: TokenKind, _now: number): Promise<TokenCount> {
    return this.#x.operation('scan', async () => {
      checkTokenKind(kind, BACKEND);
      const consistency = this.#x.levels('scan').codes.read;
      return estimateTableRows((query, params) => this.#x.execute(query, params, { consistency }), this.keyspace, TOKEN_TABLES[kind]);
    });
  }
}

import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  ErrorCode,
  type InsertResult,
  InvalidInputError,
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
  type StoredRefreshToken,
  type StoredRowByKind,
  type StoredTokenBase,
  TOKEN_KINDS,
  type TokenCount,
  type TokenKind,
  type TokenStore,
  TokenStoreError,
} from '@tokenstore/core';
import {
  type CassandraClient,
  type CassandraExecuteOptions,
  type CassandraResult,
  type CassandraRow,
  createDriverClient,
} from './client.js';
import { type ConditionalResult, executeConditional, type Resolution } from './conditional.js';
import type { OperationConsistency, ResolvedConsistency, StoreOperation } from './consistency.js';
import { estimateTableRows } from './count-estimate.js';
import { BACKEND, toStoreError } from './errors.js';
import { type CassandraStoreOptions, type ResolvedCassandraOptions, resolveCassandraOptions } from './options.js';
import { BucketRegistry, bucketOf, PURGE_REASONS, type PurgeReason } from './purge-index.js';
import { applySchema } from './schema.js';
import { buildStatements, type Statements } from './statements.js';
import {
  clientFromRow,
  clientParams,
  clientUpdateParams,
  millis,
  sameClient,
  TOKEN_TABLES,
  tokenFromRow,
  tokenParams,
} from './token-rows.js';
import { bucketTtl, entryTtl, inactiveEntryTtl, remainingTtl, retainedTtl, rowTtl, type TtlPolicy } from './ttl.js';

/** A row read for a conditional change: the row, its remaining TTL (0 = none) and its change id. */
interface RowForUpdate<K extends TokenKind> {
  row: StoredRowByKind[K];
  ttl: number;
  changeId: string;
}

interface LookupEntry {
  kind: TokenKind;
  key: string;
}

const LEASE_NAME = 'purge';
/** Reads of a lookup partition one revocation pass makes at most while rows vanish under it. */
const LOOKUP_ROUNDS = 4;
/** Attempts to settle the reuse slot before giving up with a conflict (each attempt is one LWT). */
const SLOT_ATTEMPTS = 8;
/** Attempts of one row's conditional change before a bulk operation moves on. */
const CHANGE_ATTEMPTS = 4;
const LOOKUP_PAGE_SIZE = 1000;
const MAX_SCAN_LIMIT = 10_000;
const PAGE_STATE = /^[0-9a-f]+$/i;
const SERIAL_LEVELS = new Set(['SERIAL', 'LOCAL_SERIAL']);

function isTokenKind(kind: unknown): kind is TokenKind {
  return typeof kind === 'string' && (TOKEN_KINDS as readonly string[]).includes(kind);
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function uuidText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure is thrown after the rest settle. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/**
 * `TokenStore` on Apache Cassandra: tables designed per query, rows written USING TTL, lightweight
 * transactions (with configurable serial consistency) for everything that must be atomic, and read /
 * write consistency configurable globally and per operation.
 *
 * ```ts
 * const store = new CassandraStore({ url: 'cassandra://10.0.0.1,10.0.0.2/tokenstore?dc=dc1',
 *   consistency: CONSISTENCY_PRESETS.production });
 * ```
 */
export class CassandraStore implements TokenStore {
  readonly backend = BACKEND;
  readonly capabilities: StoreCapabilities = { shared: true, nativeExpiry: true, timeGranularityMs: 1 };
  readonly #options: ResolvedCassandraOptions;

  readonly #cql: Statements;
  readonly #ttl: TtlPolicy;
  readonly #bucketMs: number;
  readonly #registry = new BucketRegistry();
  readonly #ownsClient: boolean;
  readonly #readByKeyOptions: Record<TokenKind, CassandraExecuteOptions>;
  #client: CassandraClient | undefined;
  #connecting: Promise<CassandraClient> | undefined;
  #closed = false;

  /** Validates every option (consistency included) now; connects lazily on first use, or with {@link connect}. */
  constructor(options: CassandraStoreOptions | string) {
    this.#options = resolveCassandraOptions(typeof options === 'string' ? { url: options } : options);
    this.#cql = buildStatements(this.#options.keyspace);
    this.#ttl = { ...this.#options.retention, ...this.#options.purgeIndex, maxTtlSeconds: this.#options.maxTtlSeconds };
    this.#bucketMs = this.#options.purgeIndex.bucketSeconds * 1000;
    this.#ownsClient = this.#options.client === undefined;
    const readByKey = (operation: StoreOperation) => ({ prepare: true, consistency: this.#levels(operation).codes.read });
    this.#readByKeyOptions = {
      accessToken: readByKey('validate'),
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
    this.#assertOpen();
    await this.#ready();
  }

  // ------------------------------------------------------------------ tokens

  async insert<K extends TokenKind>(kind: K, row: StoredRowByKind[K]): Promise<InsertResult> {
    return this.#operation('insert', async () => {
      this.#assertKind(kind);
      return (await this.#insertRow(kind, row, this.#levels('insert'))).result;
    });
  }

  async get<K extends TokenKind>(kind: K, key: string): Promise<StoredRowByKind[K] | null> {
    // The gateway's hot path: no closure, options built once per kind at construction.
    this.#assertOpen();
    this.#assertKind(kind);
    try {
      const client = this.#client ?? (await this.#ready());
      const result = await client.execute(this.#cql.tokens[kind].select, [key], this.#readByKeyOptions[kind]);
      return tokenFromRow(kind, result.rows?.[0]);
    } catch (error) {
      throw toStoreError(error, 'get');
    }
  }

  async findActiveAccessToken(reuseKey: string): Promise<StoredAccessToken | null> {
    return this.#operation('findActiveAccessToken', async () => {
      const levels = this.#levels('findActiveAccessToken');
      const slot = await this.#execute(this.#cql.slots.select, [reuseKey], { consistency: levels.codes.read });
      const holder = textOf(slot.rows?.[0]?.token_key);
      if (holder === null) return null;
      const result = await this.#execute(this.#cql.tokens.accessToken.select, [holder], { consistency: levels.codes.read });
      const row = tokenFromRow('accessToken', result.rows?.[0]);
      return row !== null && row.state === 'ACTIVE' && row.exclusive && row.reuseKey === reuseKey ? row : null;
    });
  }

  async compareAndSetState(kind: TokenKind, key: string, change: StateChange): Promise<boolean> {
    return this.#operation('compareAndSetState', async () => {
      this.#assertKind(kind);
      const levels = this.#levels('compareAndSetState');
      const current = await this.#readForUpdate(kind, key, levels);
      if (!current) return false;
      return this.#changeState(kind, current, change.from, change.to, change.at, levels);
    });
  }

  async rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    return this.#operation('rotateRefreshToken', async () => {
      const levels = this.#levels('rotateRefreshToken');
      const current = await this.#readForUpdate('refreshToken', rotation.key, levels);
      if (!current) return false;
      const { expected, at } = rotation;
      const changeId = randomUUID();
      const rotating = expected.state === 'ACTIVE';
      // Successors first, the decision last: a revocation pass that changes the old token after this
      // rotation decided is followed by a pass that reads the grant's lookup entries again, and finds
      // the successors there (see TokenStore.revokeTokens). Written the other way round, a pass could
      // run between the decision and the successors' writes and miss them for good.
      const successors = await Promise.allSettled([
        this.#insertRow('refreshToken', rotation.successor.refreshToken, levels),
        this.#insertRow('accessToken', rotation.successor.accessToken, levels),
      ]);
      const removeSuccessors = async () => {
        for (const [index, settled] of successors.entries()) {
          if (settled.status !== 'fulfilled') continue;
          const kind = index === 0 ? 'refreshToken' : 'accessToken';
          const row = index === 0 ? rotation.successor.refreshToken : rotation.successor.accessToken;
          await this.#deleteRow(kind, row, settled.value.changeId, levels).catch(() => undefined);
        }
      };
      const failed = successors.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) {
        await removeSuccessors();
        throw failed.reason;
      }
      try {
        if (rotating) await this.#writeInactiveEntry('refreshToken', rotation.key, at, at, levels);
        // A rotated token is kept for its inactive retention, which may outlive its expiry.
        const ttl = rotating ? retainedTtl(current.ttl, this.#ttl) : current.ttl;
        const cql = this.#cql.rotation;
        const outcome = await this.#conditional(
          rotating ? cql.rotate : cql.reuseAgain,
          rotating
            ? [ttl, new Date(at), new Date(at), changeId, rotation.key, expected.reuseCount]
            : [ttl, expected.reuseCount + 1, changeId, rotation.key, expected.reuseCount],
          levels,
          () =>
            this.#resolveChange('refreshToken', rotation.key, changeId, levels, (row) => {
              return row.state === expected.state && row.reuseCount === expected.reuseCount;
            }),
        );
        if (!outcome.applied) {
          // Lost: the successors were never handed out; remove them (a revocation may have revoked them already).
          await removeSuccessors();
          return false;
        }
        if (ttl !== current.ttl) await this.#retain('refreshToken', rotation.key, changeId, current.ttl, ttl, levels);
        return true;
      } catch (error) {
        await removeSuccessors();
        throw error;
      }
    });
  }

  async revokeTokens(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    return this.#operation('revokeTokens', async () => {
      if (filter === null || typeof filter !== 'object') throw new InvalidInputError('filter', 'must be an object');
      const levels = this.#levels('revokeTokens');
      const counts: RevocationCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
      const seen = new Set<string>();
      // A row that vanished between the read of its lookup entry and its change may have moved to a new
      // key (the rewrap writes the new row, then deletes the old one): read the partition again for it.
      for (let round = 0; round < LOOKUP_ROUNDS; round++) {
        const entries = (await this.#readLookup(filter, levels)).filter((entry) => !seen.has(`${entry.kind}/${entry.key}`));
        let vanished = false;
        await forEachLimited(entries, this.#options.concurrency, async (entry) => {
          seen.add(`${entry.kind}/${entry.key}`);
          const outcome = await this.#revokeOne(entry, filter, at, levels);
          if (outcome === 'revoked') counts[entry.kind]++;
          else if (outcome === 'vanished') vanished = true;
        });
        if (!vanished) break;
      }
      return counts;
    });
  }

  // ------------------------------------------------------------------ clients

  async createClient(client: StoredClient): Promise<void> {
    return this.#operation('createClient', async () => {
      const levels = this.#levels('clients');
      const outcome = await this.#conditional(this.#cql.clients.insert, clientParams(client), levels, async () => {
        const current = await this.#readClient(client.consumerKey, levels.codes.serial);
        if (!current) return { outcome: 'retry' };
        const mine = current.secretKey === client.secretKey && current.createdAt === client.createdAt;
        return mine ? { outcome: 'applied' } : { outcome: 'not-applied' };
      });
      if (!outcome.applied) throw new ConflictError('a client with this consumer key already exists', { backend: BACKEND });
    });
  }

  async getClient(consumerKey: string): Promise<StoredClient | null> {
    return this.#operation('getClient', () => this.#readClient(consumerKey, this.#levels('clients').codes.read));
  }

  async updateClient(client: StoredClient, expectedUpdatedAt: number): Promise<boolean> {
    return this.#operation('updateClient', async () => {
      const levels = this.#levels('clients');
      const params = clientUpdateParams(client, expectedUpdatedAt);
      const outcome = await this.#conditional(this.#cql.clients.update, params, levels, async () => {
        // Unknown outcome: the serial read shows our row (applied), the row we expected (our
        // proposal did not land, send it again), or another writer's (changed meanwhile: not applied).
        const current = await this.#readClient(client.consumerKey, levels.codes.serial);
        if (!current) return { outcome: 'not-applied' };
        if (sameClient(current, client)) return { outcome: 'applied' };
        return current.updatedAt === expectedUpdatedAt ? { outcome: 'retry' } : { outcome: 'not-applied' };
      });
      return outcome.applied;
    });
  }

  async deleteClient(consumerKey: string): Promise<boolean> {
    return this.#operation('deleteClient', async () => {
      const levels = this.#levels('clients');
      const outcome = await this.#conditional(this.#cql.clients.remove, [consumerKey], levels, async () => {
        const current = await this.#readClient(consumerKey, levels.codes.serial);
        return current ? { outcome: 'retry' } : { outcome: 'applied' };
      });
      return outcome.applied;
    });
  }

  // ------------------------------------------------------------------ purge

  /**
   * Deletes at most `criteria.limit` purgeable rows of `kind`, found through the purge index (buckets
   * up to the cut-offs, oldest first), together with their lookup entries. The row is the truth: an
   * index entry whose row is gone (TTL) or no longer purgeable is just dropped.
   */
  async purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number> {
    return this.#operation('purge', async () => {
      this.#assertKind(kind);
      if (!Number.isSafeInteger(criteria.limit) || criteria.limit < 1)
        throw new InvalidInputError('limit', 'must be a positive whole number');
      const levels = this.#levels('purge');
      let deleted = 0;
      for (const reason of PURGE_REASONS) {
        const cutoff = reason === 'expiry' ? criteria.expiredBefore : criteria.inactiveBefore;
        const buckets = await this.#execute(
          this.#cql.purge.selectBuckets,
          [kind, reason, new Date(bucketOf(cutoff, this.#bucketMs)), 1000],
          { consistency: levels.codes.read },
        );
        for (const bucketRow of buckets.rows ?? []) {
          if (deleted >= criteria.limit) return deleted;
          const bucket = millis(bucketRow.bucket);
          if (bucket === null) continue;
          const result = await this.#purgeBucket(kind, reason, bucket, cutoff, criteria, criteria.limit - deleted, levels);
          deleted += result.deleted;
          // A drained bucket that no new event can fall into any more is forgotten; one bucket of slack
          // keeps it while writers with slightly late clocks may still add to it.
          if (result.drained && bucket + 2 * this.#bucketMs <= cutoff) await this.#dropBucket(kind, reason, bucket, levels);
        }
      }
      return deleted;
    });
  }

  async acquirePurgeLease(owner: string, now: number, ttlMs: number): Promise<boolean> {
    return this.#operation('acquirePurgeLease', async () => {
      const levels = this.#levels('lease');
      const ttl = Math.max(1, Math.ceil(ttlMs / 1000));
      const expiresAt = new Date(now + ttlMs);
      const mine = (row: CassandraRow | undefined) => textOf(row?.owner) === owner && millis(row?.expires_at) === now + ttlMs;
      const resolveMine = async (): Promise<Resolution> => {
        const row = await this.#readLease(levels.codes.serial);
        return mine(row) ? { outcome: 'applied' } : { outcome: 'not-applied', current: row };
      };
      const taken = await this.#conditional(this.#cql.lease.take, [LEASE_NAME, owner, expiresAt, ttl], levels, resolveMine);
      if (taken.applied) return true;
      const current = taken.current ?? (await this.#readLease(levels.codes.serial));
      if (current === undefined) return false; // released in between; the next run takes it
      const holder = textOf(current.owner);
      if (holder === owner) {
        return (await this.#conditional(this.#cql.lease.renew, [ttl, owner, expiresAt, LEASE_NAME, owner], levels, resolveMine)).applied;
      }
      const heldUntil = millis(current.expires_at);
      if (holder !== null && heldUntil !== null && heldUntil > now) return false;
      const takeOver = [ttl, owner, expiresAt, LEASE_NAME, holder, heldUntil === null ? null : new Date(heldUntil)];
      return (await this.#conditional(this.#cql.lease.takeOver, takeOver, levels, resolveMine)).applied;
    });
  }

  async releasePurgeLease(owner: string): Promise<void> {
    return this.#operation('releasePurgeLease', async () => {
      const levels = this.#levels('lease');
      await this.#conditional(this.#cql.lease.release, [LEASE_NAME, owner], levels, async () => ({ outcome: 'applied' }));
    });
  }

  // ------------------------------------------------------------------ scan & rewrap

  /** Pages through a kind's table in token order; the cursor is the driver's page state. */
  async scan<K extends ProtectedKind>(kind: K, request: ScanRequest): Promise<ScanPage<ScannedRowByKind[K]>> {
    return this.#operation('scan', async () => {
      if (kind !== 'client') this.#assertKind(kind);
      const { cursor, limit } = request;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SCAN_LIMIT)
        throw new InvalidInputError('limit', `must be a whole number from 1 to ${MAX_SCAN_LIMIT}`);
      if (cursor !== null && (typeof cursor !== 'string' || !PAGE_STATE.test(cursor)))
        throw new InvalidInputError('cursor', 'is not a cursor returned by this store');
      const statement = kind === 'client' ? this.#cql.clients.scan : this.#cql.tokens[kind as TokenKind].scan;
      const result = await this.#execute(statement, [], {
        consistency: this.#levels('scan').codes.read,
        fetchSize: limit,
        ...(cursor === null ? {} : { pageState: cursor }),
      });
      const rows = (result.rows ?? [])
        .map((row) => (kind === 'client' ? clientFromRow(row) : tokenFromRow(kind as TokenKind, row)))
        .filter((row) => row !== null) as ScannedRowByKind[K][];
      return { rows, cursor: result.pageState ?? null };
    });
  }

  /**
   * Writes the row under its new key, then deletes the old one. Not atomic: in between both rows exist.
   * That is safe for the rewrap job, which is idempotent: a crash leaves the old row to be found again
   * by the next scan, and a second replaceKey finds the new row present and just deletes the old one.
   * A state change that hits the old row meanwhile is carried over to the new row before the delete
   * (the delete is conditional on the version that was copied).
   */
  async replaceKey<K extends TokenKind>(kind: K, oldKey: string, row: StoredRowByKind[K]): Promise<boolean> {
    return this.#operation('replaceKey', async () => {
      this.#assertKind(kind);
      const levels = this.#levels('replaceKey');
      let old = await this.#readForUpdate(kind, oldKey, levels);
      if (!old) return false;
      const tables = this.#cql.tokens[kind];
      if (row.key === oldKey) {
        // Same lookup key, new sealed value (e.g. encryption key rotation): an in-place update.
        const changeId = randomUUID();
        const outcome = await this.#conditional(tables.replaceValue, [old.ttl, row.value, changeId, oldKey], levels, () =>
          this.#resolveChange(kind, oldKey, changeId, levels, () => true),
        );
        return outcome.applied;
      }
      const copy = withStateOf(kind, row, old.row);
      // Not applied: a row with the new key exists already (an earlier, interrupted rewrap).
      await this.#writeRow(kind, copy, old.ttl, undefined, levels);
      if (kind === 'accessToken') {
        const previous = old.row as StoredAccessToken;
        if (previous.exclusive && previous.state === 'ACTIVE')
          await this.#conditional(this.#cql.slots.takeOver, [old.ttl, row.key, previous.reuseKey, oldKey], levels, async () => ({
            outcome: 'applied',
          }));
      }
      for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
        const removed = await this.#deleteRow(kind, old.row, old.changeId, levels);
        if (removed) return true;
        old = await this.#readForUpdate(kind, oldKey, levels);
        if (!old) return true; // deleted meanwhile (a concurrent rewrap of the same row)
        // The old row changed after it was copied (e.g. it was revoked): carry that over first.
        await this.#copyState(kind, row.key, old, levels);
      }
      throw new ConflictError('the row kept changing while its key was replaced; retry', { backend: BACKEND });
    });
  }

  /** Closes the connection (unless the client was injected). Further calls throw a `CLOSED` error. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    this.#connecting = undefined;
    if (client && this.#ownsClient) await client.shutdown().catch(() => undefined);
  }

  // ------------------------------------------------------------------ counts (issue 13)

  /** An estimate (`exact: false`): see {@link estimateTableRows}. Cassandra keeps no exact count. */
  async count(kind: TokenKind, _now: number): Promise<TokenCount> {
    return this.#operation('scan', async () => {
      this.#assertKind(kind);
      const consistency = this.#levels('scan').codes.read;
      return estimateTableRows((query, params) => this.#execute(query, params, { consistency }), this.keyspace, TOKEN_TABLES[kind]);
    });
  }

  // ================================================================== internals

  #assertOpen(): void {
    if (this.#closed) throw new TokenStoreError(ErrorCode.Closed, 'the store was closed', { backend: BACKEND });
  }

  #assertKind(kind: unknown): asserts kind is TokenKind {
    if (!isTokenKind(kind)) throw new InvalidInputError('kind', `must be one of ${TOKEN_KINDS.join(', ')}`);
  }

  #levels(operation: StoreOperation): OperationConsistency {
    return this.#options.consistency[operation];
  }

  async #operation<T>(name: string, body: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    try {
      return await body();
    } catch (error) {
      throw toStoreError(error, name);
    }
  }

  #ready(): Promise<CassandraClient> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#open().then(
      (client) => {
        this.#client = client;
        return client;
      },
      (error: unknown) => {
        // Not cached: the next call tries again (Cassandra may be back by then).
        this.#connecting = undefined;
        throw toStoreError(error, 'connect');
      },
    );
    return this.#connecting;
  }

  async #open(): Promise<CassandraClient> {
    const client = this.#options.client ?? (await createDriverClient(this.#options.driver!));
    try {
      await client.connect?.();
      if (this.#options.createSchema) await applySchema(client, this.#options);
      return client;
    } catch (error) {
      if (this.#ownsClient) await client.shutdown().catch(() => undefined);
      throw error;
    }
  }

  async #execute(query: string, params: unknown[], options: CassandraExecuteOptions): Promise<CassandraResult> {
    const client = this.#client ?? (await this.#ready());
    return client.execute(query, params, { prepare: true, ...options });
  }

  #conditional(
    query: string,
    params: unknown[],
    levels: OperationConsistency,
    resolve: () => Promise<Resolution>,
  ): Promise<ConditionalResult> {
    return executeConditional((q, p, o) => this.#execute(q, p, o), {
      query,
      params,
      commit: levels.codes.commit,
      serial: levels.codes.serial,
      resolve,
    });
  }

  /**
   * Reads a row with its change id and remaining TTL. A row missing at the configured read level
   * (which may be ONE) is looked for again at serial consistency before the store says it is not there,
   * unless `confirmMissing` is false (the caller loses nothing if a lagging replica hid the row).
   */
  async #readForUpdate<K extends TokenKind>(
    kind: K,
    key: string,
    levels: OperationConsistency,
    confirmMissing = true,
  ): Promise<RowForUpdate<K> | null> {
    const statement = this.#cql.tokens[kind].selectForUpdate;
    let raw = (await this.#execute(statement, [key], { consistency: levels.codes.read })).rows?.[0];
    if (confirmMissing && !tokenFromRow(kind, raw) && !SERIAL_LEVELS.has(levels.read))
      raw = (await this.#execute(statement, [key], { consistency: levels.codes.serial })).rows?.[0];
    const row = tokenFromRow(kind, raw);
    if (!row || !raw) return null;
    return { row, ttl: remainingTtl(raw.row_ttl), changeId: uuidText(raw.change_id) };
  }

  /** Resolution of an unknown outcome of a change that wrote `changeId`. */
  async #resolveChange<K extends TokenKind>(
    kind: K,
    key: string,
    changeId: string,
    levels: OperationConsistency,
    conditionStillHolds: (row: StoredRowByKind[K]) => boolean,
  ): Promise<Resolution> {
    const raw = (await this.#execute(this.#cql.tokens[kind].selectForUpdate, [key], { consistency: levels.codes.serial })).rows?.[0];
    const row = tokenFromRow(kind, raw);
    if (!row) return { outcome: 'not-applied' };
    if (uuidText(raw?.change_id) === changeId) return { outcome: 'applied' };
    return conditionStillHolds(row) ? { outcome: 'retry' } : { outcome: 'not-applied', current: raw };
  }

  /**
   * Inserts a token row: lookup and index entries first (so the row is reachable from them as soon as
   * it exists), then the row with INSERT ... IF NOT EXISTS, then, for an exclusive access token, the
   * reuse slot.
   */
  async #insertRow<K extends TokenKind>(
    kind: K,
    row: StoredRowByKind[K],
    levels: OperationConsistency,
  ): Promise<{ result: InsertResult; changeId: string }> {
    const ttl = rowTtl(row.expiresAt, row.issuedAt, this.#ttl);
    const changeId = randomUUID();
    const written = await this.#writeRow(kind, row, ttl, row.issuedAt, levels, changeId);
    if (!written.applied) {
      await this.#restoreLookupsOf(kind, row, levels).catch(() => undefined);
      throw new ConflictError(`a row of ${kind} with this key already exists`, { backend: BACKEND });
    }
    const access = kind === 'accessToken' ? (row as StoredAccessToken) : undefined;
    if (access?.exclusive && access.state === 'ACTIVE')
      return { result: await this.#claimReuseSlot(access, ttl, changeId, levels), changeId };
    return { result: { inserted: true }, changeId };
  }

  /** Side entries, then the row (conditional). `now` undefined: entries take their TTL from the row's. */
  async #writeRow<K extends TokenKind>(
    kind: K,
    row: StoredRowByKind[K],
    ttl: number,
    now: number | undefined,
    levels: OperationConsistency,
    changeId: string = randomUUID(),
  ): Promise<ConditionalResult> {
    await this.#writeSideEntries(kind, row, ttl, now, levels);
    const tables = this.#cql.tokens[kind];
    return this.#conditional(tables.insert, [...tokenParams(kind, row), changeId, ttl], levels, async () => {
      const raw = (await this.#execute(tables.selectForUpdate, [row.key], { consistency: levels.codes.serial })).rows?.[0];
      if (!tokenFromRow(kind, raw)) return { outcome: 'retry' };
      return uuidText(raw?.change_id) === changeId ? { outcome: 'applied' } : { outcome: 'not-applied', current: raw };
    });
  }

  async #writeSideEntries(kind: TokenKind, row: StoredTokenBase, ttl: number, now: number | undefined, levels: OperationConsistency) {
    const writes: Array<Promise<unknown>> = [this.#writeLookups(kind, row, ttl, levels)];
    if (row.expiresAt !== null)
      writes.push(this.#writeIndexEntry(kind, 'expiry', row.expiresAt, row.key, entryTtl(ttl, this.#ttl), now, levels));
    if (row.state !== 'ACTIVE') {
      const entry = now === undefined ? entryTtl(ttl, this.#ttl) : inactiveEntryTtl(row.stateChangedAt, now, this.#ttl);
      writes.push(this.#writeIndexEntry(kind, 'inactive', row.stateChangedAt, row.key, entry, now, levels));
    }
    await Promise.all(writes);
  }

  /** The row's entries in tokens_by_user, tokens_by_consumer and tokens_by_grant, with `ttl`. */
  async #writeLookups(kind: TokenKind, row: StoredTokenBase, ttl: number, levels: OperationConsistency): Promise<void> {
    const lookups = this.#cql.lookups;
    // Always the lookup level, never the user's write level: a bulk revocation must find this entry.
    const plain = { consistency: levels.codes.lookup };
    await Promise.all([
      this.#execute(lookups.byUser.insert, [row.userId, kind, row.key, row.consumerKey, row.userType, ttl], plain),
      this.#execute(lookups.byConsumer.insert, [row.consumerKey, kind, row.key, ttl], plain),
      this.#execute(lookups.byGrant.insert, [row.grantId, kind, row.key, ttl], plain),
    ]);
  }

  #writeInactiveEntry(kind: TokenKind, key: string, at: number, now: number, levels: OperationConsistency): Promise<void> {
    return this.#writeIndexEntry(kind, 'inactive', at, key, inactiveEntryTtl(at, now, this.#ttl), now, levels);
  }

  async #writeIndexEntry(
    kind: TokenKind,
    reason: PurgeReason,
    eventAt: number,
    key: string,
    ttl: number,
    now: number | undefined,
    levels: OperationConsistency,
  ): Promise<void> {
    const cql = this.#cql.purge;
    const bucket = bucketOf(eventAt, this.#bucketMs);
    const plain = { consistency: levels.codes.write };
    const writes: Array<Promise<unknown>> = [
      this.#execute(cql.insertEntry, [kind, reason, new Date(bucket), new Date(eventAt), key, ttl], plain),
    ];
    if (this.#registry.needsRegistration(kind, reason, bucket)) {
      const retention = reason === 'expiry' ? this.#ttl.expiredSeconds : this.#ttl.inactiveSeconds;
      const registrationTtl =
        now === undefined ? (ttl === 0 ? 0 : ttl + this.#bucketMs / 1000) : bucketTtl(bucket + this.#bucketMs, now, retention, this.#ttl);
      writes.push(
        this.#execute(cql.registerBucket, [kind, reason, new Date(bucket), registrationTtl], plain).catch((error: unknown) => {
          this.#registry.forget(kind, reason, bucket);
          throw error;
        }),
      );
    }
    await Promise.all(writes);
  }

  /**
   * A duplicate insert wrote lookup entries for a key that belongs to another row: drop the ones in
   * partitions the existing row does not use, and rewrite the existing row's own entries where ours
   * overwrote them (same partition), with its values and remaining TTL.
   */
  async #restoreLookupsOf(kind: TokenKind, ours: StoredTokenBase, levels: OperationConsistency): Promise<void> {
    const existing = await this.#readForUpdate(kind, ours.key, levels);
    if (!existing) return;
    const row = existing.row;
    const lookups = this.#cql.lookups;
    const plain = { consistency: levels.codes.lookup };
    await Promise.all([
      row.userId === ours.userId
        ? this.#execute(lookups.byUser.insert, [row.userId, kind, row.key, row.consumerKey, row.userType, existing.ttl], plain)
        : this.#execute(lookups.byUser.remove, [ours.userId, kind, ours.key], plain),
      row.consumerKey === ours.consumerKey
        ? this.#execute(lookups.byConsumer.insert, [row.consumerKey, kind, row.key, existing.ttl], plain)
        : this.#execute(lookups.byConsumer.remove, [ours.consumerKey, kind, ours.key], plain),
      row.grantId === ours.grantId
        ? this.#execute(lookups.byGrant.insert, [row.grantId, kind, row.key, existing.ttl], plain)
        : this.#execute(lookups.byGrant.remove, [ours.grantId, kind, ours.key], plain),
    ]);
  }

  /**
   * Claims the reuse slot for a freshly inserted exclusive token: INSERT ... IF NOT EXISTS; if the slot
   * is held by a token that is no longer ACTIVE (or is gone), takes it over with UPDATE ... IF
   * token_key = <holder>. If an ACTIVE exclusive token holds it, the new row is removed again and that
   * token is returned.
   */
  async #claimReuseSlot(row: StoredAccessToken, ttl: number, changeId: string, levels: OperationConsistency): Promise<InsertResult> {
    const slots = this.#cql.slots;
    // undefined: the slot looked free (claim it); otherwise the holder to take the slot over from.
    let holder: string | null | undefined;
    for (let attempt = 0; attempt < SLOT_ATTEMPTS; attempt++) {
      const expected = holder;
      const outcome =
        expected === undefined
          ? await this.#conditional(slots.claim, [row.reuseKey, row.key, ttl], levels, () =>
              this.#resolveSlot(row.reuseKey, row.key, null, levels),
            )
          : await this.#conditional(slots.takeOver, [ttl, row.key, row.reuseKey, expected], levels, () =>
              this.#resolveSlot(row.reuseKey, row.key, expected, levels),
            );
      if (outcome.applied) return { inserted: true };
      const current = outcome.current ?? (await this.#readSlot(row.reuseKey, levels.codes.serial));
      const currentHolder = textOf(current?.token_key);
      if (currentHolder === row.key) return { inserted: true };
      if (currentHolder !== null) {
        const raw = (await this.#execute(this.#cql.tokens.accessToken.select, [currentHolder], { consistency: levels.codes.serial }))
          .rows?.[0];
        const active = tokenFromRow('accessToken', raw);
        if (active && active.state === 'ACTIVE' && active.exclusive && active.reuseKey === row.reuseKey) {
          await this.#deleteRow('accessToken', row, changeId, levels, false);
          return { inserted: false, active };
        }
      }
      holder = currentHolder;
    }
    await this.#deleteRow('accessToken', row, changeId, levels, false);
    throw new ConflictError('could not settle on one active token for this reuse key; retry', { backend: BACKEND });
  }

  async #resolveSlot(reuseKey: string, mine: string, previous: string | null, levels: OperationConsistency): Promise<Resolution> {
    const current = await this.#readSlot(reuseKey, levels.codes.serial);
    const holder = textOf(current?.token_key);
    if (holder === mine) return { outcome: 'applied' };
    if (holder === previous) return { outcome: 'retry' };
    return { outcome: 'not-applied', current: current ?? { token_key: null } };
  }

  async #readSlot(reuseKey: string, consistency: number): Promise<CassandraRow | undefined> {
    return (await this.#execute(this.#cql.slots.select, [reuseKey], { consistency })).rows?.[0];
  }

  /** Releases a reuse slot held by `row` (best effort: a stale slot is taken over by the next claim). */
  async #releaseSlot(row: StoredAccessToken, levels: OperationConsistency): Promise<void> {
    await this.#conditional(this.#cql.slots.release, [row.reuseKey, row.key], levels, async () => ({ outcome: 'applied' })).catch(
      () => undefined,
    );
  }

  /** The conditional state change shared by compareAndSetState and revocations. */
  async #changeState<K extends TokenKind>(
    kind: K,
    current: RowForUpdate<K>,
    from: StoredTokenBase['state'],
    to: StoredTokenBase['state'],
    at: number,
    levels: OperationConsistency,
  ): Promise<boolean> {
    const key = current.row.key;
    // The index entry goes first: if the change is applied it is already there for the purge.
    if (to !== 'ACTIVE') await this.#writeInactiveEntry(kind, key, at, at, levels);
    const ttl = to === 'ACTIVE' ? current.ttl : retainedTtl(current.ttl, this.#ttl);
    const changeId = randomUUID();
    const outcome = await this.#conditional(this.#cql.tokens[kind].changeState, [ttl, to, new Date(at), changeId, key, from], levels, () =>
      this.#resolveChange(kind, key, changeId, levels, (row) => row.state === from),
    );
    if (!outcome.applied) return false;
    if (ttl !== current.ttl) await this.#retain(kind, key, changeId, current.ttl, ttl, levels);
    if (kind === 'accessToken' && from === 'ACTIVE' && to !== 'ACTIVE') {
      const access = current.row as StoredAccessToken;
      if (access.exclusive) await this.#releaseSlot(access, levels);
    }
    return true;
  }

  /**
   * After a change away from ACTIVE applied as `changeId`, gives the whole row and its lookup entries
   * the longer `ttl` it now needs ({@link retainedTtl}): TTLs are per cell, so the changed cells alone
   * would not keep the row. Only the winner of the change pays for it (racing losers add no Paxos
   * round). The row is read again at serial consistency and rewritten as it is, change_id included,
   * `IF change_id = <changeId>`: no stale value is written back, and a row changed since is left to
   * its new writer. Best effort: the change is applied, and failing now would make the caller retry
   * a change that already happened; the row then keeps its shorter TTL (purge still keeps it).
   */
  async #retain(
    kind: TokenKind,
    key: string,
    changeId: string,
    previousTtl: number,
    ttl: number,
    levels: OperationConsistency,
  ): Promise<void> {
    const tables = this.#cql.tokens[kind];
    const readSerial = async () => (await this.#execute(tables.selectForUpdate, [key], { consistency: levels.codes.serial })).rows?.[0];
    try {
      const raw = await readSerial();
      const row = tokenFromRow(kind, raw);
      if (!row || uuidText(raw?.change_id) !== changeId) return;
      await this.#writeLookups(kind, row, ttl, levels);
      await this.#conditional(tables.retain, [ttl, ...tokenParams(kind, row).slice(1), changeId, key, changeId], levels, async () => {
        const now = await readSerial();
        if (!tokenFromRow(kind, now) || uuidText(now?.change_id) !== changeId) return { outcome: 'not-applied', current: now };
        // Same content and change_id either way: the TTL tells whether the rewrite happened.
        const kept = remainingTtl(now?.row_ttl);
        return (ttl === 0 ? kept === 0 : kept > previousTtl) ? { outcome: 'applied' } : { outcome: 'retry' };
      });
    } catch {
      // See above: the state change stands; only its longer retention is lost.
    }
  }

  /** `vanished`: the entry's row is gone (purged, or moved to a new key by a rewrap). */
  async #revokeOne(
    entry: LookupEntry,
    filter: RevocationFilter,
    at: number,
    levels: OperationConsistency,
  ): Promise<'revoked' | 'unchanged' | 'vanished'> {
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const current = await this.#readForUpdate(entry.kind, entry.key, levels);
      if (!current) return 'vanished';
      if (!matchesRevocationFilter(current.row, filter)) return 'unchanged';
      const state = current.row.state;
      if (!isRevocable(entry.kind, state)) return 'unchanged';
      if (await this.#changeState(entry.kind, current, state, 'REVOKED', at, levels)) return 'revoked';
      // The state moved under us (e.g. a concurrent rotation made it INACTIVE): look again.
    }
    return 'unchanged';
  }

  /** The token keys a bulk revocation touches, from the lookup partition that matches the filter. */
  async #readLookup(filter: RevocationFilter, levels: OperationConsistency): Promise<LookupEntry[]> {
    const lookups = this.#cql.lookups;
    let statement: string;
    let partition: string;
    let accept: (row: CassandraRow) => boolean = () => true;
    if ('grantId' in filter) {
      statement = lookups.byGrant.select;
      partition = filter.grantId;
    } else if ('userId' in filter) {
      statement = lookups.byUser.select;
      partition = filter.userId;
      const { userType, consumerKey } = filter;
      accept = (row) =>
        (userType === undefined || row.user_type === userType) && (consumerKey === undefined || row.consumer_key === consumerKey);
    } else if ('consumerKey' in filter) {
      statement = lookups.byConsumer.select;
      partition = filter.consumerKey;
    } else {
      throw new InvalidInputError('filter', 'must name a userId, a consumerKey or a grantId');
    }
    const entries: LookupEntry[] = [];
    let pageState: string | undefined;
    do {
      const result = await this.#execute(statement, [partition], {
        consistency: levels.codes.lookup,
        fetchSize: LOOKUP_PAGE_SIZE,
        ...(pageState === undefined ? {} : { pageState }),
      });
      for (const row of result.rows ?? []) {
        const kind = row.kind;
        const key = textOf(row.token_key);
        if (isTokenKind(kind) && key !== null && accept(row)) entries.push({ kind, key });
      }
      pageState = result.pageState ?? undefined;
    } while (pageState !== undefined);
    return entries;
  }

  /**
   * Deletes a row if it is still the version that was read (`IF change_id = ?`), then its lookup and
   * index entries and the reuse slot it holds. `true` if the row was deleted by this call.
   */
  async #deleteRow(
    kind: TokenKind,
    row: StoredTokenBase,
    changeId: string,
    levels: OperationConsistency,
    holdsSlot = true,
  ): Promise<boolean> {
    const tables = this.#cql.tokens[kind];
    const outcome = await this.#conditional(tables.deleteIfUnchanged, [row.key, changeId], levels, async () => {
      const raw = (await this.#execute(tables.selectForUpdate, [row.key], { consistency: levels.codes.serial })).rows?.[0];
      if (!tokenFromRow(kind, raw)) return { outcome: 'applied' };
      return uuidText(raw?.change_id) === changeId ? { outcome: 'retry' } : { outcome: 'not-applied', current: raw };
    });
    if (!outcome.applied) return false;
    await this.#deleteSideEntries(kind, row, levels, holdsSlot);
    return true;
  }

  async #deleteSideEntries(kind: TokenKind, row: StoredTokenBase, levels: OperationConsistency, holdsSlot: boolean): Promise<void> {
    const lookups = this.#cql.lookups;
    const purge = this.#cql.purge;
    const plain = { consistency: levels.codes.write };
    const work: Array<Promise<unknown>> = [
      this.#execute(lookups.byUser.remove, [row.userId, kind, row.key], plain),
      this.#execute(lookups.byConsumer.remove, [row.consumerKey, kind, row.key], plain),
      this.#execute(lookups.byGrant.remove, [row.grantId, kind, row.key], plain),
    ];
    const entry = (reason: PurgeReason, at: number) =>
      this.#execute(purge.removeEntry, [kind, reason, new Date(bucketOf(at, this.#bucketMs)), new Date(at), row.key], plain);
    if (row.expiresAt !== null) work.push(entry('expiry', row.expiresAt));
    if (row.state !== 'ACTIVE') work.push(entry('inactive', row.stateChangedAt));
    if (kind === 'accessToken' && holdsSlot) {
      const access = row as StoredAccessToken;
      if (access.exclusive) work.push(this.#releaseSlot(access, levels));
    }
    await Promise.all(work);
  }

  /** Carries the mutable fields of `source` (the old row) over to the row keyed `key` (replaceKey). */
  async #copyState<K extends TokenKind>(kind: K, key: string, source: RowForUpdate<K>, levels: OperationConsistency): Promise<void> {
    const row = source.row;
    const changeId = randomUUID();
    const extra =
      kind === 'refreshToken'
        ? [
            (row as StoredRefreshToken).rotatedAt === null ? null : new Date((row as StoredRefreshToken).rotatedAt!),
            (row as StoredRefreshToken).reuseCount,
          ]
        : [];
    if (row.state !== 'ACTIVE')
      await this.#writeIndexEntry(kind, 'inactive', row.stateChangedAt, key, entryTtl(source.ttl, this.#ttl), undefined, levels);
    await this.#conditional(
      this.#cql.tokens[kind].copyState,
      [source.ttl, row.state, new Date(row.stateChangedAt), ...extra, changeId, key],
      levels,
      () => this.#resolveChange(kind, key, changeId, levels, () => true),
    );
  }

  async #purgeBucket(
    kind: TokenKind,
    reason: PurgeReason,
    bucket: number,
    cutoff: number,
    criteria: PurgeCriteria,
    budget: number,
    levels: OperationConsistency,
  ): Promise<{ deleted: number; drained: boolean }> {
    const cql = this.#cql.purge;
    const partition = [kind, reason, new Date(bucket)];
    const pageSize = Math.min(1000, Math.max(budget, 100));
    let deleted = 0;
    for (;;) {
      const page = await this.#execute(cql.selectDue, [...partition, new Date(cutoff), pageSize], { consistency: levels.codes.read });
      const entries = (page.rows ?? []).flatMap((row) => {
        const at = millis(row.event_at);
        const key = textOf(row.token_key);
        return at === null || key === null ? [] : [{ at, key }];
      });
      if (entries.length === 0) return { deleted, drained: true };
      let processed = 0;
      while (processed < entries.length && deleted < budget) {
        // Never more in flight than rows left in the budget, so the limit is never exceeded.
        const chunk = entries.slice(processed, processed + Math.min(this.#options.concurrency, budget - deleted));
        const removed = await Promise.all(chunk.map((entry) => this.#purgeRow(kind, reason, entry.key, criteria, levels)));
        deleted += removed.filter(Boolean).length;
        processed += chunk.length;
      }
      const last = entries[processed - 1]!;
      await this.#execute(cql.removeUpTo, [...partition, new Date(last.at), last.key], { consistency: levels.codes.write });
      if (deleted >= budget) return { deleted, drained: processed === entries.length && entries.length < pageSize };
      if (entries.length < pageSize) return { deleted, drained: true };
    }
  }

  /** Deletes the row if it is purgeable per `criteria` (the row decides, not the index entry). */
  async #purgeRow(kind: TokenKind, reason: PurgeReason, key: string, criteria: PurgeCriteria, levels: OperationConsistency) {
    // A row behind an expiry entry carries a TTL: if a lagging replica hides it, TTL still removes it,
    // so the (Paxos) read that would confirm its absence is not worth its cost there.
    const current = await this.#readForUpdate(kind, key, levels, reason === 'inactive');
    if (!current) return false;
    const row = current.row;
    if (!isPurgeable(row, criteria)) return false;
    return this.#deleteRow(kind, row, current.changeId, levels);
  }

  async #dropBucket(kind: TokenKind, reason: PurgeReason, bucket: number, levels: OperationConsistency): Promise<void> {
    const cql = this.#cql.purge;
    const params = [kind, reason, new Date(bucket)];
    await this.#execute(cql.removeBucket, params, { consistency: levels.codes.write });
    await this.#execute(cql.unregisterBucket, params, { consistency: levels.codes.write });
    this.#registry.forget(kind, reason, bucket);
  }

  async #readClient(consumerKey: string, consistency: number): Promise<StoredClient | null> {
    const result = await this.#execute(this.#cql.clients.select, [consumerKey], { consistency });
    return clientFromRow(result.rows?.[0]);
  }

  async #readLease(consistency: number): Promise<CassandraRow | undefined> {
    const row = (await this.#execute(this.#cql.lease.select, [LEASE_NAME], { consistency })).rows?.[0];
    return row && (row.owner !== null || row.expires_at !== null) ? row : undefined;
  }
}

/** `row` (new key and value) with the mutable fields of `current` (the old row as it is now). */
function withStateOf<K extends TokenKind>(kind: K, row: StoredRowByKind[K], current: StoredRowByKind[K]): StoredRowByKind[K] {
  const merged = { ...row, state: current.state, stateChangedAt: current.stateChangedAt };
  if (kind === 'refreshToken') {
    const old = current as StoredRefreshToken;
    return { ...(merged as StoredRefreshToken), rotatedAt: old.rotatedAt, reuseCount: old.reuseCount } as StoredRowByKind[K];
  }
  return merged;
}

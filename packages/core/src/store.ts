import type { ArtifactStore } from './artifacts/artifact-store.js';
import { MisconfigurationError } from './errors.js';
import {
  type ProtectedKind,
  type StoredAccessToken,
  type StoredAuthorizationCode,
  type StoredClient,
  type StoredRefreshToken,
  type StoredRowByKind,
  type TokenKind,
  TokenState,
  type UserType,
} from './types.js';

/** What a backend can and cannot do; the service and the conformance suite read these. */
export interface StoreCapabilities {
  /**
   * Several processes share the data (SQL, Cassandra). The purger then takes a lease in the store so
   * that one node purges at a time.
   */
  readonly shared: boolean;
  /**
   * Rows disappear on their own once expired + retention (lru-cache TTL, Cassandra TTL), measured in
   * real time. Purge still runs, but may find nothing left to do.
   */
  readonly nativeExpiry: boolean;
  /** Smallest time difference the store keeps exactly, in milliseconds (1 for all current backends). */
  readonly timeGranularityMs: number;
}

/** A conditional state change: applies only when the row is currently in `from`. */
export interface StateChange {
  from: TokenState;
  to: TokenState;
  /** Epoch ms; becomes the row's `stateChangedAt`. */
  at: number;
}

export type InsertResult =
  | { inserted: true }
  /** Only for exclusive access tokens: an ACTIVE exclusive token with the same reuse key exists; nothing was written. */
  | { inserted: false; active: StoredAccessToken };

/**
 * Atomic refresh-token rotation: applies only if the refresh token row is in `expected` (state and
 * reuse count). On success the row becomes INACTIVE (`rotatedAt` and `stateChangedAt` set to `at`
 * on the first rotation, `reuseCount` incremented on later grace-window reuses) and both successors
 * are inserted, all or nothing as far as the backend allows.
 */
export interface RefreshRotation {
  key: string;
  expected: { state: 'ACTIVE' | 'INACTIVE'; reuseCount: number };
  at: number;
  successor: { refreshToken: StoredRefreshToken; accessToken: StoredAccessToken };
}

/** Which tokens a bulk revocation touches. */
export type RevocationFilter =
  | { userId: string; userType?: UserType; consumerKey?: string }
  | { consumerKey: string }
  | { grantId: string };

export interface RevocationCounts {
  accessToken: number;
  refreshToken: number;
  authorizationCode: number;
}

/**
 * Rows a purge batch may delete (`expiredBefore` = now - retention.expiredSeconds, `inactiveBefore` =
 * now - retention.inactiveSeconds):
 * - an ACTIVE row once it expired at or before `expiredBefore`; never-expiring ACTIVE rows never;
 * - a row no longer ACTIVE once its state changed at or before `inactiveBefore` **and** it expired at or
 *   before `expiredBefore` (or never expires). It is kept until
 *   `max(expiresAt + expiredSeconds, stateChangedAt + inactiveSeconds)`, so a replayed code or a reused
 *   refresh token is still recognised, and still revokes its grant, after it expired.
 * See {@link isPurgeable}.
 */
export interface PurgeCriteria {
  now: number;
  expiredBefore: number;
  inactiveBefore: number;
  /** Upper bound on the rows one call deletes. */
  limit: number;
}

export interface ScanRequest {
  /** Opaque cursor from the previous page; `null` for the first page. */
  cursor: string | null;
  limit: number;
}

export interface ScanPage<Row> {
  rows: Row[];
  /** `null` when the scan is complete. */
  cursor: string | null;
}

export interface ScannedRowByKind extends StoredRowByKind {
  client: StoredClient;
}

/**
 * The persistence primitives every backend implements. Each method is atomic on its backend. A store
 * holds only lookup keys and what the service chose to keep of a value (see `StoredTokenBase`); it
 * never hashes, encrypts or decides policy. All times are passed in by the service (epoch ms), so a
 * store never reads a clock to decide validity.
 *
 * Errors: duplicate keys throw a `ConflictError`; connectivity problems throw
 * `BackendUnavailableError`; every other driver failure is wrapped in a `TokenStoreError` with the
 * driver error as `cause`.
 */
export interface TokenStore {
  /** Backend name used in errors and events: `cache`, `postgres`, `mysql`, `cassandra`, … */
  readonly backend: string;
  readonly capabilities: StoreCapabilities;

  /**
   * Inserts a row of `kind`. Throws `ConflictError` if a row with the same key exists.
   * For an access token with `exclusive: true`, atomically refuses the insert when an ACTIVE exclusive
   * access token with the same `reuseKey` exists, returning that token (at most one such token per
   * reuse key, whatever the concurrency).
   */
  insert<K extends TokenKind>(kind: K, row: StoredRowByKind[K]): Promise<InsertResult>;

  /** The row with this lookup key, in any state, or `null`. */
  get<K extends TokenKind>(kind: K, key: string): Promise<StoredRowByKind[K] | null>;

  /**
   * Optional, for stores that can answer without I/O (the in-memory cache, a read cache on a hit): the
   * row with this key (`null` when the store knows there is none), or `undefined` when it cannot tell
   * synchronously, in which case the caller uses {@link TokenStore.get}. Lets token validation, the
   * hot path, skip promise hops; semantics are exactly those of `get`.
   */
  peek?<K extends TokenKind>(kind: K, key: string): StoredRowByKind[K] | null | undefined;

  /** The ACTIVE exclusive access token for `reuseKey` (expired or not), or `null`. */
  findActiveAccessToken(reuseKey: string): Promise<StoredAccessToken | null>;

  /**
   * Compare-and-set of a row's state: succeeds (returns `true`) only for the one caller that finds the
   * row in `change.from`. Consuming an authorization code is `ACTIVE → INACTIVE` on `authorizationCode`.
   */
  compareAndSetState(kind: TokenKind, key: string, change: StateChange): Promise<boolean>;

  /** See {@link RefreshRotation}. Returns `false`, writing nothing, when another caller won. */
  rotateRefreshToken(rotation: RefreshRotation): Promise<boolean>;

  /**
   * One revocation pass: moves to REVOKED every row matching `filter` that {@link isRevocable} (ACTIVE
   * rows, and INACTIVE refresh tokens and codes, from which a rotation, a grace-window reuse or a
   * redemption could still mint a token), and returns how many it changed.
   *
   * The service repeats passes until one changes nothing (see `TokenService`), so a pass must: see
   * every row committed before it began; and, for a row an unfinished rotation or redemption has
   * already claimed (its decisive conditional write is done, the operation is not complete), either
   * wait for that operation and then change the row, or change the row so that the operation fails.
   * Then a pass that changes nothing proves that no operation in flight can still mint into the set,
   * and every successor written by one that finished is seen by the pass after it.
   */
  revokeTokens(filter: RevocationFilter, at: number): Promise<RevocationCounts>;

  /** Throws `ConflictError` if the consumer key exists. */
  createClient(client: StoredClient): Promise<void>;
  getClient(consumerKey: string): Promise<StoredClient | null>;
  /**
   * Compare-and-set of a client row: replaces it with `client` only if its stored `updatedAt` equals
   * `expectedUpdatedAt` (the value the caller read), atomically. `false`, writing nothing, if the
   * client does not exist or changed meanwhile; the caller then re-reads and re-applies its change, so
   * no writer can restore an older secret, grant list or redirect URIs. Every writer stamps a new
   * `updatedAt` (see {@link nextClientUpdatedAt}), which is what makes a change visible here.
   */
  updateClient(client: StoredClient, expectedUpdatedAt: number): Promise<boolean>;
  /** `false` if it did not exist. Tokens are not touched (the service revokes them first when asked). */
  deleteClient(consumerKey: string): Promise<boolean>;

  /** Deletes at most `criteria.limit` purgeable rows of `kind`; returns how many it deleted. */
  purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number>;

  /**
   * Takes or renews the purge lease for `owner` until `now + ttlMs`. `true` if `owner` holds it now.
   * Stores that are not shared may always return `true`.
   */
  acquirePurgeLease(owner: string, now: number, ttlMs: number): Promise<boolean>;
  releasePurgeLease(owner: string): Promise<void>;

  /** Pages through every row of `kind` in a stable order (used by the rewrap job and inspection). */
  scan<K extends ProtectedKind>(kind: K, request: ScanRequest): Promise<ScanPage<ScannedRowByKind[K]>>;

  /**
   * Atomically moves the row keyed `oldKey` to `row.key` with `row.value`. Only the key and the value
   * change: state, times and every other field keep their *current* stored values, so a revocation
   * that lands after the caller read the row is never undone. `false`, writing nothing, if `oldKey`
   * no longer exists. If a row keyed `row.key` already exists the old row is simply deleted (the
   * rewrap already happened).
   */
  replaceKey<K extends TokenKind>(kind: K, oldKey: string, row: StoredRowByKind[K]): Promise<boolean>;

  /** Releases connections and timers. Further calls throw a `Closed` error. */
  close(): Promise<void>;

  // ---------------------------------------------------------------- counts (issue 13)

  /**
   * Optional: the rows of `kind` by stored state, without reading them (SQL: indexes; memory: its
   * tables), or an estimate labelled `exact: false` where counting is itself a scan (Cassandra).
   * `now` decides which ACTIVE rows are past their expiry. Callers without it scan.
   */
  count?(kind: TokenKind, now: number): Promise<TokenCount>;

  // ---------------------------------------------------------------- artifacts (issue 14)

  /**
   * The store's artifact primitives (provider sessions, grants, interactions, … ; see
   * {@link ArtifactStore}), purged by the same purger as tokens. Optional while backends adopt it;
   * `ArtifactService` refuses a store without it at construction.
   */
  readonly artifacts?: ArtifactStore;

  // ---------------------------------------------------------------- retention (issue 10)

  /**
   * Optional, for stores that fix a row's lifetime when they write it (memory: LRU TTLs; Cassandra:
   * `USING TTL`): takes the service's {@link Retention}. Every service calls it once, when it is
   * constructed, before its first write; until then {@link DEFAULT_RETENTION} applies. Rows written
   * afterwards live at least as long as the longest retention handed over (see {@link mergeRetention});
   * rows written before keep the lifetime they were written with. Stores that purge by the cut-offs of
   * {@link PurgeCriteria} alone (SQL) do not need it.
   */
  useRetention?(retention: Retention): void;
}

/**
 * How long rows are kept before purge may delete them: an ACTIVE row until `expiresAt + expiredSeconds`
 * (never, when it never expires); a row no longer ACTIVE until `max(expiresAt + expiredSeconds,
 * stateChangedAt + inactiveSeconds)` (the second term alone when it never expires), so replays and reuse
 * are recognised after expiry. See {@link isPurgeable}. The service owns it (its `retention` option)
 * and hands it to its store once ({@link TokenStore.useRetention}); no backend option repeats it.
 */
export interface Retention {
  /** Seconds a revoked or inactive row is kept after its state changed (reuse/replay detection, audit). Default 86400. */
  inactiveSeconds: number;
  /** Seconds a row is kept after it expired, whatever its state. Default 0. */
  expiredSeconds: number;
}

/** The retention a store applies until a service hands it one. */
export const DEFAULT_RETENTION: Readonly<Retention> = Object.freeze({ inactiveSeconds: 86400, expiredSeconds: 0 });

/**
 * For a store's {@link TokenStore.useRetention}: the retention to keep rows for once `next` is handed
 * over, when `current` was before (`null`: never): the longer of the two in each window, so a store
 * shared by several services keeps every row as long as the most demanding of them needs (each still
 * purges by its own cut-offs). Throws `MISCONFIGURATION` for a malformed retention.
 */
export function mergeRetention(current: Readonly<Retention> | null, next: Retention, backend: string): Readonly<Retention> {
  if (
    typeof next !== 'object' ||
    next === null ||
    !Number.isSafeInteger(next.inactiveSeconds) ||
    !Number.isSafeInteger(next.expiredSeconds) ||
    next.inactiveSeconds < 0 ||
    next.expiredSeconds < 0
  )
    throw new MisconfigurationError('retention', 'must hold inactiveSeconds and expiredSeconds as whole numbers ≥ 0', { backend });
  return Object.freeze({
    inactiveSeconds: Math.max(current?.inactiveSeconds ?? 0, next.inactiveSeconds),
    expiredSeconds: Math.max(current?.expiredSeconds ?? 0, next.expiredSeconds),
  });
}

/** What {@link TokenStore.count} answers. */
export interface TokenCount {
  /** `true`: counted now; `false`: an estimate of `total` only (the breakdown is then `null`). */
  exact: boolean;
  total: number;
  /** Rows by *stored* state. */
  byState: Record<TokenState, number> | null;
  /** ACTIVE rows whose expiry has passed at `now` (included in `byState.ACTIVE`). */
  activeExpired: number | null;
  /** Rows issued with a negative validity (no expiry). */
  neverExpires: number | null;
}

export type { StoredAccessToken, StoredAuthorizationCode, StoredClient, StoredRefreshToken };

/**
 * True when a bulk revocation with `filter` concerns `row` (whatever its state). The one definition of
 * what a {@link RevocationFilter} selects, for backends that match rows in memory.
 */
export function matchesRevocationFilter(
  row: Pick<StoredAccessToken, 'grantId' | 'userId' | 'userType' | 'consumerKey'>,
  filter: RevocationFilter,
): boolean {
  if ('grantId' in filter) return row.grantId === filter.grantId;
  if ('userId' in filter)
    return (
      row.userId === filter.userId &&
      (filter.userType === undefined || row.userType === filter.userType) &&
      (filter.consumerKey === undefined || row.consumerKey === filter.consumerKey)
    );
  return row.consumerKey === filter.consumerKey;
}

/**
 * True when a revocation moves a row of `kind` in `state` to REVOKED (the one definition every backend
 * uses): ACTIVE rows, and the INACTIVE rows that can still lead to a token — a rotated refresh token
 * (a grace-window reuse) and a consumed code (its redemption may not have written its tokens yet).
 */
export function isRevocable(kind: TokenKind, state: TokenState): boolean {
  return state === TokenState.Active || (state === TokenState.Inactive && kind !== 'accessToken');
}

/** True when `row` has an expiry and it has passed at `now` (an expiry of `null` never passes). */
export function isExpired(row: { expiresAt: number | null }, now: number): boolean {
  return row.expiresAt !== null && row.expiresAt <= now;
}

/** The state a caller sees at `now`: `EXPIRED` for an ACTIVE row past its expiry, else the stored state. */
export function effectiveState(row: { state: TokenState; expiresAt: number | null }, now: number): TokenState {
  return row.state === TokenState.Active && isExpired(row, now) ? TokenState.Expired : row.state;
}

/** True when a purge with `criteria` may delete `row` (the one definition of {@link PurgeCriteria}). */
export function isPurgeable(row: Pick<StoredAccessToken, 'expiresAt' | 'state' | 'stateChangedAt'>, criteria: PurgeCriteria): boolean {
  const expired = row.expiresAt !== null && row.expiresAt <= criteria.expiredBefore;
  if (row.state === TokenState.Active) return expired;
  // Both windows must have passed: the expired one only applies to a row that expires.
  return row.stateChangedAt <= criteria.inactiveBefore && (row.expiresAt === null || expired);
}

/**
 * The `updatedAt` a writer stamps on a client it read as `previous`: `now`, but always later than
 * `previous.updatedAt`, so two updates within one millisecond (or under a clock that went back) still
 * differ and {@link TokenStore.updateClient}'s compare-and-set tells them apart.
 */
export function nextClientUpdatedAt(previous: Pick<StoredClient, 'updatedAt'>, now: number): number {
  return Math.max(now, previous.updatedAt + 1);
}

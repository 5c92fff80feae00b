import {
  type ArtifactStore,
  ConflictError,
  checkProtectedKind,
  checkPurgeCriteria,
  checkScanRequest,
  checkTokenKind,
  type InsertResult,
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
  StoreGate,
  TOKEN_STATES,
  type TokenCount,
  type TokenKind,
  type TokenState,
  type TokenStore,
} from '@tokenstore/core';
import type { SqlDialect } from './dialects/dialect.js';
import type { SqlDriver } from './dialects/driver.js';
import { type MigrationResult, MigrationRunner } from './migrations/runner.js';
import { type ResolvedSqlStoreOptions, resolveSqlStoreOptions, type SqlStoreOptions } from './options.js';
import { type RawRow, RowCodec, toNumber } from './schema/row-codec.js';
import { ACTIVE_REUSE_INDEX, PURGE_LEASE_NAME } from './schema/tables.js';
import { SqlArtifacts } from './sql-artifacts.js';
import { SqlExecutor } from './sql-executor.js';
import type { SqlStatement } from './statements/sql-statement.js';
import { type PurgeArguments, StatementCatalog, type UserRevocationShape } from './statements/statement-catalog.js';

/** How often an exclusive insert retries when the token holding the reuse slot vanished meanwhile. */
const EXCLUSIVE_INSERT_ATTEMPTS = 8;
/**
 * Refresh tokens first, then access tokens: the order rotation locks them in, so a revocation and
 * a rotation of one grant wait for each other instead of deadlocking.
 */
const REVOCATION_ORDER: readonly TokenKind[] = ['refreshToken', 'accessToken', 'authorizationCode'];

/**
 * The relational {@link TokenStore}: one implementation for every SQL database, the differences
 * isolated in a {@link SqlDialect} and the connection pool behind a {@link SqlDriver}.
 *
 * Atomicity: state changes and code consumption are conditional `UPDATE … WHERE token_key = ? AND
 * state = ?` checked by row count; refresh rotation is that update plus two inserts in one
 * transaction; one ACTIVE exclusive token per reuse key is a unique index over active rows only,
 * whose violation resolves to the token that holds the slot. Deadlocks and serialization failures
 * are retried a bounded number of times; connection failures surface as `BACKEND_UNAVAILABLE`.
 */
export class SqlStore implements TokenStore {
  readonly backend: string;
  readonly capabilities: StoreCapabilities = { shared: true, nativeExpiry: false, timeGranularityMs: 1 };
  readonly dialect: SqlDialect;
  /** Every statement this store sends (see {@link StatementCatalog.samples}). */
  readonly statements: StatementCatalog;
  /** Provider artifacts (issue 14), in `tokenstore_artifact` (see {@link SqlArtifacts}). */
  readonly artifacts: ArtifactStore;

  readonly #options: ResolvedSqlStoreOptions;
  readonly #driver: SqlDriver;
  readonly #sql: SqlExecutor;
  readonly #codec: RowCodec;
  readonly #gate: StoreGate;

  constructor(options: SqlStoreOptions) {
    this.#options = resolveSqlStoreOptions(options);
    this.dialect = this.#options.dialect;
    this.#driver = this.#options.driver;
    this.backend = this.dialect.name;
    this.#gate = new StoreGate(this.backend);
    this.statements = new StatementCatalog(this.dialect);
    this.#codec = new RowCodec(this.dialect);
    this.#sql = new SqlExecutor(this.dialect, this.#driver, this.#options.retry);
    this.artifacts = new SqlArtifacts({
      backend: this.backend,
      gate: this.#gate,
      sql: this.#sql,
      codec: this.#codec,
      statements: this.statements.artifact,
    });
  }

  /**
   * Applies the schema files not applied yet (see {@link MigrationRunner}); safe to call from
   * every node at start-up.
   */
  async migrate(): Promise<MigrationResult> {
    this.#gate.check();
    return new MigrationRunner({ dialect: this.dialect, driver: this.#driver, directory: this.#options.migrationsDirectory }).run();
  }

  async insert<K extends TokenKind>(kind: K, row: StoredRowByKind[K]): Promise<InsertResult> {
    this.#gate.check();
    checkTokenKind(kind, this.backend);
    if (kind === 'accessToken' && (row as StoredAccessToken).exclusive) return this.#insertExclusive(row as StoredAccessToken);
    await this.#sql.run(this.statements.tokens[kind].insert.bind(this.#codec.tokenValues(kind, row)));
    return { inserted: true };
  }

  /**
   * The slot is taken when the dialect's insert skipped the row (row count 0) or raised a unique
   * violation on the active-reuse index (or on an unnamed index while an exclusive token is
   * active for the reuse key); the holder is then read back. If it was revoked or
   * expired in between, the slot is free again and the insert is retried.
   */
  async #insertExclusive(row: StoredAccessToken): Promise<InsertResult> {
    const insert = this.statements.accessToken.insertExclusive.bind(this.#codec.tokenValues('accessToken', row));
    for (let attempt = 0; attempt < EXCLUSIVE_INSERT_ATTEMPTS; attempt++) {
      const outcome = await this.#sql.runAllowingDuplicate(insert);
      if ('duplicate' in outcome) {
        if (outcome.constraint === undefined) {
          // The driver did not name the index (DB2 never does; SQL Server in some languages does
          // not): a live holder of the reuse slot means the slot refused the row, otherwise the key did.
          const active = await this.findActiveAccessToken(row.reuseKey);
          if (active) return { inserted: false, active };
          throw new ConflictError('accessToken.insertExclusive: a row with the same key already exists', { backend: this.backend });
        }
        if (outcome.constraint !== ACTIVE_REUSE_INDEX)
          throw new ConflictError('accessToken.insertExclusive: a row with the same key already exists', { backend: this.backend });
      } else if (outcome.rowCount === 1) {
        return { inserted: true };
      }
      const active = await this.findActiveAccessToken(row.reuseKey);
      if (active) return { inserted: false, active };
    }
    throw new ConflictError('accessToken.insertExclusive: the reuse slot kept changing hands; retry', { backend: this.backend });
  }

  async get<K extends TokenKind>(kind: K, key: string): Promise<StoredRowByKind[K] | null> {
    this.#gate.check();
    checkTokenKind(kind, this.backend);
    const { rows } = await this.#sql.run(this.statements.tokens[kind].selectByKey.bind({ key }));
    return rows[0] ? this.#codec.tokenFromRow(kind, rows[0]) : null;
  }

  async findActiveAccessToken(reuseKey: string): Promise<StoredAccessToken | null> {
    this.#gate.check();
    const { rows } = await this.#sql.run(this.statements.accessToken.findActive.bind({ reuseKey }));
    return rows[0] ? this.#codec.tokenFromRow('accessToken', rows[0]) : null;
  }

  async compareAndSetState(kind: TokenKind, key: string, change: StateChange): Promise<boolean> {
    this.#gate.check();
    checkTokenKind(kind, this.backend);
    const { rowCount } = await this.#sql.run(
      this.statements.tokens[kind].compareAndSetState.bind({ key, from: change.from, to: change.to, at: change.at }),
    );
    return rowCount === 1;
  }

  async rotateRefreshToken(rotation: RefreshRotation): Promise<boolean> {
    this.#gate.check();
    const { key, expected, at, successor } = rotation;
    const retire =
      expected.state === 'ACTIVE'
        ? this.statements.refreshToken.rotateActive.bind({ key, reuseCount: expected.reuseCount, at })
        : this.statements.refreshToken.reuseRotated.bind({ key, reuseCount: expected.reuseCount });
    const insertRefresh = this.statements.tokens.refreshToken.insert.bind(this.#codec.tokenValues('refreshToken', successor.refreshToken));
    const insertAccess = this.statements.tokens.accessToken.insert.bind(this.#codec.tokenValues('accessToken', successor.accessToken));
    return this.#sql.transaction(async (tx) => {
      // The conditional update is the decision: it locks the row, so exactly one caller matches it.
      if ((await tx.run(retire)).rowCount !== 1) {
        tx.rollbackOnly();
        return false;
      }
      await tx.run(insertRefresh);
      await tx.run(insertAccess);
      return true;
    });
  }

  async revokeTokens(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    this.#gate.check();
    const statements = REVOCATION_ORDER.map((kind) => [kind, this.#revocation(kind, filter, at)] as const);
    return this.#sql.transaction(async (tx) => {
      const counts: RevocationCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
      for (const [kind, statement] of statements) counts[kind] = (await tx.run(statement)).rowCount;
      return counts;
    });
  }

  #revocation(kind: TokenKind, filter: RevocationFilter, at: number): SqlStatement {
    const revoke = this.statements.tokens[kind].revoke;
    if ('grantId' in filter) return revoke.byGrant.bind({ grantId: filter.grantId, at });
    if ('userId' in filter) {
      const shape: UserRevocationShape =
        filter.userType === undefined
          ? filter.consumerKey === undefined
            ? 'user'
            : 'userAndClient'
          : filter.consumerKey === undefined
            ? 'userAndType'
            : 'userTypeAndClient';
      return revoke[shape].bind({ userId: filter.userId, userType: filter.userType, consumerKey: filter.consumerKey, at });
    }
    return revoke.byClient.bind({ consumerKey: filter.consumerKey, at });
  }

  async createClient(client: StoredClient): Promise<void> {
    this.#gate.check();
    await this.#sql.run(this.statements.client.insert.bind(this.#codec.clientValues(client)));
  }

  async getClient(consumerKey: string): Promise<StoredClient | null> {
    this.#gate.check();
    const { rows } = await this.#sql.run(this.statements.client.selectByKey.bind({ consumerKey }));
    return rows[0] ? this.#codec.clientFromRow(rows[0]) : null;
  }

  async updateClient(client: StoredClient, expectedUpdatedAt: number): Promise<boolean> {
    this.#gate.check();
    // The compare-and-set is the WHERE clause: no row matches once another writer stamped a new updated_at.
    const { rowCount } = await this.#sql.run(
      this.statements.client.update.bind({ ...this.#codec.clientValues(client), expectedUpdatedAt }),
    );
    return rowCount === 1;
  }

  async deleteClient(consumerKey: string): Promise<boolean> {
    this.#gate.check();
    const { rowCount } = await this.#sql.run(this.statements.client.delete.bind({ consumerKey }));
    return rowCount === 1;
  }

  /**
   * One batch, its own short transaction. With `archive`, the rows are copied to the audit table in
   * that transaction: in one statement where the dialect can (RETURNING / OUTPUT), else by locking
   * the batch's keys, copying and deleting them.
   */
  async purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number> {
    this.#gate.check();
    checkTokenKind(kind, this.backend);
    checkPurgeCriteria(criteria, this.backend);
    const statements = this.statements.tokens[kind];
    const args: PurgeArguments = {
      expiredBefore: criteria.expiredBefore,
      inactiveBefore: criteria.inactiveBefore,
      limit: criteria.limit,
      now: criteria.now,
    };
    if (!this.#options.archive) return (await this.#sql.run(statements.purge.bind(args))).rowCount;
    if (statements.purgeAndArchive) return (await this.#sql.run(statements.purgeAndArchive.bind(args))).rowCount;
    return this.#sql.transaction(async (tx) => {
      const keys = (await tx.run(statements.selectPurgeableKeys.bind(args))).rows.map((row) => String(row.token_key));
      if (keys.length === 0) return 0;
      await tx.run(this.statements.archiveByKeys(kind, keys, criteria.now));
      return (await tx.run(this.statements.deleteByKeys(kind, keys))).rowCount;
    });
  }

  async acquirePurgeLease(owner: string, now: number, ttlMs: number): Promise<boolean> {
    this.#gate.check();
    const expiresAt = now + ttlMs;
    const takeOver = this.statements.lease.takeOver.bind({ holder: owner, expiresAt, leaseName: PURGE_LEASE_NAME, now });
    if ((await this.#sql.run(takeOver)).rowCount === 1) return true;
    // No row matched: the lease is held by another node, or was never taken (no row yet).
    const create = this.statements.lease.insertIfAbsent.bind({ lease_name: PURGE_LEASE_NAME, holder: owner, expires_at: expiresAt });
    return (await this.#sql.run(create)).rowCount === 1;
  }

  async releasePurgeLease(owner: string): Promise<void> {
    this.#gate.check();
    await this.#sql.run(this.statements.lease.release.bind({ leaseName: PURGE_LEASE_NAME, holder: owner }));
  }

  async scan<K extends ProtectedKind>(kind: K, request: ScanRequest): Promise<ScanPage<ScannedRowByKind[K]>> {
    this.#gate.check();
    checkProtectedKind(kind, this.backend);
    checkScanRequest(request, this.backend, isCursor);
    const after = request.cursor === null ? 0 : Number(request.cursor);
    const limit = request.limit;
    const page = kind === 'client' ? this.statements.client.page : this.statements.tokens[kind as TokenKind].page;
    const { rows } = await this.#sql.run(page.bind({ after, limit }));
    const decode = (row: RawRow) =>
      (kind === 'client' ? this.#codec.clientFromRow(row) : this.#codec.tokenFromRow(kind as TokenKind, row)) as ScannedRowByKind[K];
    const last = rows.at(-1);
    return { rows: rows.map(decode), cursor: rows.length === limit && last ? String(toNumber(last.row_id)) : null };
  }

  /**
   * Re-keys the row in place (one UPDATE of its key and value), so it keeps its `row_id` and its
   * place in a running scan. If a row with the new key exists already, the rewrap happened before:
   * the old row is deleted.
   */
  async replaceKey<K extends TokenKind>(kind: K, oldKey: string, row: StoredRowByKind[K]): Promise<boolean> {
    this.#gate.check();
    checkTokenKind(kind, this.backend);
    const statements = this.statements.tokens[kind];
    const outcome = await this.#sql.runAllowingDuplicate(statements.rekey.bind({ key: row.key, value: row.value, oldKey }));
    if (!('duplicate' in outcome)) return outcome.rowCount === 1;
    return (await this.#sql.run(statements.deleteByKey.bind({ key: oldKey }))).rowCount === 1;
  }

  /** Closes the pool when the store created it (from a URL); an injected pool stays its owner's. */
  /** Exact, from the state index (no table scan): rows by state, ACTIVE past expiry, never expiring. */
  async count(kind: TokenKind, now: number): Promise<TokenCount> {
    this.#gate.check();
    checkTokenKind(kind, this.backend);
    const statements = this.statements.tokens[kind].count;
    const byState = Object.fromEntries(TOKEN_STATES.map((state) => [state, 0])) as Record<TokenState, number>;
    let total = 0;
    for (const row of (await this.#sql.run(statements.byState.bind({}))).rows) {
      const state = String(row.state) as TokenState;
      const rows = toNumber(row.row_count);
      total += rows;
      if (Object.hasOwn(byState, state)) byState[state] += rows;
    }
    const single = async (statement: SqlStatement) => toNumber((await this.#sql.run(statement)).rows[0]?.row_count ?? 0);
    const activeExpired = await single(statements.activeExpired.bind({ now }));
    const neverExpires = await single(statements.neverExpires.bind({}));
    return { exact: true, total, byState, activeExpired, neverExpires };
  }

  async close(): Promise<void> {
    if (this.#gate.close()) await this.#driver.destroy();
  }
}

/** A scan cursor is the last `row_id` of a page, as decimal digits. */
function isCursor(cursor: string): boolean {
  return /^\d{1,18}$/.test(cursor);
}

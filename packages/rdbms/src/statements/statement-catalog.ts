import { isRevocable, TOKEN_KINDS, TOKEN_STATES, type TokenKind } from '@tokenstore/core';
import type { DialectLocking, DialectStatements, SqlCompiler, SqlDialect } from '../dialects/dialect.js';
import type { ColumnValues } from '../schema/row-codec.js';
import {
  AUDIT_TABLES,
  CLIENT_COLUMNS,
  CLIENT_TABLE,
  LEASE_TABLE,
  PURGE_LEASE_NAME,
  ROW_ID_COLUMN,
  TOKEN_COLUMNS,
  TOKEN_TABLES,
} from '../schema/tables.js';
import { type ArtifactStatements, defineArtifactStatements } from './artifact-statements.js';
import { columnMarkers, type SqlStatement, StatementTemplate } from './sql-statement.js';

export interface PurgeArguments {
  expiredBefore: number;
  inactiveBefore: number;
  limit: number;
  /** Written to the audit table's `archived_at`. */
  now: number;
}

export interface PageArguments {
  after: number;
  limit: number;
}

/** Which of a user's tokens a revocation touches: the optional parts of a user filter. */
export type UserRevocationShape = 'user' | 'userAndType' | 'userAndClient' | 'userTypeAndClient';

type RevocationTemplates = {
  byGrant: StatementTemplate<{ grantId: string; at: number }>;
  byClient: StatementTemplate<{ consumerKey: string; at: number }>;
} & Record<UserRevocationShape, StatementTemplate<{ userId: string; userType?: string; consumerKey?: string; at: number }>>;

export interface TokenStatements {
  insert: StatementTemplate<ColumnValues>;
  selectByKey: StatementTemplate<{ key: string }>;
  compareAndSetState: StatementTemplate<{ key: string; from: string; to: string; at: number }>;
  /** Re-keys a row in place (rewrap), keeping its `row_id` and so its place in scans. */
  rekey: StatementTemplate<{ key: string; value: string | null; oldKey: string }>;
  deleteByKey: StatementTemplate<{ key: string }>;
  page: StatementTemplate<PageArguments>;
  revoke: RevocationTemplates;
  purge: StatementTemplate<PurgeArguments>;
  /** Only when the dialect archives and deletes in one statement (RETURNING / OUTPUT). */
  purgeAndArchive: StatementTemplate<PurgeArguments> | undefined;
  selectPurgeableKeys: StatementTemplate<PurgeArguments>;
  /** TokenStore.count, from the `<table>_state (state, expires_at)` index of `004_count_index.sql`. */
  count: {
    byState: StatementTemplate<Record<string, never>>;
    activeExpired: StatementTemplate<{ now: number }>;
    neverExpires: StatementTemplate<Record<string, never>>;
  };
}

/** What the catalog needs of a dialect: placeholders, the statements whose syntax differs, the lease. */
export type CatalogDialect = SqlCompiler & DialectStatements & Pick<DialectLocking, 'leaseStatements'>;

/** The example arguments of every sample, derived once per {@link StatementCatalog.samples} call. */
interface SampleArguments {
  readonly example: StatementExamples;
  readonly purge: PurgeArguments;
  readonly page: PageArguments;
  /** Rows to insert, booleans bound as the dialect binds them. */
  readonly rows: Readonly<Record<TokenKind, ColumnValues>>;
  readonly user: { userId: string; userType: string; consumerKey: string; at: number };
}

/** How one statement is bound for {@link StatementCatalog.samples}. */
type Sample = (args: SampleArguments) => SqlStatement;

/**
 * Every statement the store sends, compiled once per store from the dialect: portable SQL is
 * written here, dialect-specific SQL comes from {@link SqlDialect}. Each statement is defined
 * together with its example arguments, so {@link samples} lists exactly the statements defined
 * (for EXPLAIN tests and for a DBA's review).
 */
export class StatementCatalog {
  readonly tokens: Readonly<Record<TokenKind, TokenStatements>>;
  readonly accessToken: {
    insertExclusive: StatementTemplate<ColumnValues>;
    findActive: StatementTemplate<{ reuseKey: string }>;
  };
  readonly refreshToken: {
    /** First rotation: ACTIVE → INACTIVE, stamping `rotated_at`. */
    rotateActive: StatementTemplate<{ key: string; reuseCount: number; at: number }>;
    /** A grace-window reuse of an already rotated token: counts it. */
    reuseRotated: StatementTemplate<{ key: string; reuseCount: number }>;
  };
  readonly client: {
    insert: StatementTemplate<ColumnValues>;
    selectByKey: StatementTemplate<{ consumerKey: string }>;
    /** Compare-and-set: replaces the row only while its `updated_at` is still `expectedUpdatedAt`. */
    update: StatementTemplate<ColumnValues & { expectedUpdatedAt: number }>;
    delete: StatementTemplate<{ consumerKey: string }>;
    page: StatementTemplate<PageArguments>;
  };
  readonly lease: {
    takeOver: StatementTemplate<{ holder: string; expiresAt: number; leaseName: string; now: number }>;
    insertIfAbsent: StatementTemplate<{ lease_name: string; holder: string; expires_at: number }>;
    release: StatementTemplate<{ leaseName: string; holder: string }>;
  };
  /** Provider artifacts (issue 14). */
  readonly artifact: ArtifactStatements;

  readonly #dialect: CatalogDialect;
  /** Archive-and-delete by key lists, per list length (select-then-delete purge). */
  readonly #byKeys = new Map<string, StatementTemplate<Record<string, unknown>>>();
  /** One entry per statement, in definition order: how {@link samples} binds it. */
  readonly #samples: Sample[] = [];

  constructor(dialect: CatalogDialect) {
    this.#dialect = dialect;
    const define = this.#define.bind(this);

    this.tokens = Object.fromEntries(TOKEN_KINDS.map((kind) => [kind, this.#tokenStatements(kind)])) as Record<TokenKind, TokenStatements>;

    const access = TOKEN_TABLES.accessToken;
    const accessColumns = TOKEN_COLUMNS.accessToken;
    this.accessToken = {
      insertExclusive: define(
        'accessToken.insertExclusive',
        dialect.insertExclusiveAccessToken(access, accessColumns),
        (s) => s.rows.accessToken,
      ),
      findActive: define('accessToken.findActive', dialect.findActiveAccessToken(access, accessColumns), (s) => ({
        reuseKey: s.example.reuseKey,
      })),
    };

    const refresh = TOKEN_TABLES.refreshToken;
    this.refreshToken = {
      rotateActive: define(
        'refreshToken.rotateActive',
        `UPDATE ${refresh} SET state = 'INACTIVE', rotated_at = :at, state_changed_at = :at WHERE token_key = :key AND state = 'ACTIVE' AND reuse_count = :reuseCount`,
        (s) => ({ key: s.example.keys.refreshToken, reuseCount: 0, at: s.example.now }),
      ),
      reuseRotated: define(
        'refreshToken.reuseRotated',
        `UPDATE ${refresh} SET reuse_count = reuse_count + 1 WHERE token_key = :key AND state = 'INACTIVE' AND reuse_count = :reuseCount`,
        (s) => ({ key: s.example.keys.refreshToken, reuseCount: 0 }),
      ),
    };

    const clientColumns = CLIENT_COLUMNS.join(', ');
    const updatable = CLIENT_COLUMNS.filter((column) => column !== 'consumer_key' && column !== 'created_at');
    this.client = {
      insert: define(
        'client.insert',
        `INSERT INTO ${CLIENT_TABLE} (${clientColumns}) VALUES (${columnMarkers(CLIENT_COLUMNS)})`,
        (s) => s.example.client,
      ),
      selectByKey: define('client.selectByKey', `SELECT ${clientColumns} FROM ${CLIENT_TABLE} WHERE consumer_key = :consumerKey`, (s) => ({
        consumerKey: s.example.consumerKey,
      })),
      update: define(
        'client.update',
        `UPDATE ${CLIENT_TABLE} SET ${updatable.map((column) => `${column} = :${column}`).join(', ')} WHERE consumer_key = :consumer_key AND updated_at = :expectedUpdatedAt`,
        (s) => ({ ...s.example.client, expectedUpdatedAt: s.example.now }),
      ),
      delete: define('client.delete', `DELETE FROM ${CLIENT_TABLE} WHERE consumer_key = :consumerKey`, (s) => ({
        consumerKey: s.example.consumerKey,
      })),
      page: define('client.page', dialect.selectPage(CLIENT_TABLE, [...CLIENT_COLUMNS, ROW_ID_COLUMN]), (s) => s.page),
    };

    const lease = dialect.leaseStatements(LEASE_TABLE);
    this.lease = {
      takeOver: define('lease.takeOver', lease.takeOver, (s) => ({
        holder: 'node-a',
        expiresAt: s.example.now + 30_000,
        leaseName: PURGE_LEASE_NAME,
        now: s.example.now,
      })),
      insertIfAbsent: define('lease.insertIfAbsent', lease.insertIfAbsent, (s) => ({
        lease_name: PURGE_LEASE_NAME,
        holder: 'node-a',
        expires_at: s.example.now + 30_000,
      })),
      release: define('lease.release', lease.release, () => ({ leaseName: PURGE_LEASE_NAME, holder: 'node-a' })),
    };

    this.artifact = defineArtifactStatements(dialect, define);
  }

  /** Compiles one statement and registers how {@link samples} binds it. */
  #define<A extends object>(name: string, text: string, sample: (args: SampleArguments) => A): StatementTemplate<A> {
    const template = new StatementTemplate<A>(this.#dialect, name, text);
    this.#samples.push((args) => template.bind(sample(args)));
    return template;
  }

  #tokenStatements(kind: TokenKind): TokenStatements {
    const dialect = this.#dialect;
    const define = <A extends object>(name: string, text: string, sample: (args: SampleArguments) => A) =>
      this.#define<A>(`${kind}.${name}`, text, sample);
    const table = TOKEN_TABLES[kind];
    const columns = TOKEN_COLUMNS[kind];
    const list = columns.join(', ');
    const purgeTarget = { table, auditTable: AUDIT_TABLES[kind], columns };
    const key = (s: SampleArguments) => s.example.keys[kind];
    // The states core's isRevocable names: for refresh tokens and codes INACTIVE too, so a grace-window
    // reuse or a redemption in flight cannot revive the family.
    const revocableStates = TOKEN_STATES.filter((state) => isRevocable(kind, state)).map((state) => `'${state}'`);
    const revocable = revocableStates.length === 1 ? `state = ${revocableStates[0]}` : `state IN (${revocableStates.join(', ')})`;
    const revoke = <A extends object>(name: string, where: string, sample: (args: SampleArguments) => A) =>
      define<A>(`revokeBy${name}`, `UPDATE ${table} SET state = 'REVOKED', state_changed_at = :at WHERE ${where} AND ${revocable}`, sample);
    const statements = {
      insert: define('insert', `INSERT INTO ${table} (${list}) VALUES (${columnMarkers(columns)})`, (s) => s.rows[kind]),
      selectByKey: define('selectByKey', `SELECT ${list} FROM ${table} WHERE token_key = :key`, (s) => ({ key: key(s) })),
      compareAndSetState: define(
        'compareAndSetState',
        `UPDATE ${table} SET state = :to, state_changed_at = :at WHERE token_key = :key AND state = :from`,
        (s) => ({ key: key(s), from: 'ACTIVE', to: 'REVOKED', at: s.example.now }),
      ),
      rekey: define('rekey', `UPDATE ${table} SET token_key = :key, token_value = :value WHERE token_key = :oldKey`, (s) => ({
        key: `${key(s)}-rekeyed`,
        value: null,
        oldKey: key(s),
      })),
      deleteByKey: define('deleteByKey', `DELETE FROM ${table} WHERE token_key = :key`, (s) => ({ key: key(s) })),
      page: define('page', dialect.selectPage(table, [...columns, ROW_ID_COLUMN]), (s) => s.page),
      revoke: {
        byGrant: revoke('Grant', 'grant_id = :grantId', (s) => ({ grantId: s.example.grantId, at: s.example.now })),
        byClient: revoke('Client', 'consumer_key = :consumerKey', (s) => ({ consumerKey: s.example.consumerKey, at: s.example.now })),
        user: revoke('User', 'user_id = :userId', (s) => s.user),
        userAndType: revoke('UserAndType', 'user_id = :userId AND user_type = :userType', (s) => s.user),
        userAndClient: revoke('UserAndClient', 'user_id = :userId AND consumer_key = :consumerKey', (s) => s.user),
        userTypeAndClient: revoke(
          'UserTypeAndClient',
          'user_id = :userId AND user_type = :userType AND consumer_key = :consumerKey',
          (s) => s.user,
        ),
      },
      purge: define('purge', dialect.purgeBatch(purgeTarget), (s) => s.purge),
      selectPurgeableKeys: define('selectPurgeableKeys', dialect.selectPurgeableKeys(purgeTarget), (s) => s.purge),
    };
    // Compiled per key count on use; sampled for two keys.
    this.#samples.push(
      (s) => this.archiveByKeys(kind, [key(s), `${key(s)}-2`], s.example.now),
      (s) => this.deleteByKeys(kind, [key(s), `${key(s)}-2`]),
    );
    const count = {
      byState: define('countByState', `SELECT state, COUNT(*) AS row_count FROM ${table} GROUP BY state`, () => ({})),
      activeExpired: define(
        'countActiveExpired',
        `SELECT COUNT(*) AS row_count FROM ${table} WHERE state = 'ACTIVE' AND expires_at <= :now`,
        (s) => ({ now: s.example.now }),
      ),
      neverExpires: define('countNeverExpires', `SELECT COUNT(*) AS row_count FROM ${table} WHERE expires_at IS NULL`, () => ({})),
    };
    const archiveInOneStatement = dialect.purgeAndArchiveBatch(purgeTarget);
    const purgeAndArchive =
      archiveInOneStatement === undefined ? undefined : define('purgeAndArchive', archiveInOneStatement, (s) => s.purge);
    return { ...statements, purgeAndArchive, count };
  }

  /** `INSERT INTO audit … SELECT … WHERE token_key IN (…)` for `count` keys (select-then-delete purge). */
  archiveByKeys(kind: TokenKind, keys: readonly string[], now: number): SqlStatement {
    const columns = TOKEN_COLUMNS[kind].join(', ');
    return this.#byKeysTemplate(
      `${kind}.archiveByKeys`,
      keys.length,
      (markers) =>
        `INSERT INTO ${AUDIT_TABLES[kind]} (${columns}, archived_at) SELECT ${columns}, :now FROM ${TOKEN_TABLES[kind]} WHERE token_key IN (${markers})`,
    ).bind({ ...keyArguments(keys), now });
  }

  /** `DELETE … WHERE token_key IN (…)` for `count` keys (select-then-delete purge). */
  deleteByKeys(kind: TokenKind, keys: readonly string[]): SqlStatement {
    return this.#byKeysTemplate(
      `${kind}.deleteByKeys`,
      keys.length,
      (markers) => `DELETE FROM ${TOKEN_TABLES[kind]} WHERE token_key IN (${markers})`,
    ).bind(keyArguments(keys));
  }

  #byKeysTemplate(name: string, count: number, text: (markers: string) => string): StatementTemplate<Record<string, unknown>> {
    const cacheKey = `${name}/${count}`;
    let template = this.#byKeys.get(cacheKey);
    if (!template) {
      const markers = Array.from({ length: count }, (_, i) => `:k${i}`).join(', ');
      template = new StatementTemplate(this.#dialect, name, text(markers));
      this.#byKeys.set(cacheKey, template);
    }
    return template;
  }

  /**
   * Every statement the store can send, bound to example arguments: for EXPLAIN tests (plans with
   * realistic parameters) and for DBAs who want to review the SQL before granting access.
   */
  samples(example: StatementExamples = DEFAULT_EXAMPLES): SqlStatement[] {
    const accessRow = {
      ...example.rows.accessToken,
      is_exclusive: this.#dialect.booleanParameter(example.rows.accessToken.is_exclusive === true),
    };
    const args: SampleArguments = {
      example,
      purge: { expiredBefore: example.now, inactiveBefore: example.now - 86_400_000, limit: 1000, now: example.now },
      page: { after: 0, limit: 100 },
      rows: { ...example.rows, accessToken: accessRow },
      user: { userId: example.userId, userType: 'APPLICATION_USER', consumerKey: example.consumerKey, at: example.now },
    };
    return this.#samples.map((sample) => sample(args));
  }
}

function keyArguments(keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key, i) => [`k${i}`, key]));
}

/** Example arguments for {@link StatementCatalog.samples}: realistic values give realistic plans. */
export interface StatementExamples {
  now: number;
  userId: string;
  consumerKey: string;
  grantId: string;
  reuseKey: string;
  keys: Record<TokenKind, string>;
  rows: Record<TokenKind, ColumnValues>;
  client: ColumnValues;
}

const EXAMPLE_NOW = Date.UTC(2030, 0, 1);
const exampleBase = {
  token_value: null,
  consumer_key: 'example-client',
  user_id: 'example-user',
  user_type: 'APPLICATION_USER',
  scopes: 'openid profile',
  grant_id: 'example-grant',
  state: 'ACTIVE',
  issued_at: EXAMPLE_NOW,
  expires_at: EXAMPLE_NOW + 3_600_000,
  state_changed_at: EXAMPLE_NOW,
};

export const DEFAULT_EXAMPLES: StatementExamples = {
  now: EXAMPLE_NOW,
  userId: 'example-user',
  consumerKey: 'example-client',
  grantId: 'example-grant',
  reuseKey: 'example-reuse-key',
  keys: { accessToken: 'example-access-key', refreshToken: 'example-refresh-key', authorizationCode: 'example-code-key' },
  rows: {
    accessToken: {
      ...exampleBase,
      token_key: 'example-access-key',
      reuse_key: 'example-reuse-key',
      is_exclusive: false,
      grant_type: 'authorization_code',
      confirmation: null,
    },
    refreshToken: { ...exampleBase, token_key: 'example-refresh-key', rotated_at: null, reuse_count: 0, confirmation: null },
    authorizationCode: {
      ...exampleBase,
      token_key: 'example-code-key',
      redirect_uri: 'https://client.example/callback',
      code_challenge: null,
      code_challenge_method: null,
      nonce: null,
    },
  },
  client: {
    consumer_key: 'example-client',
    secret_key: 'example-secret-key',
    secret_value: null,
    client_name: 'Example',
    grant_types: '["authorization_code"]',
    redirect_uris: '["https://client.example/callback"]',
    application_access_token_validity: null,
    user_access_token_validity: null,
    refresh_token_validity: null,
    authorization_code_validity: null,
    created_at: EXAMPLE_NOW,
    updated_at: EXAMPLE_NOW,
    allowed_scopes: '["read"]',
    resource_server: false,
  },
};

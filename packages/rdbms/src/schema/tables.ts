import type { StoredTokenBase, TokenKind } from '@tokenstore/core';

/**
 * The TypeScript mirror of the schema in `sql/<dialect>/NNN_*.sql`: table, column and index names
 * the statements use. Every dialect's SQL files must create exactly these names.
 */

/** Tables of the three token kinds. */
export const TOKEN_TABLES: Readonly<Record<TokenKind, string>> = {
  accessToken: 'tokenstore_access_token',
  refreshToken: 'tokenstore_refresh_token',
  authorizationCode: 'tokenstore_authorization_code',
};

/** Archive tables (`002_audit.sql`): purged rows are copied here first when `archive: true`. */
export const AUDIT_TABLES: Readonly<Record<TokenKind, string>> = {
  accessToken: 'tokenstore_access_token_audit',
  refreshToken: 'tokenstore_refresh_token_audit',
  authorizationCode: 'tokenstore_authorization_code_audit',
};

export const CLIENT_TABLE = 'tokenstore_client';
/** One row per lease name; the purger's lease is {@link PURGE_LEASE_NAME}. */
export const LEASE_TABLE = 'tokenstore_lease';
/** Created by the migration runner (not by a SQL file): one row per applied file. */
export const SCHEMA_VERSION_TABLE = 'tokenstore_schema_version';

export const PURGE_LEASE_NAME = 'purge';

/**
 * Unique index over ACTIVE exclusive access tokens' reuse keys (a partial index on PostgreSQL, a
 * generated column elsewhere). A unique violation naming it means "the reuse slot is taken", not a
 * duplicate key: dialects must report this name in {@link ClassifiedDriverError.constraint}.
 */
export const ACTIVE_REUSE_INDEX = 'tokenstore_access_token_active_reuse';

/**
 * Columns every token table shares, in statement order, each with the field of a stored row it
 * holds (`scopes` as one space-separated text): the one list of them, for statements and the codec.
 */
export const TOKEN_BASE_FIELDS = {
  token_key: 'key',
  token_value: 'value',
  consumer_key: 'consumerKey',
  user_id: 'userId',
  user_type: 'userType',
  scopes: 'scopes',
  grant_id: 'grantId',
  state: 'state',
  issued_at: 'issuedAt',
  expires_at: 'expiresAt',
  state_changed_at: 'stateChangedAt',
} as const satisfies Record<string, keyof StoredTokenBase>;

const TOKEN_BASE_COLUMNS = Object.keys(TOKEN_BASE_FIELDS);

/** Columns the store writes and reads per token kind (generated and surrogate columns excluded). */
export const TOKEN_COLUMNS: Readonly<Record<TokenKind, readonly string[]>> = {
  // confirmation: 006_confirmation.sql
  accessToken: [...TOKEN_BASE_COLUMNS, 'reuse_key', 'is_exclusive', 'grant_type', 'confirmation'],
  refreshToken: [...TOKEN_BASE_COLUMNS, 'rotated_at', 'reuse_count', 'confirmation'],
  authorizationCode: [...TOKEN_BASE_COLUMNS, 'redirect_uri', 'code_challenge', 'code_challenge_method', 'nonce'],
};

export const CLIENT_COLUMNS: readonly string[] = [
  'consumer_key',
  'secret_key',
  'secret_value',
  'client_name',
  'grant_types',
  'redirect_uris',
  'application_access_token_validity',
  'user_access_token_validity',
  'refresh_token_validity',
  'authorization_code_validity',
  'created_at',
  'updated_at',
  // 003_client_policy.sql
  'allowed_scopes',
  'resource_server',
];

/**
 * Surrogate, increasing row number of every token and client table: the stable order of `scan()`
 * and its cursor (a number, so a cursor never carries a lookup key). Re-keying a row keeps it.
 */
export const ROW_ID_COLUMN = 'row_id';

/**
 * The tables `007_cluster_on_row_id.sql` re-keys where the database stores a table in primary-key
 * order (MySQL/MariaDB, SQL Server): `row_id` is their primary key there, `token_key` a unique
 * secondary key `<table>_key`. Every other table keeps its key, with `row_id` under a unique index
 * `<table>_row_id` (and so do these tables on PostgreSQL, Oracle and DB2).
 */
export const ROW_ID_KEYED_TABLES: readonly string[] = Object.values(TOKEN_TABLES);

/** Every table the schema files create, for tests and tooling that must visit all of them. */
/** Provider artifacts (issue 14, `sql/<dialect>/005_artifacts.sql`): every oidc-provider model, keyed by (model, artifact_key). */
export const ARTIFACT_TABLE = 'tokenstore_artifact';
/** The columns of {@link ARTIFACT_TABLE}, in the order of `StoredArtifact`. */
export const ARTIFACT_COLUMNS: readonly string[] = [
  'model',
  'artifact_key',
  'artifact_value',
  'payload',
  'is_sealed',
  'grant_id',
  'uid_key',
  'user_code_key',
  'expires_at',
  'consumed_at',
  'updated_at',
];

export const ALL_TABLES: readonly string[] = [
  ...Object.values(TOKEN_TABLES),
  CLIENT_TABLE,
  LEASE_TABLE,
  ...Object.values(AUDIT_TABLES),
  ARTIFACT_TABLE,
];

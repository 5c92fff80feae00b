import {
  decodeConfirmation,
  encodeConfirmation,
  type PkceMethod,
  type StoredAccessToken,
  type StoredAuthorizationCode,
  type StoredClient,
  type StoredRefreshToken,
  type StoredRowByKind,
  type TokenKind,
  type TokenState,
  type UserType,
  type ValidityOverrides,
} from '@tokenstore/core';
import type { CassandraRow } from './client.js';

/** The table of each kind of token. */
export const TOKEN_TABLES = {
  accessToken: 'access_tokens',
  refreshToken: 'refresh_tokens',
  authorizationCode: 'authorization_codes',
} as const satisfies Record<TokenKind, string>;

const BASE_COLUMNS = [
  'key',
  'value',
  'consumer_key',
  'user_id',
  'user_type',
  'scopes',
  'grant_id',
  'state',
  'issued_at',
  'expires_at',
  'state_changed_at',
] as const;

const EXTRA_COLUMNS = {
  // confirmation: 007_confirmation.cql
  accessToken: ['reuse_key', 'exclusive', 'grant_type', 'confirmation'],
  refreshToken: ['rotated_at', 'reuse_count', 'confirmation'],
  authorizationCode: ['redirect_uri', 'code_challenge', 'code_challenge_method', 'nonce'],
} as const satisfies Record<TokenKind, readonly string[]>;

/** Columns of a kind's row, in bind order (without `change_id`). */
export function tokenColumns(kind: TokenKind): string[] {
  return [...BASE_COLUMNS, ...EXTRA_COLUMNS[kind]];
}

export const CLIENT_COLUMNS = [
  'consumer_key',
  'secret_key',
  'secret_value',
  'name',
  'grant_types',
  'redirect_uris',
  'application_access_token_validity',
  'user_access_token_validity',
  'refresh_token_validity',
  'authorization_code_validity',
  'created_at',
  'updated_at',
  // 006_client_policy.cql
  'allowed_scopes',
  'resource_server',
] as const;

/** `null` becomes "unset" (the driver's `undefined`), so an INSERT writes no tombstone for it. */
function unsetIfNull<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

function date(ms: number): Date {
  return new Date(ms);
}

function dateOrUnset(ms: number | null): Date | undefined {
  return ms === null ? undefined : new Date(ms);
}

/** Bind values for `tokenColumns(kind)`, in order. Null columns are left unset. */
export function tokenParams<K extends TokenKind>(kind: K, row: StoredRowByKind[K]): unknown[] {
  const base = [
    row.key,
    unsetIfNull(row.value),
    row.consumerKey,
    row.userId,
    row.userType,
    row.scopes,
    row.grantId,
    row.state,
    date(row.issuedAt),
    dateOrUnset(row.expiresAt),
    date(row.stateChangedAt),
  ];
  switch (kind) {
    case 'accessToken': {
      const r = row as StoredAccessToken;
      return [...base, r.reuseKey, r.exclusive, r.grantType, unsetIfNull(encodeConfirmation(r.confirmation))];
    }
    case 'refreshToken': {
      const r = row as StoredRefreshToken;
      return [...base, dateOrUnset(r.rotatedAt), r.reuseCount, unsetIfNull(encodeConfirmation(r.confirmation))];
    }
    default: {
      const r = row as StoredAuthorizationCode;
      return [...base, unsetIfNull(r.redirectUri), unsetIfNull(r.codeChallenge), unsetIfNull(r.codeChallengeMethod), unsetIfNull(r.nonce)];
    }
  }
}

/** Epoch ms of a driver timestamp value (Date), or `null`. */
export function millis(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  return null;
}

/** A text cell, or `null`. */
export function textOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A uuid cell (the driver's Uuid object) as text; `''` when there is none. */
export function uuidText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

/** A list column: the driver builds a fresh array of strings per row, so it is used as it is. */
function list(value: unknown): string[] {
  return Array.isArray(value) ? (value as string[]) : [];
}

/**
 * The stored row of `kind` from a driver row, or `null` for a row that is incomplete: a partition
 * whose cells expired at slightly different moments (TTL rounding) is treated as gone. On the
 * validation hot path: one object literal per kind, no intermediate copies.
 */
export function tokenFromRow<K extends TokenKind>(kind: K, r: CassandraRow | undefined): StoredRowByKind[K] | null {
  if (!r) return null;
  const key = r.key;
  const consumerKey = r.consumer_key;
  const state = r.state;
  const issuedAt = millis(r.issued_at);
  const stateChangedAt = millis(r.state_changed_at);
  if (
    typeof key !== 'string' ||
    typeof consumerKey !== 'string' ||
    typeof state !== 'string' ||
    issuedAt === null ||
    stateChangedAt === null
  )
    return null;
  const value = textOf(r.value);
  const userId = textOf(r.user_id) ?? '';
  const userType = (textOf(r.user_type) ?? 'APPLICATION') as UserType;
  const scopes = list(r.scopes);
  const grantId = textOf(r.grant_id) ?? '';
  const expiresAt = millis(r.expires_at);
  switch (kind) {
    case 'accessToken':
      return {
        key,
        value,
        consumerKey,
        userId,
        userType,
        scopes,
        grantId,
        state: state as TokenState,
        issuedAt,
        expiresAt,
        stateChangedAt,
        reuseKey: textOf(r.reuse_key) ?? '',
        exclusive: r.exclusive === true,
        grantType: textOf(r.grant_type) ?? '',
        confirmation: decodeConfirmation(r.confirmation),
      } satisfies StoredAccessToken as StoredRowByKind[K];
    case 'refreshToken':
      return {
        key,
        value,
        consumerKey,
        userId,
        userType,
        scopes,
        grantId,
        state: state as TokenState,
        issuedAt,
        expiresAt,
        stateChangedAt,
        rotatedAt: millis(r.rotated_at),
        reuseCount: typeof r.reuse_count === 'number' ? r.reuse_count : 0,
        confirmation: decodeConfirmation(r.confirmation),
      } satisfies StoredRefreshToken as StoredRowByKind[K];
    default:
      return {
        key,
        value,
        consumerKey,
        userId,
        userType,
        scopes,
        grantId,
        state: state as TokenState,
        issuedAt,
        expiresAt,
        stateChangedAt,
        redirectUri: textOf(r.redirect_uri),
        codeChallenge: textOf(r.code_challenge),
        codeChallengeMethod: textOf(r.code_challenge_method) as PkceMethod | null,
        nonce: textOf(r.nonce),
      } satisfies StoredAuthorizationCode as StoredRowByKind[K];
  }
}

const VALIDITY_COLUMNS = {
  applicationAccessTokenValidity: 'application_access_token_validity',
  userAccessTokenValidity: 'user_access_token_validity',
  refreshTokenValidity: 'refresh_token_validity',
  authorizationCodeValidity: 'authorization_code_validity',
} as const satisfies Record<keyof ValidityOverrides, string>;

/**
 * Bind values for `CLIENT_COLUMNS`. With `forUpdate`, absent values are bound as null so that an
 * update clears them; for an insert they stay unset (no tombstones).
 */
export function clientParams(client: StoredClient, forUpdate = false): unknown[] {
  const absent = forUpdate ? null : undefined;
  const validity = (name: keyof ValidityOverrides) => client.validity[name] ?? absent;
  return [
    client.consumerKey,
    client.secretKey,
    client.secretValue ?? absent,
    client.name ?? absent,
    client.grantTypes,
    client.redirectUris,
    validity('applicationAccessTokenValidity'),
    validity('userAccessTokenValidity'),
    validity('refreshTokenValidity'),
    validity('authorizationCodeValidity'),
    date(client.createdAt),
    date(client.updatedAt),
    client.allowedScopes,
    client.resourceServer,
  ];
}

/** Bind values of the compare-and-set client update: every column but the key, the key, the expected `updated_at`. */
export function clientUpdateParams(client: StoredClient, expectedUpdatedAt: number): unknown[] {
  return [...clientParams(client, true).slice(1), client.consumerKey, date(expectedUpdatedAt)];
}

/** True when two client rows hold the same values, field by field (as read back through {@link clientFromRow}). */
export function sameClient(a: StoredClient, b: StoredClient): boolean {
  const validityKeys = Object.keys(VALIDITY_COLUMNS) as Array<keyof ValidityOverrides>;
  const sameList = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((item, i) => item === y[i]);
  return (
    a.consumerKey === b.consumerKey &&
    a.secretKey === b.secretKey &&
    a.secretValue === b.secretValue &&
    a.name === b.name &&
    sameList(a.grantTypes, b.grantTypes) &&
    sameList(a.redirectUris, b.redirectUris) &&
    sameList(a.allowedScopes, b.allowedScopes) &&
    a.resourceServer === b.resourceServer &&
    validityKeys.every((key) => a.validity[key] === b.validity[key]) &&
    a.createdAt === b.createdAt &&
    a.updatedAt === b.updatedAt
  );
}

export function clientFromRow(r: CassandraRow | undefined): StoredClient | null {
  if (!r) return null;
  const consumerKey = textOf(r.consumer_key);
  const secretKey = textOf(r.secret_key);
  const createdAt = millis(r.created_at);
  if (consumerKey === null || secretKey === null || createdAt === null) return null;
  const validity: ValidityOverrides = {};
  for (const [field, column] of Object.entries(VALIDITY_COLUMNS) as Array<[keyof ValidityOverrides, string]>) {
    const value = r[column];
    if (typeof value === 'number') validity[field] = value;
  }
  return {
    consumerKey,
    secretKey,
    secretValue: textOf(r.secret_value),
    name: textOf(r.name),
    grantTypes: list(r.grant_types),
    redirectUris: list(r.redirect_uris),
    // Absent: a row written before 006_client_policy.cql, which allows no scope.
    allowedScopes: list(r.allowed_scopes),
    resourceServer: r.resource_server === true,
    validity,
    createdAt,
    updatedAt: millis(r.updated_at) ?? createdAt,
  };
}

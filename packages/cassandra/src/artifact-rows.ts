import type { StoredArtifact } from '@tokenstore/core';
import type { CassandraRow } from './client.js';
import { millis, textOf } from './token-rows.js';

/** The columns of `artifacts` (`008_artifacts.cql`) in bind order, without the key and `change_id`. */
const ARTIFACT_VALUE_COLUMNS = [
  'artifact_value',
  'payload',
  'is_sealed',
  'grant_id',
  'uid_key',
  'user_code_key',
  'expires_at',
  'consumed_at',
  'updated_at',
] as const;

/** The kind of the purge-index entries of artifacts; their `token_key` is `<model>:<artifact key>`. */
export const ARTIFACT_PURGE_KIND = 'artifact';

/** The purge-index key of an artifact: model names hold no `:`, so the first one separates them. */
export function artifactIndexKey(model: string, key: string): string {
  return `${model}:${key}`;
}

export function parseArtifactIndexKey(indexKey: string): { model: string; key: string } | null {
  const colon = indexKey.indexOf(':');
  return colon <= 0 ? null : { model: indexKey.slice(0, colon), key: indexKey.slice(colon + 1) };
}

/** The CQL of provider artifacts, for one keyspace. All are prepared. */
export function artifactStatements(keyspace: string) {
  const table = `${keyspace}.artifacts`;
  const values = ARTIFACT_VALUE_COLUMNS.join(', ');
  const where = 'WHERE model = ? AND artifact_key = ?';
  return {
    /** Binds model, key. */
    select: `SELECT model, artifact_key, ${values} FROM ${table} ${where}`,
    /** The row plus `change_id` and its remaining TTL. Binds model, key. */
    selectForUpdate: `SELECT model, artifact_key, ${values}, change_id, TTL(payload) AS row_ttl FROM ${table} ${where}`,
    /** Binds model, key, the value columns, change_id, TTL. */
    insert: `INSERT INTO ${table} (model, artifact_key, ${values}, change_id) VALUES (${Array.from({ length: ARTIFACT_VALUE_COLUMNS.length + 3 }, () => '?').join(', ')}) IF NOT EXISTS USING TTL ?`,
    /** Binds TTL, the value columns, change_id, model, key. */
    replace: `UPDATE ${table} USING TTL ? SET ${ARTIFACT_VALUE_COLUMNS.map((column) => `${column} = ?`).join(', ')}, change_id = ? ${where} IF EXISTS`,
    /**
     * The rewrap's conditional replace of one version (`replaceArtifact`): every value column. Binds
     * TTL, the value columns, change_id, model, key, expected change_id.
     */
    replaceIfUnchanged: `UPDATE ${table} USING TTL ? SET ${ARTIFACT_VALUE_COLUMNS.map((column) => `${column} = ?`).join(', ')}, change_id = ? ${where} IF change_id = ?`,
    /** Every row of every model in token order (`scanArtifacts`, paged by the driver's page state). Binds nothing. */
    scan: `SELECT model, artifact_key, ${values} FROM ${table}`,
    /** Binds TTL, consumed_at, change_id, model, key, expected change_id. */
    consume: `UPDATE ${table} USING TTL ? SET consumed_at = ?, change_id = ? ${where} IF consumed_at = null AND change_id = ?`,
    /** Binds model, key, expected change_id. */
    deleteIfUnchanged: `DELETE FROM ${table} ${where} IF change_id = ?`,
    /** A row left with no live cell but its primary key (see README). Binds model, key. */
    deleteHollow: `DELETE FROM ${table} ${where} IF payload = null`,
    byUid: {
      /** Binds model, uid_key, artifact_key, TTL. */
      insert: `INSERT INTO ${keyspace}.artifacts_by_uid (model, uid_key, artifact_key) VALUES (?, ?, ?) USING TTL ?`,
      remove: `DELETE FROM ${keyspace}.artifacts_by_uid WHERE model = ? AND uid_key = ? AND artifact_key = ?`,
      select: `SELECT artifact_key FROM ${keyspace}.artifacts_by_uid WHERE model = ? AND uid_key = ?`,
    },
    byUserCode: {
      insert: `INSERT INTO ${keyspace}.artifacts_by_user_code (model, user_code_key, artifact_key) VALUES (?, ?, ?) USING TTL ?`,
      remove: `DELETE FROM ${keyspace}.artifacts_by_user_code WHERE model = ? AND user_code_key = ? AND artifact_key = ?`,
      select: `SELECT artifact_key FROM ${keyspace}.artifacts_by_user_code WHERE model = ? AND user_code_key = ?`,
    },
    byGrant: {
      /** Binds grant_id, model, artifact_key, TTL. */
      insert: `INSERT INTO ${keyspace}.artifacts_by_grant (grant_id, model, artifact_key) VALUES (?, ?, ?) USING TTL ?`,
      remove: `DELETE FROM ${keyspace}.artifacts_by_grant WHERE grant_id = ? AND model = ? AND artifact_key = ?`,
      select: `SELECT model, artifact_key FROM ${keyspace}.artifacts_by_grant WHERE grant_id = ?`,
    },
  };
}

export type ArtifactCql = ReturnType<typeof artifactStatements>;

/**
 * Bind values of the value columns, in order. An insert leaves null columns unset (no tombstone); a
 * replace binds null, which clears what the previous version had there.
 */
export function artifactValueParams(row: StoredArtifact, forInsert: boolean): unknown[] {
  const empty = forInsert ? undefined : null;
  const or = <T>(value: T | null) => (value === null ? empty : value);
  return [
    or(row.value),
    row.payload,
    row.sealed,
    or(row.grantId),
    or(row.uidKey),
    or(row.userCodeKey),
    row.expiresAt === null ? empty : new Date(row.expiresAt),
    row.consumedAt === null ? empty : new Date(row.consumedAt),
    new Date(row.updatedAt),
  ];
}

/**
 * The stored artifact of a driver row, or `null` for no row or a hollow one (its cells expired or were
 * replaced by a version with a TTL while the primary key lives on: treated as gone).
 */
export function artifactFromRow(r: CassandraRow | undefined): StoredArtifact | null {
  if (!r) return null;
  const model = textOf(r.model);
  const key = textOf(r.artifact_key);
  const payload = textOf(r.payload);
  const updatedAt = millis(r.updated_at);
  if (model === null || key === null || payload === null || updatedAt === null) return null;
  return {
    model,
    key,
    value: textOf(r.artifact_value),
    payload,
    sealed: r.is_sealed === true,
    grantId: textOf(r.grant_id),
    uidKey: textOf(r.uid_key),
    userCodeKey: textOf(r.user_code_key),
    expiresAt: millis(r.expires_at),
    consumedAt: millis(r.consumed_at),
    updatedAt,
  };
}

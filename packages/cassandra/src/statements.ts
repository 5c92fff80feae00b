import type { TokenKind } from '@tokenstore/core';
import { artifactStatements } from './artifact-rows.js';
import { CLIENT_COLUMNS, TOKEN_TABLES, tokenColumns } from './token-rows.js';

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** The CQL of one token table. */
export interface TokenStatements {
  /** The hot path: one partition read by key. */
  select: string;
  /** The row plus what a conditional change needs: `change_id` and the remaining TTL of the row. */
  selectForUpdate: string;
  /** Binds the row's columns, `change_id`, then the TTL. */
  insert: string;
  /** Binds TTL, state, state_changed_at, change_id, key, expected state. */
  changeState: string;
  /** Binds key, change_id: deletes only the version that was read. */
  deleteIfUnchanged: string;
  /** Binds TTL, state, state_changed_at, [rotated_at, reuse_count,] change_id, key. */
  copyState: string;
  /** Binds TTL, value, change_id, key: a re-sealed value under the same lookup key (rewrap). */
  replaceValue: string;
  /**
   * Rewrites every column of a row as it is, with a new TTL (TTLs are per cell: a longer one on the
   * changed cells alone would not keep the row). Binds TTL, the row's columns but `key`, change_id
   * (unchanged), key, expected change_id.
   */
  retain: string;
  scan: string;
}

function tokenStatements(keyspace: string, kind: TokenKind): TokenStatements {
  const table = `${keyspace}.${TOKEN_TABLES[kind]}`;
  const columns = tokenColumns(kind);
  const list = columns.join(', ');
  const extraState = kind === 'refreshToken' ? ', rotated_at = ?, reuse_count = ?' : '';
  return {
    select: `SELECT ${list} FROM ${table} WHERE key = ?`,
    selectForUpdate: `SELECT ${list}, change_id, TTL(consumer_key) AS row_ttl FROM ${table} WHERE key = ?`,
    insert: `INSERT INTO ${table} (${list}, change_id) VALUES (${placeholders(columns.length + 1)}) IF NOT EXISTS USING TTL ?`,
    changeState: `UPDATE ${table} USING TTL ? SET state = ?, state_changed_at = ?, change_id = ? WHERE key = ? IF state = ?`,
    deleteIfUnchanged: `DELETE FROM ${table} WHERE key = ? IF change_id = ?`,
    copyState: `UPDATE ${table} USING TTL ? SET state = ?, state_changed_at = ?${extraState}, change_id = ? WHERE key = ? IF EXISTS`,
    replaceValue: `UPDATE ${table} USING TTL ? SET value = ?, change_id = ? WHERE key = ? IF EXISTS`,
    retain: `UPDATE ${table} USING TTL ? SET ${columns
      .slice(1)
      .map((column) => `${column} = ?`)
      .join(', ')}, change_id = ? WHERE key = ? IF change_id = ?`,
    scan: `SELECT ${list} FROM ${table}`,
  };
}

/** Every statement the store sends, for one keyspace. All are prepared. */
export function buildStatements(keyspace: string) {
  const ks = keyspace;
  const refresh = `${ks}.refresh_tokens`;
  const clientList = CLIENT_COLUMNS.join(', ');
  const clientSet = CLIENT_COLUMNS.slice(1)
    .map((column) => `${column} = ?`)
    .join(', ');
  return {
    tokens: {
      accessToken: tokenStatements(ks, 'accessToken'),
      refreshToken: tokenStatements(ks, 'refreshToken'),
      authorizationCode: tokenStatements(ks, 'authorizationCode'),
    } satisfies Record<TokenKind, TokenStatements>,
    rotation: {
      /** Binds TTL, rotated_at, state_changed_at, change_id, key, expected reuse_count. */
      rotate: `UPDATE ${refresh} USING TTL ? SET state = 'INACTIVE', rotated_at = ?, state_changed_at = ?, change_id = ? WHERE key = ? IF state = 'ACTIVE' AND reuse_count = ?`,
      /** A grace-window reuse. Binds TTL, new reuse_count, change_id, key, expected reuse_count. */
      reuseAgain: `UPDATE ${refresh} USING TTL ? SET reuse_count = ?, change_id = ? WHERE key = ? IF state = 'INACTIVE' AND reuse_count = ?`,
    },
    lookups: {
      byUser: {
        insert: `INSERT INTO ${ks}.tokens_by_user (user_id, kind, token_key, consumer_key, user_type) VALUES (?, ?, ?, ?, ?) USING TTL ?`,
        remove: `DELETE FROM ${ks}.tokens_by_user WHERE user_id = ? AND kind = ? AND token_key = ?`,
        select: `SELECT kind, token_key, consumer_key, user_type FROM ${ks}.tokens_by_user WHERE user_id = ?`,
      },
      byConsumer: {
        insert: `INSERT INTO ${ks}.tokens_by_consumer (consumer_key, kind, token_key) VALUES (?, ?, ?) USING TTL ?`,
        remove: `DELETE FROM ${ks}.tokens_by_consumer WHERE consumer_key = ? AND kind = ? AND token_key = ?`,
        select: `SELECT kind, token_key FROM ${ks}.tokens_by_consumer WHERE consumer_key = ?`,
      },
      byGrant: {
        insert: `INSERT INTO ${ks}.tokens_by_grant (grant_id, kind, token_key) VALUES (?, ?, ?) USING TTL ?`,
        remove: `DELETE FROM ${ks}.tokens_by_grant WHERE grant_id = ? AND kind = ? AND token_key = ?`,
        select: `SELECT kind, token_key FROM ${ks}.tokens_by_grant WHERE grant_id = ?`,
      },
    },
    slots: {
      select: `SELECT token_key FROM ${ks}.access_token_slots WHERE reuse_key = ?`,
      /** Binds reuse_key, token_key, TTL. */
      claim: `INSERT INTO ${ks}.access_token_slots (reuse_key, token_key) VALUES (?, ?) IF NOT EXISTS USING TTL ?`,
      /** Binds TTL, new token_key, reuse_key, expected holder (null: a free slot). */
      takeOver: `UPDATE ${ks}.access_token_slots USING TTL ? SET token_key = ? WHERE reuse_key = ? IF token_key = ?`,
      /** Binds reuse_key, holder. */
      release: `DELETE FROM ${ks}.access_token_slots WHERE reuse_key = ? IF token_key = ?`,
    },
    purge: {
      /** Binds kind, reason, bucket, event_at, token_key, TTL. */
      insertEntry: `INSERT INTO ${ks}.purge_index (kind, reason, bucket, event_at, token_key) VALUES (?, ?, ?, ?, ?) USING TTL ?`,
      removeEntry: `DELETE FROM ${ks}.purge_index WHERE kind = ? AND reason = ? AND bucket = ? AND event_at = ? AND token_key = ?`,
      /** Binds kind, reason, bucket, cut-off, limit. */
      selectDue: `SELECT event_at, token_key FROM ${ks}.purge_index WHERE kind = ? AND reason = ? AND bucket = ? AND event_at <= ? LIMIT ?`,
      /** One range tombstone for every processed entry of a bucket. Binds kind, reason, bucket, event_at, token_key. */
      removeUpTo: `DELETE FROM ${ks}.purge_index WHERE kind = ? AND reason = ? AND bucket = ? AND (event_at, token_key) <= (?, ?)`,
      removeBucket: `DELETE FROM ${ks}.purge_index WHERE kind = ? AND reason = ? AND bucket = ?`,
      /** Binds kind, reason, bucket, TTL. */
      registerBucket: `INSERT INTO ${ks}.purge_buckets (kind, reason, bucket) VALUES (?, ?, ?) USING TTL ?`,
      /** Binds kind, reason, last bucket, limit. */
      selectBuckets: `SELECT bucket FROM ${ks}.purge_buckets WHERE kind = ? AND reason = ? AND bucket <= ? LIMIT ?`,
      unregisterBucket: `DELETE FROM ${ks}.purge_buckets WHERE kind = ? AND reason = ? AND bucket = ?`,
    },
    lease: {
      select: `SELECT owner, expires_at FROM ${ks}.purge_lease WHERE name = ?`,
      /** Binds name, owner, expires_at, TTL. */
      take: `INSERT INTO ${ks}.purge_lease (name, owner, expires_at) VALUES (?, ?, ?) IF NOT EXISTS USING TTL ?`,
      /** Binds TTL, owner, expires_at, name, owner. */
      renew: `UPDATE ${ks}.purge_lease USING TTL ? SET owner = ?, expires_at = ? WHERE name = ? IF owner = ?`,
      /** Binds TTL, owner, expires_at, name, previous owner, previous expires_at. */
      takeOver: `UPDATE ${ks}.purge_lease USING TTL ? SET owner = ?, expires_at = ? WHERE name = ? IF owner = ? AND expires_at = ?`,
      release: `DELETE FROM ${ks}.purge_lease WHERE name = ? IF owner = ?`,
    },
    clients: {
      select: `SELECT ${clientList} FROM ${ks}.clients WHERE consumer_key = ?`,
      insert: `INSERT INTO ${ks}.clients (${clientList}) VALUES (${placeholders(CLIENT_COLUMNS.length)}) IF NOT EXISTS`,
      /** Compare-and-set. Binds every column but the key, then the key, then the expected updated_at. */
      update: `UPDATE ${ks}.clients SET ${clientSet} WHERE consumer_key = ? IF updated_at = ?`,
      remove: `DELETE FROM ${ks}.clients WHERE consumer_key = ? IF EXISTS`,
      scan: `SELECT ${clientList} FROM ${ks}.clients`,
    },
    artifacts: artifactStatements(ks),
  };
}

export type Statements = ReturnType<typeof buildStatements>;

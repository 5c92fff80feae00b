import { createHash } from 'node:crypto';
import type { TokenKind } from '@tokenstore/core';
import { ARTIFACT_TABLE, CLIENT_TABLE, TOKEN_TABLES } from '../../src/index.js';
import type { TestBackend } from './environment.js';
import type { RawQuery } from './test-database.js';

/** A run of generated rows numbered `first .. first + count - 1`. */
export interface BulkSegment {
  kind: TokenKind;
  first: number;
  count: number;
  /** Expired before `now` (spread over the previous hour), else valid for an hour or more after it. */
  expired: boolean;
  now: number;
  /** Every `retiredEvery`-th row is REVOKED two days before `now` (0: none). Default 10. */
  retiredEvery?: number;
}

const HOUR = 3_600_000;
/** Rows per INSERT … SELECT, so no single statement holds a huge transaction. */
const CHUNK = 100_000;

/**
 * Fills a token table with generated rows in bulk (INSERT … SELECT over a number series, no round
 * trip per row): realistic, random-looking keys (MD5 of the row number), 50 clients, 1000 users,
 * 10,000 grants, so plans and timings resemble a production table. Key of row n: `<kind>-<md5(n)>`.
 */
export async function bulkLoadTokens(query: RawQuery, backend: TestBackend, segment: BulkSegment): Promise<void> {
  for (let first = segment.first; first < segment.first + segment.count; first += CHUNK) {
    const count = Math.min(CHUNK, segment.first + segment.count - first);
    await query(insertSql(backend, { ...segment, first, count }));
  }
}

/** The lookup key bulk-loaded row `n` of `kind` gets. */
export function bulkKey(kind: TokenKind, n: number): string {
  return `${kind}-${createHash('md5').update(String(n)).digest('hex')}`;
}

/** `count` clients `client-0 … client-<count-1>`. */
export async function bulkLoadClients(query: RawQuery, backend: TestBackend, count: number, now: number): Promise<void> {
  const sql = backend === 'postgres' ? pgSql : mysqlSql;
  await query(
    `INSERT INTO ${CLIENT_TABLE} (consumer_key, secret_key, secret_value, client_name, grant_types, redirect_uris, created_at, updated_at)
SELECT ${sql.concat("'client-'", 'n')}, ${sql.md5(sql.concat("'secret-'", 'n'))}, NULL, NULL, '[]', '[]', ${now}, ${now} FROM ${sql.series(0, count)}`,
  );
}

/**
 * `count` provider artifacts over five models, half of them expired before `now` and one in ten
 * never expiring, with grants, uids and user codes spread like the token rows' (1000 grants).
 */
export async function bulkLoadArtifacts(query: RawQuery, backend: TestBackend, count: number, now: number): Promise<void> {
  const sql = backend === 'postgres' ? pgSql : mysqlSql;
  const models =
    "CASE n % 5 WHEN 0 THEN 'Session' WHEN 1 THEN 'AccessToken' WHEN 2 THEN 'AuthorizationCode' WHEN 3 THEN 'DeviceCode' ELSE 'Grant' END";
  await query(
    `INSERT INTO ${ARTIFACT_TABLE} (model, artifact_key, artifact_value, payload, is_sealed, grant_id, uid_key, user_code_key, expires_at, consumed_at, updated_at)
SELECT ${models}, ${sql.md5(sql.concat("'artifact-'", sql.text('n')))}, NULL, '{}', ${sql.false}, ${sql.concat("'grant-'", 'n % 1000')},
  ${sql.md5(sql.concat("'uid-'", sql.text('n')))}, ${sql.md5(sql.concat("'user-code-'", sql.text('n')))},
  CASE WHEN n % 10 = 0 THEN NULL WHEN n % 2 = 0 THEN ${now - HOUR} + n ELSE ${now + HOUR} + n END, NULL, ${now}
FROM ${sql.series(0, count)}`,
  );
}

function insertSql(backend: TestBackend, segment: BulkSegment & { retiredEvery?: number }): string {
  const sql = backend === 'postgres' ? pgSql : mysqlSql;
  const { kind, now } = segment;
  const retiredEvery = segment.retiredEvery ?? 10;
  const retired = retiredEvery > 0 ? `n % ${retiredEvery} = 0` : 'FALSE';
  const expiresAt = segment.expired ? `${now - HOUR} + (n % ${HOUR - 1000})` : `${now + HOUR} + (n % ${HOUR})`;
  const issuedAt = `(${expiresAt}) - ${HOUR}`;
  const columns: Array<[string, string]> = [
    ['token_key', sql.concat(`'${kind}-'`, sql.md5(sql.text('n')))],
    ['token_value', 'NULL'],
    ['consumer_key', sql.concat("'client-'", 'n % 50')],
    ['user_id', sql.concat("'user-'", 'n % 1000')],
    ['user_type', "'APPLICATION_USER'"],
    ['scopes', "'openid profile'"],
    ['grant_id', sql.concat("'grant-'", 'n % 10000')],
    ['state', `CASE WHEN ${retired} THEN 'REVOKED' ELSE 'ACTIVE' END`],
    ['issued_at', issuedAt],
    ['expires_at', expiresAt],
    ['state_changed_at', `CASE WHEN ${retired} THEN ${now - 2 * 24 * HOUR} ELSE ${issuedAt} END`],
  ];
  if (kind === 'accessToken')
    columns.push(['reuse_key', sql.md5(sql.concat("'reuse-'", 'n'))], ['is_exclusive', sql.false], ['grant_type', "'authorization_code'"]);
  if (kind === 'refreshToken') columns.push(['rotated_at', 'NULL'], ['reuse_count', '0']);
  if (kind === 'authorizationCode')
    columns.push(
      ['redirect_uri', "'https://client.example/callback'"],
      ['code_challenge', 'NULL'],
      ['code_challenge_method', 'NULL'],
      ['nonce', 'NULL'],
    );
  return `INSERT INTO ${TOKEN_TABLES[kind]} (${columns.map(([name]) => name).join(', ')})
SELECT ${columns.map(([, expression]) => expression).join(', ')} FROM ${sql.series(segment.first, segment.count)}`;
}

interface SqlFlavour {
  concat(...parts: string[]): string;
  md5(expression: string): string;
  text(expression: string): string;
  /** A row source with one column `n` = first .. first + count - 1. */
  series(first: number, count: number): string;
  false: string;
}

const pgSql: SqlFlavour = {
  concat: (...parts) => parts.map((part) => `(${part})`).join(' || '),
  md5: (expression) => `md5(${expression})`,
  text: (expression) => `${expression}::text`,
  series: (first, count) => `generate_series(${first}, ${first + count - 1}) AS g(n)`,
  false: 'FALSE',
};

const DIGITS =
  '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';

const mysqlSql: SqlFlavour = {
  concat: (...parts) => `CONCAT(${parts.join(', ')})`,
  md5: (expression) => `MD5(${expression})`,
  text: (expression) => expression,
  series: (first, count) => {
    const places = Math.max(1, Math.ceil(Math.log10(count)));
    const tables = Array.from({ length: places }, (_, i) => `${DIGITS} AS d${i}`).join(' CROSS JOIN ');
    const number = Array.from({ length: places }, (_, i) => `d${i}.d * ${10 ** i}`).join(' + ');
    return `(SELECT ${first} + ${number} AS n FROM ${tables}) AS series WHERE n < ${first + count}`;
  },
  false: '0',
};

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MisconfigurationError, splitStatements } from '@tokenstore/core';
import type { CassandraClient } from './client.js';
import { BACKEND } from './errors.js';
import type { ReplicationOptions } from './options.js';

/** Every table the store writes token data to, in the order the CQL files create them. */
export const DATA_TABLES = [
  'access_tokens',
  'refresh_tokens',
  'authorization_codes',
  'clients',
  'tokens_by_user',
  'tokens_by_consumer',
  'tokens_by_grant',
  'access_token_slots',
  'purge_index',
  'purge_buckets',
  'purge_lease',
  // 008_artifacts.cql
  'artifacts',
  'artifacts_by_uid',
  'artifacts_by_user_code',
  'artifacts_by_grant',
] as const;
export type DataTable = (typeof DATA_TABLES)[number];

/** The schema bookkeeping table (which files were applied). */
export const MIGRATIONS_TABLE = 'schema_migrations';

/** The keyspace name the CQL files are written for; replaced by the configured one. */
const FILE_KEYSPACE = 'tokenstore';
const SCHEMA_FILE = /^\d{3}_[a-z0-9_]+\.cql$/;

export interface SchemaFile {
  /** File name without `.cql`, e.g. `002_tokens`. */
  version: string;
  statements: string[];
}

/**
 * The directory holding the `NNN_*.cql` files: the copy shipped inside the package (`cql/`), else the
 * repository's `sql/cassandra/` (running from source or from `dist/` in the monorepo).
 */
export function locateSchemaDirectory(): string {
  const candidates = [new URL('../cql/', import.meta.url), new URL('../../../sql/cassandra/', import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path) && readdirSync(path).some((name) => SCHEMA_FILE.test(name))) return path;
  }
  throw new MisconfigurationError(
    'schemaDirectory',
    'the CQL schema files were not found; pass schemaDirectory: "<path to sql/cassandra>"',
    {
      backend: BACKEND,
    },
  );
}

/** Reads the numbered CQL files of `directory` in order. */
export function readSchemaFiles(directory: string): SchemaFile[] {
  return readdirSync(directory)
    .filter((name) => SCHEMA_FILE.test(name))
    .sort()
    .map((name) => ({
      version: name.slice(0, -4),
      statements: splitStatements(readFileSync(join(directory, name), 'utf8'), { lineComments: ['//'], compact: true }),
    }));
}

/** The replication map in CQL, e.g. `{'class': 'NetworkTopologyStrategy', 'dc1': 3}`. */
export function replicationCql(replication: ReplicationOptions): string {
  if (replication.class === 'SimpleStrategy') return `{'class': 'SimpleStrategy', 'replication_factor': ${replication.replicationFactor}}`;
  const factors = Object.entries(replication.dataCenters).map(([dc, factor]) => `'${dc}': ${factor}`);
  return `{'class': 'NetworkTopologyStrategy', ${factors.join(', ')}}`;
}

/**
 * Turns the statements of the files into the ones to run for `keyspace`: the keyspace statement gets
 * the configured name and replication, table statements get qualified names, `USE` is dropped (the
 * store always qualifies names, so it never depends on a session keyspace).
 */
export function schemaStatements(files: SchemaFile[], keyspace: string, replication: ReplicationOptions): string[] {
  const out: string[] = [];
  for (const file of files) {
    for (const statement of file.statements) {
      if (/^USE\s/i.test(statement)) continue;
      const createKeyspace = /^CREATE KEYSPACE IF NOT EXISTS\s+("?)(\w+)\1\s+WITH\s+replication\s*=\s*\{[^}]*\}(.*)$/i.exec(statement);
      if (createKeyspace) {
        if (createKeyspace[2] !== FILE_KEYSPACE) throw new Error(`${file.version}: the keyspace statement must name "${FILE_KEYSPACE}"`);
        out.push(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replicationCql(replication)}${createKeyspace[3]}`);
        continue;
      }
      const qualified = statement.replace(
        /^(CREATE TABLE IF NOT EXISTS|INSERT INTO|ALTER TABLE|CREATE INDEX IF NOT EXISTS \w+ ON)\s+(?:tokenstore\.)?(\w+)/i,
        (_match, verb: string, table: string) => `${verb} ${keyspace}.${table}`,
      );
      if (qualified === statement) throw new Error(`${file.version}: cannot qualify statement "${statement.slice(0, 40)}..."`);
      out.push(qualified);
    }
  }
  return out;
}

/**
 * Creates the keyspace and tables (idempotent: every statement is IF NOT EXISTS) and records each file
 * in `schema_migrations`. An existing keyspace keeps its replication.
 */
export async function applySchema(
  client: CassandraClient,
  options: { keyspace: string; replication: ReplicationOptions; schemaDirectory?: string | undefined },
): Promise<void> {
  const files = readSchemaFiles(options.schemaDirectory ?? locateSchemaDirectory());
  for (const statement of schemaStatements(files, options.keyspace, options.replication)) {
    // Schema changes run one at a time: the driver waits for schema agreement after each one.
    await client.execute(statement);
  }
}

import { MemoryStore } from '@tokenstore/cache';
import { CassandraStore, CONSISTENCY_PRESETS } from '@tokenstore/cassandra';
import type { TokenStore } from '@tokenstore/core';
import { createSqlStore } from '@tokenstore/rdbms';
import { isolatedDatabaseUrl, namespacedDatabaseName } from '../../../rdbms/test/support/isolated-database.js';

/** A backend the end-to-end suite runs on: a reason to skip, or a way to open a store. */
export interface TestBackend {
  name: string;
  skip?: string;
  /** A fresh store (an isolated schema, database or keyspace of this package's own). */
  openStore(): Promise<TokenStore>;
  /** Called once after the suite. */
  cleanup?(): Promise<void>;
}

/** Schema (PostgreSQL), database (MariaDB) and keyspace (Cassandra) of this package's tests only. */
export const ISOLATED_NAME = 'tokenstore_server_e2e';

export function memoryBackend(): TestBackend {
  return { name: 'memory', openStore: async () => new MemoryStore() };
}

// Each takes the name of its schema / database / keyspace: test files running in parallel need their own.

export function postgresBackend(name = ISOLATED_NAME): TestBackend {
  const url = process.env.TOKENSTORE_TEST_POSTGRES_URL;
  if (!url) return { name: 'postgres', skip: 'TOKENSTORE_TEST_POSTGRES_URL is not set', openStore: unavailable };
  return {
    name: 'postgres',
    openStore: async () => createSqlStore({ url: await isolatedDatabaseUrl('postgres', url, name), migrate: true }),
  };
}

export function mysqlBackend(name = ISOLATED_NAME): TestBackend {
  const url = process.env.TOKENSTORE_TEST_MYSQL_URL;
  if (!url) return { name: 'mysql', skip: 'TOKENSTORE_TEST_MYSQL_URL is not set', openStore: unavailable };
  return {
    name: 'mysql',
    openStore: async () => createSqlStore({ url: await isolatedDatabaseUrl('mysql', url, name), migrate: true }),
  };
}

export function cassandraBackend(name = ISOLATED_NAME): TestBackend {
  const url = process.env.TOKENSTORE_TEST_CASSANDRA_URL?.trim();
  if (!url) return { name: 'cassandra', skip: 'TOKENSTORE_TEST_CASSANDRA_URL is not set', openStore: unavailable };
  return {
    name: 'cassandra',
    // A keyspace of its own; rows of earlier runs do no harm (every test registers its own clients).
    openStore: () => {
      const target = new URL(url);
      target.pathname = '/'; // the keyspace is ours, whatever the URL names
      return CassandraStore.create({
        url: target.toString(),
        keyspace: namespacedDatabaseName(name),
        createSchema: true,
        consistency: CONSISTENCY_PRESETS.production,
      });
    },
  };
}

async function unavailable(): Promise<TokenStore> {
  throw new Error('backend is skipped');
}

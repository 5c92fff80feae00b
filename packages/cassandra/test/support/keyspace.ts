import { DATA_TABLES } from '@tokenstore/cassandra';
import type cassandra from 'cassandra-driver';

/** Tables `inspect` shows: every table holding token data (not the lease or the bucket bookkeeping). */
export const INSPECTED_TABLES = DATA_TABLES.filter((table) => table !== 'purge_lease' && table !== 'purge_buckets');

/** Deleted partitions per table after which the table is truncated instead (its tombstones would slow scans). */
const TOMBSTONE_BUDGET = 1000;
const tombstones = new Map<string, number>();

/**
 * Empties every data table of `keyspace`. TRUNCATE costs ~20 ms per table on an idle node (it flushes
 * and Cassandra serialises it), far more than a test's own work, so a table is emptied by deleting its
 * few partitions, and truncated only once the tombstones of those deletes add up.
 */
export async function emptyKeyspace(client: cassandra.Client, keyspace: string): Promise<void> {
  await Promise.all(
    DATA_TABLES.map(async (table) => {
      const metadata = await client.metadata.getTable(keyspace, table);
      if (!metadata) throw new Error(`table ${keyspace}.${table} does not exist`);
      const columns = metadata.partitionKeys.map((column) => column.name);
      const where = columns.map((column) => `${column} = ?`).join(' AND ');
      const partitions = new Map<string, unknown[]>();
      const rows = await client.execute(`SELECT ${columns.join(', ')} FROM ${keyspace}.${table}`, [], { fetchSize: 10_000 });
      for (const row of rows.rows) {
        const values = columns.map((column) => row[column]);
        partitions.set(JSON.stringify(values), values);
      }
      if (partitions.size === 0) return;
      const id = `${keyspace}.${table}`;
      const deleted = (tombstones.get(id) ?? 0) + partitions.size;
      if (deleted > TOMBSTONE_BUDGET) {
        await client.execute(`TRUNCATE ${id}`);
        tombstones.set(id, 0);
        return;
      }
      tombstones.set(id, deleted);
      await Promise.all(
        [...partitions.values()].map((values) => client.execute(`DELETE FROM ${id} WHERE ${where}`, values, { prepare: true })),
      );
    }),
  );
}

/** Every row of every inspected table, raw driver values, each tagged with its table. */
export async function dumpTables(client: cassandra.Client, keyspace: string): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const table of INSPECTED_TABLES) {
    const result = await client.execute(`SELECT * FROM ${keyspace}.${table}`, [], { fetchSize: 10_000 });
    for (const row of result.rows) rows.push({ table, ...row });
  }
  return rows;
}

/**
 * Keyspaces handed out in turn so that emptying the one a test used overlaps with the next test, which
 * runs in another keyspace: the conformance suite needs an empty store per test, and truncation is
 * the slowest part of a test on Cassandra.
 */
export class KeyspaceRotation {
  readonly keyspaces: readonly string[];
  readonly #emptying = new Map<string, Promise<void>>();
  #next = 0;

  constructor(
    readonly client: () => cassandra.Client,
    prefix: string,
    size = 2,
  ) {
    this.keyspaces = Array.from({ length: size }, (_, i) => `${prefix}_${i + 1}`);
  }

  /** An empty keyspace (waits for its emptying if it is still under way). */
  async acquire(): Promise<string> {
    const keyspace = this.keyspaces[this.#next++ % this.keyspaces.length]!;
    await (this.#emptying.get(keyspace) ?? emptyKeyspace(this.client(), keyspace));
    this.#emptying.delete(keyspace);
    return keyspace;
  }

  /** Starts emptying a keyspace a test is done with; the next `acquire` of it waits for that. */
  release(keyspace: string): void {
    this.#emptying.set(keyspace, emptyKeyspace(this.client(), keyspace));
  }

  /** Waits for emptying still under way (before the client is shut down). */
  async drain(): Promise<void> {
    await Promise.allSettled(this.#emptying.values());
  }

  /** Drains, then drops every keyspace of the rotation (they are this run's own). */
  async drop(): Promise<void> {
    await this.drain();
    for (const keyspace of this.keyspaces) await this.client().execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  }
}

/**
 * `name`, suffixed with `TOKENSTORE_TEST_NAMESPACE` when that is set (letters, digits, `_`), so two
 * checkouts running their suites on one Cassandra node at the same time never share a keyspace (as
 * the SQL suites' `namespacedDatabaseName`).
 */
export function namespacedKeyspace(name: string): string {
  const namespace = process.env.TOKENSTORE_TEST_NAMESPACE;
  if (namespace === undefined || namespace === '') return name;
  if (!/^[a-z0-9_]{1,16}$/.test(namespace)) throw new Error('TOKENSTORE_TEST_NAMESPACE must be 1 to 16 characters of [a-z0-9_]');
  return `${name}_${namespace}`;
}

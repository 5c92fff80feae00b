import type { TokenCount } from '@tokenstore/core';
import type { CassandraResult } from './client.js';

/**
 * The node's estimate of a table's rows, from `system.size_estimates` (one partition per token row in
 * every token table): Cassandra keeps no exact count, and `SELECT COUNT(*)` would read the whole
 * table on every replica. The estimate covers the node the driver asked (on a cluster, multiply by
 * nodes / replication factor yourself), is refreshed by Cassandra every few minutes and ignores
 * memtables not yet flushed — so it is labelled `exact: false` and carries no breakdown by state.
 */
export async function estimateTableRows(
  execute: (query: string, params: unknown[]) => Promise<CassandraResult>,
  keyspace: string,
  table: string,
): Promise<TokenCount> {
  const result = await execute('SELECT partitions_count FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?', [
    keyspace,
    table,
  ]);
  let total = 0;
  for (const row of result.rows ?? []) {
    const value = Number(String(row.partitions_count ?? 0));
    if (Number.isFinite(value) && value > 0) total += value;
  }
  return { exact: false, total: Math.round(total), byState: null, activeExpired: null, neverExpires: null };
}

import { CassandraStore, locateSchemaDirectory, readSchemaFiles } from '@tokenstore/cassandra';
import type { TokenStore } from '@tokenstore/core';
import type { MigrationResult } from '@tokenstore/rdbms';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson } from '../output.js';

/** What `tokenstore migrate --json` prints. */
export interface MigrateReport {
  backend: string;
  /** `sql`: files applied by this run (empty when up to date). `cassandra`: every file (idempotent statements). */
  applied: string[];
  /** Highest schema version in the database after the run (`null` for memory). */
  version: number | string | null;
  upToDate: boolean;
  message: string;
}

/**
 * `tokenstore migrate`: applies the schema of the backend in TOKENSTORE_URL. SQL runs the numbered files
 * with the MigrationRunner (records versions, takes a lock, skips applied ones); Cassandra creates the
 * keyspace and tables (every statement IF NOT EXISTS); memory has nothing to do. Safe to run twice.
 */
export async function migrateCommand(context: CommandContext, options: { json?: boolean }): Promise<number> {
  const config = context.config();
  let report: MigrateReport;
  if (config.backend.kind === 'memory') {
    report = {
      backend: 'memory',
      applied: [],
      version: null,
      upToDate: true,
      message: 'memory: nothing to migrate (the in-memory store has no schema)',
    };
  } else {
    // Migrate the store itself, not a read cache in front of it. Cassandra applies its CQL while
    // connecting (createSchema); SQL runs the MigrationRunner after.
    const cassandra = config.backend.kind === 'cassandra';
    const store = await context.openStore({ ...config, readCache: undefined }, { migrate: cassandra });
    try {
      report = cassandra ? cassandraReport(store, config.backend.label) : await migrateSql(store, config.backend.label);
    } finally {
      await store.close();
    }
  }
  if (options.json) writeJson(context.stdout, report);
  else context.stdout.write(`${report.message}\n`);
  return ExitCode.Ok;
}

async function migrateSql(store: TokenStore, label: string): Promise<MigrateReport> {
  const migrate = (store as TokenStore & { migrate?: () => Promise<MigrationResult> }).migrate;
  if (typeof migrate !== 'function') throw new Error(`the ${store.backend} store has no migrate()`);
  const result = await migrate.call(store);
  const upToDate = result.applied.length === 0;
  return {
    backend: store.backend,
    applied: result.applied,
    version: result.version,
    upToDate,
    message: upToDate
      ? `${label}: schema up to date (version ${result.version})`
      : `${label}: applied ${result.applied.join(', ')}; schema version ${result.version}`,
  };
}

function cassandraReport(store: TokenStore, label: string): MigrateReport {
  const files = readSchemaFiles(locateSchemaDirectory()).map((file) => file.version);
  const keyspace = store instanceof CassandraStore ? store.keyspace : 'tokenstore';
  return {
    backend: 'cassandra',
    applied: files,
    version: files.at(-1) ?? null,
    upToDate: true,
    message: `${label}: keyspace ${keyspace} has the schema (${files.join(', ')}; every statement is IF NOT EXISTS, existing tables are kept)`,
  };
}

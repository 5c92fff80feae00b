import { DATA_TABLES, locateSchemaDirectory, MIGRATIONS_TABLE, readSchemaFiles, schemaStatements } from '@tokenstore/cassandra';
import { describe, expect, it } from 'vitest';

describe('CQL schema files', () => {
  const files = readSchemaFiles(locateSchemaDirectory());

  it('are numbered files read in order, each recording itself in schema_migrations', () => {
    expect(files.map((file) => file.version)).toEqual([
      '001_keyspace',
      '002_tokens',
      '003_clients',
      '004_lookups',
      '005_purge',
      '006_client_policy',
      '007_confirmation',
      '008_artifacts',
    ]);
    for (const file of files)
      expect(file.statements.at(-1)).toContain(`INSERT INTO ${MIGRATIONS_TABLE} (version, applied_at) VALUES ('${file.version}'`);
  });

  it('create every table the store uses', () => {
    const created = files
      .flatMap((file) => file.statements)
      .flatMap((statement) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(statement)?.[1] ?? []);
    expect(new Set(created)).toEqual(new Set([...DATA_TABLES, MIGRATIONS_TABLE]));
  });

  it('become statements for the configured keyspace and replication, with every table qualified', () => {
    const statements = schemaStatements(files, 'tokens_eu', { class: 'NetworkTopologyStrategy', dataCenters: { dc1: 3, dc2: 3 } });
    expect(statements[0]).toBe(
      "CREATE KEYSPACE IF NOT EXISTS tokens_eu WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3} AND durable_writes = true",
    );
    expect(statements.some((statement) => /^USE /i.test(statement))).toBe(false);
    for (const statement of statements.slice(1))
      expect(statement).toMatch(/^(CREATE TABLE IF NOT EXISTS|INSERT INTO|ALTER TABLE) tokens_eu\.\w+/);
    expect(schemaStatements(files, 'ks', { class: 'SimpleStrategy', replicationFactor: 1 })[0]).toContain(
      "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    );
  });

  it('explain their compaction choices in comments: TWCS for the purge index, LCS for tables updated in place', () => {
    const purge = files.find((file) => file.version === '005_purge')!.statements.find((s) => s.includes('TABLE IF NOT EXISTS purge_index'));
    expect(purge).toContain('TimeWindowCompactionStrategy');
    const tokens = files.find((file) => file.version === '002_tokens')!.statements.filter((s) => s.startsWith('CREATE TABLE'));
    for (const statement of tokens) expect(statement).toContain('LeveledCompactionStrategy');
  });
});

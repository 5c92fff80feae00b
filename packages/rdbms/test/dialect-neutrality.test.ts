import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MysqlDialect, PostgresDialect, type SqlDialect } from '../src/index.js';

const source = fileURLToPath(new URL('../src/', import.meta.url));
/** A comparison against a database name: the `if (dialect === …)` the design forbids outside dialects/. */
const DIALECT_BRANCH = /(===|!==|==|!=|case)\s*['"`](postgres|postgresql|mysql|mariadb|mssql|sqlserver|oracle|db2)['"`]|\.name\s*(===|!==)/;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(directory, entry.name)) : entry.name.endsWith('.ts') ? [join(directory, entry.name)] : [],
  );
}

describe('dialect isolation', () => {
  it('keeps the store, statements, migrations and schema code free of branches on a database name', () => {
    const shared = sourceFiles(source).filter((file) => !relative(source, file).startsWith('dialects/'));
    expect(shared.length).toBeGreaterThan(5);
    const branches = shared.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, index) => ({ line: line.trim(), where: `${relative(source, file)}:${index + 1}` }))
        .filter(({ line }) => DIALECT_BRANCH.test(line) && !line.startsWith('//') && !line.startsWith('*')),
    );
    expect(branches).toEqual([]);
  });

  it('would notice such a branch (the check can fail)', () => {
    expect(DIALECT_BRANCH.test("if (this.dialect.name === 'mysql') {")).toBe(true);
    expect(DIALECT_BRANCH.test("case 'postgres':")).toBe(true);
  });

  it.each<[string, SqlDialect]>([
    ['postgres', new PostgresDialect()],
    ['mysql', new MysqlDialect()],
  ])('%s declares every capability flag and EXPLAIN support', (_name, dialect) => {
    expect(Object.keys(dialect.capabilities).sort()).toEqual([
      'supportsOutput',
      'supportsPartialIndexes',
      'supportsReturning',
      'supportsSkipLocked',
      'supportsTransactionalDdl',
    ]);
    expect(dialect.explain).toBeDefined();
  });

  it('archives in one statement exactly when the dialect has RETURNING or OUTPUT', () => {
    for (const dialect of [new PostgresDialect(), new MysqlDialect()]) {
      const oneStatement = dialect.purgeAndArchiveBatch({ table: 't', auditTable: 't_audit', columns: ['token_key'] }) !== undefined;
      expect(oneStatement).toBe(dialect.capabilities.supportsReturning || dialect.capabilities.supportsOutput);
    }
  });
});

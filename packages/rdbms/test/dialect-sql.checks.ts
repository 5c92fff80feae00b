import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitStatements } from '@tokenstore/core';
import nodeSqlParser from 'node-sql-parser';
import type { SqlDialect } from '../src/dialects/dialect.js';
import { SCHEMA_VERSION_TABLE, type SqlStatement, StatementCatalog } from '../src/index.js';

/**
 * Shared checks of the dialect-sql.<db>.test.ts files: the statements a dialect generates, compiled
 * as the store compiles them, and the schema files split as the migration runner splits them.
 */

const { Parser } = nodeSqlParser;
const parser = new Parser();

/** Every statement the store can send through `dialect`, by name, with example parameters. */
export function catalogStatements(dialect: SqlDialect): SqlStatement[] {
  return new StatementCatalog(dialect).samples();
}

/** Statements the migration runner sends as they are (no markers, no parameters). */
export function runnerStatements(dialect: SqlDialect): Array<{ name: string; sql: string }> {
  return [
    { name: 'migrationLock.tryAcquire', sql: dialect.migrationLock.tryAcquire },
    { name: 'migrationLock.release', sql: dialect.migrationLock.release },
    { name: 'createSchemaVersionTable', sql: dialect.createSchemaVersionTable(SCHEMA_VERSION_TABLE) },
  ];
}

/** The statements of `sql/<dialect>/<file>`, split by the migration runner's own splitter. */
export function schemaStatements(dialect: string, file: string): string[] {
  const path = fileURLToPath(new URL(`../../../sql/${dialect}/${file}`, import.meta.url));
  return splitStatements(readFileSync(path, 'utf8'));
}

/** SQL with '…' strings, "…" identifiers and comments blanked out, so checks see only the code. */
export function codeOnly(sql: string): string {
  let code = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      code += ' ';
    } else if (ch === "'" || ch === '"') {
      let end = i + 1;
      while (end < sql.length && !(sql[end] === ch && sql[end + 1] !== ch)) end += sql[end] === ch ? 2 : 1;
      code += ch + ch;
      i = end + 1;
    } else {
      code += ch;
      i++;
    }
  }
  return code;
}

/** Parentheses balance and never close before they open; quotes are paired. */
export function isBalanced(sql: string): boolean {
  const withoutComments = sql.replace(/--[^\n]*/g, '');
  if ((withoutComments.replace(/''/g, '').match(/'/g)?.length ?? 0) % 2 !== 0) return false;
  let depth = 0;
  for (const ch of codeOnly(sql)) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** `:name` markers left in code after compilation (a `::` cast is not one). */
export function leftoverMarkers(sql: string): string[] {
  return [...codeOnly(sql).matchAll(/(?<!:):([A-Za-z_]\w*)/g)].map((match) => match[0]);
}

/** The placeholders of compiled SQL, in order of appearance, e.g. `['@p1', '@p2']`. */
export function placeholders(sql: string, pattern: RegExp): string[] {
  return [...codeOnly(sql).matchAll(pattern)].map((match) => match[0]);
}

/**
 * A syntax check through node-sql-parser, for databases it has a grammar for. The grammar does not
 * know every construct the dialect uses, so a check lists, explicitly:
 * - `reductions`: constructs replaced by a simpler equivalent the grammar knows before parsing
 *   (types it lacks, trailing locking clauses), so the rest of the statement is still checked;
 * - `unsupported`: statement kinds the grammar cannot parse at all, each with the reason. The test
 *   asserts that they really fail (so the list shrinks when the grammar grows) and that every kind
 *   matches some statement (so it holds no stale entries).
 */
export interface SyntaxCheck {
  /** node-sql-parser's database option: `TransactSQL`, `db2`. */
  database: string;
  /** Rewrites placeholders into a form the grammar accepts. */
  preparePlaceholders(sql: string): string;
  reductions: ReadonlyArray<{ pattern: RegExp; replacement: string; why: string }>;
  unsupported: ReadonlyArray<{ kind: string; matches: RegExp; why: string }>;
}

export interface SyntaxVerdict {
  /** The unsupported kind the statement belongs to, if any. */
  unsupportedKind: string | undefined;
  /** The parse error, if parsing failed. */
  error: string | undefined;
}

export function checkSyntax(check: SyntaxCheck, sql: string): SyntaxVerdict {
  const unsupportedKind = check.unsupported.find((entry) => entry.matches.test(sql))?.kind;
  let reduced = check.preparePlaceholders(sql);
  for (const reduction of check.reductions) reduced = reduced.replace(reduction.pattern, reduction.replacement);
  try {
    parser.astify(reduced, { database: check.database });
    return { unsupportedKind, error: undefined };
  } catch (error) {
    return { unsupportedKind, error: (error as Error).message.split('\n')[0] };
  }
}

/**
 * Checks many statements at once: the failures (a parse error outside the unsupported kinds, or a statement
 * of an unsupported kind that parses now, so its entry is stale and hides a check) and the unsupported kinds met.
 */
export function checkAllSyntax(check: SyntaxCheck, statements: ReadonlyArray<{ name: string; sql: string }>) {
  const failures: string[] = [];
  const unsupportedSeen = new Set<string>();
  for (const { name, sql } of statements) {
    const verdict = checkSyntax(check, sql);
    if (verdict.unsupportedKind) {
      unsupportedSeen.add(verdict.unsupportedKind);
      if (verdict.error === undefined) failures.push(`${name}: parses now, remove "${verdict.unsupportedKind}" from the unsupported list`);
    } else if (verdict.error !== undefined) {
      failures.push(`${name}: ${verdict.error}`);
    }
  }
  return { failures, unsupportedSeen: [...unsupportedSeen].sort() };
}

/** Table name → its column definitions (name → declared type), read from CREATE TABLE statements. */
export function declaredColumns(statements: readonly string[]): Map<string, Map<string, string>> {
  const tables = new Map<string, Map<string, string>>();
  for (const statement of statements) {
    const code = statement.replace(/--[^\n]*/g, '');
    const altered = /ALTER TABLE (\w+)\s+ADD\b/i.exec(code);
    if (altered) {
      // ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c type, … (a later migration adding columns).
      const columns = tables.get(altered[1]!.toLowerCase()) ?? new Map<string, string>();
      for (const line of code.slice(altered.index + altered[0].length).split('\n')) {
        const column = /^\s*(?:ADD\s+)?(?:COLUMN\s+)?(?:IF NOT EXISTS\s+)?\(?\s*(\w+)\s+(\w+(?:\([^)]*\))?)/i.exec(line);
        if (column && !/^(CONSTRAINT|PRIMARY|GENERATED)$/i.test(column[1]!)) columns.set(column[1]!.toLowerCase(), column[2]!);
      }
      tables.set(altered[1]!.toLowerCase(), columns);
      continue;
    }
    const header = /CREATE TABLE (\w+) \(/i.exec(code);
    if (!header) continue;
    const columns = new Map<string, string>();
    for (const line of code.slice(header.index + header[0].length).split('\n')) {
      const column = /^\s+(\w+)\s+(\w+(?:\([^)]*\))?)/.exec(line);
      if (column && !/^(CONSTRAINT|PRIMARY|GENERATED)$/i.test(column[1]!)) columns.set(column[1]!.toLowerCase(), column[2]!);
    }
    tables.set(header[1]!.toLowerCase(), columns);
  }
  return tables;
}

/** Index name → table, read from CREATE [UNIQUE] [NONCLUSTERED] INDEX statements, less those a later DROP INDEX … ON drops. */
export function declaredIndexes(statements: readonly string[]): Map<string, string> {
  const indexes = new Map<string, string>();
  for (const statement of statements) {
    const code = statement.replace(/--[^\n]*/g, '');
    const match = /CREATE (?:UNIQUE )?(?:NONCLUSTERED )?INDEX (\w+)\s+ON (\w+)/i.exec(code);
    if (match) indexes.set(match[1]!.toLowerCase(), match[2]!.toLowerCase());
    const dropped = /DROP INDEX (\w+) ON (\w+)/i.exec(code);
    if (dropped && indexes.get(dropped[1]!.toLowerCase()) === dropped[2]!.toLowerCase()) indexes.delete(dropped[1]!.toLowerCase());
  }
  return indexes;
}

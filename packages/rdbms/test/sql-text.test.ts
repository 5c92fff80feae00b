import { splitStatements } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { compileMarkers } from '../src/statements/sql-statement.js';

describe('splitting a schema file into statements', () => {
  it('splits at top-level semicolons and drops comment-only pieces', () => {
    const script = `-- header comment; with a semicolon
CREATE TABLE a (x INT);
/* block; comment */
CREATE INDEX a_x ON a (x);
-- trailing comment only`;
    expect(splitStatements(script)).toEqual([
      '-- header comment; with a semicolon\nCREATE TABLE a (x INT)',
      '/* block; comment */\nCREATE INDEX a_x ON a (x)',
    ]);
  });

  it('keeps semicolons inside strings, quoted identifiers and comments', () => {
    const script = `INSERT INTO t VALUES ('a;b', 'it''s;'); CREATE TABLE "odd;name" (x INT); SELECT \`c;d\` FROM t -- x;y
;`;
    expect(splitStatements(script)).toEqual([
      "INSERT INTO t VALUES ('a;b', 'it''s;')",
      'CREATE TABLE "odd;name" (x INT)',
      'SELECT `c;d` FROM t -- x;y',
    ]);
  });

  it('keeps PostgreSQL dollar-quoted bodies whole', () => {
    const script = 'CREATE FUNCTION f() RETURNS void AS $body$ BEGIN PERFORM 1; END; $body$ LANGUAGE plpgsql; SELECT 1;';
    expect(splitStatements(script)).toEqual([
      'CREATE FUNCTION f() RETURNS void AS $body$ BEGIN PERFORM 1; END; $body$ LANGUAGE plpgsql',
      'SELECT 1',
    ]);
  });

  it('returns nothing for an empty script', () => {
    expect(splitStatements('  \n-- nothing\n')).toEqual([]);
  });
});

describe('compiling named markers into placeholders', () => {
  const dollar = (index: number) => `$${index}`;

  it('numbers markers in order of appearance, repeating a repeated one', () => {
    expect(compileMarkers('UPDATE t SET a = :to WHERE k = :key AND a = :from AND b = :to', dollar)).toEqual({
      sql: 'UPDATE t SET a = $1 WHERE k = $2 AND a = $3 AND b = $4',
      markers: ['to', 'key', 'from', 'to'],
    });
  });

  it('leaves casts, quoted text and comments alone', () => {
    const { sql, markers } = compileMarkers(`SELECT x::bigint, ':not' AS "a:b" FROM t -- :comment\nWHERE y = :y`, () => '?');
    expect(sql).toBe(`SELECT x::bigint, ':not' AS "a:b" FROM t -- :comment\nWHERE y = ?`);
    expect(markers).toEqual(['y']);
  });
});

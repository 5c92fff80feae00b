/**
 * Splits a SQL script into statements at top-level semicolons. Semicolons inside '…' strings (with
 * '' escapes), "…" and `…` identifiers, -- and /* *\/ comments and PostgreSQL $tag$…$tag$ bodies
 * do not split. Statements holding only comments are dropped; the text is otherwise kept as written.
 * Backslash escapes in strings are not recognised (the schema files use none).
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const text = script.slice(start, end).trim();
    if (stripComments(text).trim() !== '') statements.push(text);
  };
  while (i < script.length) {
    const ch = script[i]!;
    const next = script[i + 1];
    if (ch === "'" || ch === '"' || ch === '`') {
      i = skipQuoted(script, i, ch);
    } else if (ch === '-' && next === '-') {
      i = lineEnd(script, i);
    } else if (ch === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end < 0 ? script.length : end + 2;
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(i));
      if (tag) {
        const end = script.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? script.length : end + tag[0].length;
      } else {
        i++;
      }
    } else if (ch === ';') {
      push(i);
      i++;
      start = i;
    } else {
      i++;
    }
  }
  push(script.length);
  return statements;
}

/** Index after the closing quote; a doubled quote is an escaped one. */
function skipQuoted(script: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < script.length) {
    if (script[i] === quote) {
      if (script[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return script.length;
}

function lineEnd(script: string, from: number): number {
  const end = script.indexOf('\n', from);
  return end < 0 ? script.length : end;
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

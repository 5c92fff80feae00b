/** How {@link splitStatements} reads a script. */
export interface SplitOptions {
  /** Line-comment openers besides `--` (CQL also has `//`). */
  lineComments?: readonly string[];
  /** Drop comments and collapse whitespace in each statement (CQL); by default the text is kept as written. */
  compact?: boolean;
}

/**
 * Splits a SQL or CQL script into statements at top-level semicolons: the one splitter of the SQL
 * migrations and the CQL schema. Semicolons inside '…' strings (with '' escapes), "…" and `…`
 * identifiers, line comments (`--`, plus {@link SplitOptions.lineComments}), `/* *\/` comments and
 * PostgreSQL `$tag$…$tag$` bodies do not split. Statements holding only comments are dropped.
 * Backslash escapes in strings are not recognised (the schema files use none).
 */
export function splitStatements(script: string, options: SplitOptions = {}): string[] {
  const lineComments = ['--', ...(options.lineComments ?? [])];
  const statements: string[] = [];
  let text = ''; // the current statement, comments included unless compact
  let code = ''; // the current statement without comments (decides whether it is empty)
  const push = () => {
    if (code.trim() !== '') statements.push(options.compact ? code.trim().replace(/\s+/g, ' ') : text.trim());
    text = '';
    code = '';
  };
  let i = 0;
  while (i < script.length) {
    const ch = script[i]!;
    let end: number;
    let comment = false;
    if (ch === "'" || ch === '"' || ch === '`') {
      end = skipQuoted(script, i, ch);
    } else if (lineComments.some((opener) => script.startsWith(opener, i))) {
      end = lineEnd(script, i);
      comment = true;
    } else if (script.startsWith('/*', i)) {
      const close = script.indexOf('*/', i + 2);
      end = close < 0 ? script.length : close + 2;
      comment = true;
    } else if (ch === '$' && /^\$[A-Za-z_]*\$/.test(script.slice(i, i + 64))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(i, i + 64))![0];
      const close = script.indexOf(tag, i + tag.length);
      end = close < 0 ? script.length : close + tag.length;
    } else if (ch === ';') {
      push();
      i++;
      continue;
    } else {
      end = i + 1;
    }
    const piece = script.slice(i, end);
    text += piece;
    code += comment ? ' ' : piece;
    i = end;
  }
  push();
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

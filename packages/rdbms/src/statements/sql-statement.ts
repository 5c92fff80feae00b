import type { SqlCompiler } from '../dialects/dialect.js';

/** A statement ready to send: its name (for errors, EXPLAIN and reviews), text and parameters. */
export interface SqlStatement {
  readonly name: string;
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * A statement compiled once from text with named markers (`:key`) into the dialect's placeholders;
 * {@link bind} then only orders the arguments, so the hot path does no string work.
 */
export class StatementTemplate<Args extends object> {
  readonly name: string;
  readonly sql: string;
  /** Marker names in placeholder order (a repeated marker appears repeatedly). */
  readonly markers: readonly string[];

  constructor(dialect: SqlCompiler, name: string, text: string) {
    const compiled = compileMarkers(text, (index) => dialect.placeholder(index));
    this.name = name;
    this.sql = compiled.sql;
    this.markers = compiled.markers;
  }

  bind(args: Args): SqlStatement {
    const values = args as Record<string, unknown>;
    const params = this.markers.map((marker) => {
      const value = values[marker];
      // A missing argument is a bug in the store, not bad input: fail before the database sees it.
      if (value === undefined) throw new TypeError(`statement ${this.name}: no value for :${marker}`);
      return value;
    });
    return { name: this.name, sql: this.sql, params };
  }
}

/**
 * Replaces `:name` markers with placeholders. Leaves `::` casts, quoted strings ('…'), quoted
 * identifiers ("…", `…`) and comments untouched.
 */
export function compileMarkers(text: string, placeholder: (index: number) => string): { sql: string; markers: string[] } {
  const markers: string[] = [];
  let sql = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = text.indexOf(ch, i + 1);
      const stop = end < 0 ? text.length : end + 1;
      sql += text.slice(i, stop);
      i = stop;
    } else if (ch === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      sql += text.slice(i, stop);
      i = stop;
    } else if (ch === ':' && text[i + 1] === ':') {
      sql += '::';
      i += 2;
    } else if (ch === ':' && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))!;
      markers.push(match[0]);
      sql += placeholder(markers.length);
      i += 1 + match[0].length;
    } else {
      sql += ch;
      i++;
    }
  }
  return { sql, markers };
}

/** `:a, :b, :c` for a column list: markers named after the columns. */
export function columnMarkers(columns: readonly string[]): string {
  return columns.map((column) => `:${column}`).join(', ');
}

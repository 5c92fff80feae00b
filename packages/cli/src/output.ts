import type { RewrapKind } from '@tokenstore/core';

/** The small part of a writable stream the CLI writes to (`process.stdout`, or a test's collector). */
export interface OutputStream {
  write(text: string): unknown;
  /** True on a terminal: progress bars are drawn only then. */
  isTTY?: boolean;
  columns?: number;
}

/** Writes `value` as one line of JSON. */
export function writeJson(stream: OutputStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes an aligned text table: the first column left-aligned, the others right-aligned. */
export function writeTable(stream: OutputStream, headers: string[], rows: Array<Array<string | number>>): void {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  stream.write(`${line(cells[0]!)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n`);
  for (const row of cells.slice(1)) stream.write(`${line(row)}\n`);
}

/** 1234567 → `1,234,567`; fractions keep one decimal. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: Number.isInteger(value) ? 0 : 1 });
}

/** How tables and progress bars name each kind of row. */
export const KIND_LABELS: Readonly<Record<RewrapKind, string>> = {
  accessToken: 'access tokens',
  refreshToken: 'refresh tokens',
  authorizationCode: 'authorization codes',
  client: 'client secrets',
  artifact: 'provider artifacts',
};

import { Buffer } from 'node:buffer';
import { stringify } from './secrecy-recorder.js';

/** Every textual form of a stored value: strings as they are, binary as utf8, hex, base64 and base64url. */
function renderings(value: unknown, out: string[]): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'string') {
    out.push(value);
    return;
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    const bytes = Buffer.from(value instanceof ArrayBuffer ? new Uint8Array(value) : value);
    out.push(bytes.toString('utf8'), bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'));
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) renderings(item, out);
    out.push(stringify(value));
    return;
  }
  if (typeof value === 'object') {
    for (const item of Object.values(value as Record<string, unknown>)) renderings(item, out);
    out.push(stringify(value));
    return;
  }
  out.push(String(value));
}

/** The forms a plaintext could take if a store wrote it as text or as bytes. */
function encodingsOf(plaintext: string): string[] {
  const bytes = Buffer.from(plaintext, 'utf8');
  return [plaintext, bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
}

/**
 * The plaintexts (with their labels) found anywhere in the inspected rows, in any of their textual
 * encodings, looking into nested values and binary columns.
 */
export function findPlaintextsAtRest(rows: ReadonlyArray<Record<string, unknown>>, plaintexts: ReadonlyMap<string, string>): string[] {
  const texts: string[] = [];
  for (const row of rows) renderings(row, texts);
  const haystack = texts.join('\n');
  const found: string[] = [];
  for (const [value, label] of plaintexts) if (encodingsOf(value).some((form) => haystack.includes(form))) found.push(label);
  return found;
}

/** A canonical, order-independent text of what a store holds, to compare before and after a call. */
export function snapshotRows(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  return rows.map((row) => stringify(sortKeys(row))).sort();
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
  return Object.fromEntries(
    Object.keys(value as Record<string, unknown>)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/**
 * A rough in-memory size of a row, in bytes, for the optional `maxMemoryBytes` bound: two bytes per
 * string character plus a fixed overhead per field. It only has to be proportional, not exact.
 */
export function estimateRowBytes(row: object, key: string): number {
  let bytes = 96 + 2 * key.length;
  for (const value of Object.values(row)) {
    if (typeof value === 'string') bytes += 24 + 2 * value.length;
    else if (Array.isArray(value)) for (const item of value) bytes += 24 + (typeof item === 'string' ? 2 * item.length : 8);
    else bytes += 16;
  }
  return bytes;
}

import { PROTECTED_KINDS, type TokenStore } from '@tokenstore/core';

export { accessTokenRow, authorizationCodeRow, clientRow, refreshTokenRow } from '@tokenstore/conformance';

/** Every row a store holds, of every kind, read through its own `scan` (the cache has no other storage to look at). */
export async function scanAllRows(store: TokenStore): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const kind of PROTECTED_KINDS) {
    let cursor: string | null = null;
    do {
      const page: { rows: object[]; cursor: string | null } = await store.scan(kind, { cursor, limit: 500 });
      for (const row of page.rows) rows.push({ kind, ...row });
      cursor = page.cursor;
    } while (cursor !== null);
  }
  return rows;
}

/**
 * Wraps a store so every method call is counted (e.g. to prove a read was answered from a cache).
 * `gate`, when set, holds the answers of `get` calls (read before it opened) until it resolves.
 */
export function countingStore(inner: TokenStore) {
  const calls: Record<string, number> = {};
  const control: { gate: Promise<void> | null } = { gate: null };
  const store = new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const name = String(property);
      return async (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        const result = await value.apply(target, args);
        // A slow read: the row was read now, the answer arrives when the gate opens.
        if (name === 'get' && control.gate) await control.gate;
        return result;
      };
    },
  });
  return { store, calls, control };
}

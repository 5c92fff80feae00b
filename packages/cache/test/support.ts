import type { TokenStore } from '@tokenstore/core';

export { accessTokenRow, authorizationCodeRow, clientRow, refreshTokenRow, scanAllRows, withRetention } from '@tokenstore/conformance';

/**
 * Wraps a store so every method call is counted (e.g. to prove a read was answered from a cache).
 * `gate`, when set, holds the answers of `get` calls (read before it opened) until it resolves.
 */
/**
 * Makes the counting store's reads slow: each `get` reads its row at once and answers when the
 * returned function is called (which also stops holding later reads).
 */
export function holdReads(control: { gate: Promise<void> | null }): () => void {
  let open!: () => void;
  control.gate = new Promise((resolve) => {
    open = resolve;
  });
  return () => {
    control.gate = null;
    open();
  };
}

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

import {
  PROTECTED_KINDS,
  type StoredAccessToken,
  type StoredAuthorizationCode,
  type StoredClient,
  type StoredRefreshToken,
  TokenState,
  type TokenStore,
  UserType,
} from '@tokenstore/core';

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

let counter = 0;
const HOUR = 3_600_000;

/** A unique key for a hand-built row. */
export function nextKey(prefix = 'key'): string {
  counter++;
  return `${prefix}-${counter}`;
}

/** An ACTIVE access-token row built by hand, issued at `now`, expiring an hour later unless overridden. */
export function accessRow(now: number, overrides: Partial<StoredAccessToken> = {}): StoredAccessToken {
  const key = overrides.key ?? nextKey('access');
  return {
    key,
    value: key,
    consumerKey: 'client-1',
    userId: 'alice',
    userType: UserType.ApplicationUser,
    scopes: ['read'],
    grantId: nextKey('grant'),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + HOUR,
    stateChangedAt: now,
    reuseKey: 'reuse-alice-read',
    exclusive: false,
    grantType: 'password',
    ...overrides,
  };
}

export function refreshRow(now: number, overrides: Partial<StoredRefreshToken> = {}): StoredRefreshToken {
  const key = overrides.key ?? nextKey('refresh');
  return {
    key,
    value: key,
    consumerKey: 'client-1',
    userId: 'alice',
    userType: UserType.ApplicationUser,
    scopes: ['read'],
    grantId: nextKey('grant'),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + 24 * HOUR,
    stateChangedAt: now,
    rotatedAt: null,
    reuseCount: 0,
    ...overrides,
  };
}

export function codeRow(now: number, overrides: Partial<StoredAuthorizationCode> = {}): StoredAuthorizationCode {
  const key = overrides.key ?? nextKey('code');
  return {
    key,
    value: key,
    consumerKey: 'client-1',
    userId: 'alice',
    userType: UserType.ApplicationUser,
    scopes: ['openid'],
    grantId: nextKey('grant'),
    state: TokenState.Active,
    issuedAt: now,
    expiresAt: now + 300_000,
    stateChangedAt: now,
    redirectUri: null,
    codeChallenge: null,
    codeChallengeMethod: null,
    nonce: null,
    ...overrides,
  };
}

export function clientRow(now: number, overrides: Partial<StoredClient> = {}): StoredClient {
  return {
    consumerKey: nextKey('client'),
    secretKey: nextKey('secret'),
    secretValue: null,
    name: 'Test client',
    grantTypes: ['client_credentials'],
    redirectUris: ['https://client.example.com/cb'],
    validity: {},
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
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

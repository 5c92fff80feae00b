import type { StoredClient, StoredRow } from '@tokenstore/core';

/**
 * A frozen copy of a token row: the store keeps these and hands the same object to every reader, so a
 * read costs no copy (validation is the hot path), yet no caller can change what is stored. Writes
 * always store a new frozen copy; nothing is ever mutated in place.
 */
export function frozenRow<R extends StoredRow>(row: R): R {
  const confirmation = 'confirmation' in row ? row.confirmation : undefined;
  if (Object.isFrozen(row) && Object.isFrozen(row.scopes) && (confirmation === undefined || Object.isFrozen(confirmation))) return row;
  const copy: R = { ...row, scopes: Object.freeze([...row.scopes]) as string[] };
  if (confirmation !== undefined) (copy as { confirmation?: object }).confirmation = Object.freeze({ ...confirmation });
  return Object.freeze(copy);
}

/** A frozen copy of a client row (see {@link frozenRow}). */
export function frozenClient(client: StoredClient): StoredClient {
  if (Object.isFrozen(client)) return client;
  return Object.freeze({
    ...client,
    grantTypes: Object.freeze([...client.grantTypes]) as string[],
    redirectUris: Object.freeze([...client.redirectUris]) as string[],
    allowedScopes: Object.freeze([...client.allowedScopes]) as string[],
    validity: Object.freeze({ ...client.validity }),
  });
}

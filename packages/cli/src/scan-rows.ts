import type { ProtectedKind, ScannedRowByKind, ScanPage, StoredArtifact, TokenStore } from '@tokenstore/core';

/** Rows per page when the CLI scans a store (stats, counts before purge and rewrap). */
export const SCAN_PAGE_SIZE = 1000;

/**
 * Visits every row of `kind` through the store's own `scan` primitive (the one the rewrap job uses).
 * It reads the whole table: an operator tool, not for a hot path. Stops early (between pages) when
 * `signal` aborts; the caller then knows from the signal that the visit is incomplete.
 */
export async function forEachRow<K extends ProtectedKind>(
  store: TokenStore,
  kind: K,
  visit: (row: ScannedRowByKind[K]) => void,
  signal?: AbortSignal,
): Promise<void> {
  let cursor: string | null = null;
  do {
    if (signal?.aborted) return;
    const page: ScanPage<ScannedRowByKind[K]> = await store.scan(kind, { cursor, limit: SCAN_PAGE_SIZE });
    for (const row of page.rows) visit(row);
    cursor = page.cursor;
  } while (cursor !== null);
}

/** Visits every provider artifact (every model) through `store.artifacts.scanArtifacts`; nothing when the store keeps none. */
export async function forEachArtifact(store: TokenStore, visit: (row: StoredArtifact) => void, signal?: AbortSignal): Promise<void> {
  const artifacts = store.artifacts;
  if (!artifacts) return;
  let cursor: string | null = null;
  do {
    if (signal?.aborted) return;
    const page: ScanPage<StoredArtifact> = await artifacts.scanArtifacts({ cursor, limit: SCAN_PAGE_SIZE });
    for (const row of page.rows) visit(row);
    cursor = page.cursor;
  } while (cursor !== null);
}

import { MAX_LOOKUP_KEY_LENGTH } from '../protection/protector.js';
import type { PurgeCriteria, ScanPage, ScanRequest } from '../store.js';

/**
 * One stored artifact of an OpenID Connect provider (node-oidc-provider's models: `Session`,
 * `AccessToken`, `AuthorizationCode`, `Grant`, `Interaction`, … and any future model name). Times are
 * epoch milliseconds. A store persists every field opaquely; the {@link ArtifactService} decides them.
 */
export interface StoredArtifact {
  /** The model name, e.g. `AccessToken`. Rows of different models never collide. */
  model: string;
  /** Lookup key of the id (the id itself in `plain`; an HMAC in `hash`/`encrypt`). */
  key: string;
  /** What the protector kept of the id: the id (`plain`), sealed (`encrypt`) or `null` (`hash`). */
  value: string | null;
  /** The payload as JSON, or sealed JSON when {@link sealed}. */
  payload: string;
  /** True when {@link payload} is sealed (`encrypt` mode). */
  sealed: boolean;
  /** The grant the artifact belongs to (not secret), or `null`. */
  grantId: string | null;
  /** Lookup key of the payload's `uid` (sessions), or `null`. */
  uidKey: string | null;
  /** Lookup key of the payload's `userCode` (device codes), or `null`. */
  userCodeKey: string | null;
  /** `null`: never expires (the provider passed no `expiresIn`). */
  expiresAt: number | null;
  /** When it was consumed (the first {@link ArtifactStore.consumeArtifact} wins), or `null`. */
  consumedAt: number | null;
  /** When this version was written. */
  updatedAt: number;
}

/**
 * The artifact primitives of a store (`TokenStore.artifacts`), each atomic on its backend. A store
 * returns rows whatever their expiry; the service never hands an expired one out.
 */
export interface ArtifactStore {
  /** Inserts the row, or replaces the row with the same model and key (every field, `consumedAt` included). */
  upsertArtifact(row: StoredArtifact): Promise<void>;
  /** The row of `model` with this lookup key, expired or not, or `null`. */
  getArtifact(model: string, key: string): Promise<StoredArtifact | null>;
  /** The row of `model` whose `uidKey` is this (the latest written when several claim it), or `null`. */
  findArtifactByUid(model: string, uidKey: string): Promise<StoredArtifact | null>;
  /** The row of `model` whose `userCodeKey` is this (the latest written when several claim it), or `null`. */
  findArtifactByUserCode(model: string, userCodeKey: string): Promise<StoredArtifact | null>;
  /**
   * Sets `consumedAt` to `at` when the row exists and was not consumed: `true` for exactly one of any
   * number of concurrent callers, `false` for every other one (and when there is no such row).
   */
  consumeArtifact(model: string, key: string, at: number): Promise<boolean>;
  /** Deletes the row and its lookup entries; `false` if there was none. */
  deleteArtifact(model: string, key: string): Promise<boolean>;
  /** Deletes every row of every model whose `grantId` is this; returns how many. */
  deleteArtifactsOfGrant(grantId: string): Promise<number>;
  /**
   * Deletes at most `criteria.limit` rows that expired at or before `criteria.expiredBefore`
   * (never-expiring rows never); returns how many (see {@link isArtifactPurgeable}).
   */
  purgeArtifacts(criteria: PurgeCriteria): Promise<number>;

  // The primitives of the rewrap job ({@link RewrapJob}), which moves artifacts to the current
  // protection form while the provider keeps using them. A "version" of a row is its `updatedAt` and
  // `consumedAt` (see {@link sameArtifactVersion}): the service writes every new version of an id under
  // its current lookup key, so the only changes a row under an older key can still see are
  // consumption and deletion, and both change what these primitives compare.

  /**
   * Pages through every row of every model in a stable order. The cursor is opaque; on some backends
   * it carries a lookup key (in `plain` mode an id), like the token scans' (see `RewrapState.cursor`).
   */
  scanArtifacts(request: ScanRequest): Promise<ScanPage<StoredArtifact>>;
  /** Inserts `row` unless a row of its model with its key exists: `true` if inserted, `false` (writing nothing) if not. */
  insertArtifact(row: StoredArtifact): Promise<boolean>;
  /**
   * Replaces the row `expected` names (its model and key) with `next`, which has the same model and
   * key, if the stored row is still the version `expected` is; `false`, writing nothing, if it changed
   * or is gone.
   */
  replaceArtifact(expected: StoredArtifact, next: StoredArtifact): Promise<boolean>;
  /** Deletes the row `expected` names if it is still that version: `true` if this call deleted it. */
  deleteArtifactIf(expected: StoredArtifact): Promise<boolean>;
}

/** True when two reads of one row are the same version: neither written again nor consumed in between. */
export function sameArtifactVersion(
  a: Pick<StoredArtifact, 'updatedAt' | 'consumedAt'>,
  b: Pick<StoredArtifact, 'updatedAt' | 'consumedAt'>,
): boolean {
  return a.updatedAt === b.updatedAt && a.consumedAt === b.consumedAt;
}

/**
 * The scan cursor of the stores that page artifacts by (model, key): `<model>:<key>` (model names hold
 * no `:`). {@link parseArtifactCursor} is its check.
 */
export function artifactCursor(row: Pick<StoredArtifact, 'model' | 'key'>): string {
  return `${row.model}:${row.key}`;
}

/** The model and key of an {@link artifactCursor}, or `null` when `cursor` is not one. */
export function parseArtifactCursor(cursor: string): { model: string; key: string } | null {
  const colon = cursor.indexOf(':');
  if (colon <= 0 || colon === cursor.length - 1) return null;
  const model = cursor.slice(0, colon);
  const key = cursor.slice(colon + 1);
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(model) && key.length <= MAX_LOOKUP_KEY_LENGTH ? { model, key } : null;
}

/** True when a purge with `criteria` may delete `row` (the one definition every backend follows). */
export function isArtifactPurgeable(row: Pick<StoredArtifact, 'expiresAt'>, criteria: PurgeCriteria): boolean {
  return row.expiresAt !== null && row.expiresAt <= criteria.expiredBefore;
}

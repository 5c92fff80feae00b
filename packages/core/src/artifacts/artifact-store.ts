import type { PurgeCriteria } from '../store.js';

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
}

/** True when a purge with `criteria` may delete `row` (the one definition every backend follows). */
export function isArtifactPurgeable(row: Pick<StoredArtifact, 'expiresAt'>, criteria: PurgeCriteria): boolean {
  return row.expiresAt !== null && row.expiresAt <= criteria.expiredBefore;
}

import { ErrorCode, isTokenStoreError } from '../errors.js';
import type { Protector } from '../protection/protector.js';
import type { RewrapCounts } from '../protection/rewrap-checkpoint.js';
import { protectArtifact, revealArtifactPayload } from './artifact-service.js';
import type { ArtifactStore, StoredArtifact } from './artifact-store.js';

/** What happened to one row (a {@link RewrapCounts} field). */
export type ArtifactRewrapOutcome = keyof Omit<RewrapCounts, 'scanned'>;

/** Reads of a row that keeps changing before the job leaves it for the next pass (`skipped`). */
const ATTEMPTS = 8;

/** True when `row` is stored exactly as `protector` would store it now: nothing for rewrap to do. */
export function isCurrentArtifact(protector: Protector, row: StoredArtifact): boolean {
  if (!protector.isCurrent({ key: row.key, value: row.value })) return false;
  if (protector.mode !== 'encrypt') return !row.sealed;
  return row.sealed && protector.isCurrent({ key: row.key, value: row.payload });
}

/**
 * Moves one provider artifact to the current protection form, while the provider may be using it.
 *
 * The new form is built by the same function as an upsert ({@link protectArtifact}), from the id and
 * payload recovered from the row: the id from its stored value (a `hash`-mode row keeps none, so it is
 * `unconvertible` and stays found through the fallback chain until it expires), the payload opened
 * with the fallback chain, the uid and user code from the payload.
 *
 * Same lookup key (a new AES key, encrypt → encrypt under one pepper): one conditional replace of that
 * version. A new lookup key (plain → hash/encrypt, a new pepper): the copy is inserted under the new key
 * first, so the artifact is never missing for a reader, then the old version is deleted conditionally.
 * The service writes every new version of an id under the current key, so the old row can only have
 * been consumed or deleted meanwhile, and the job settles both:
 * - deleted (destroyed, grant revoked, purged): the copy is deleted too, so a revocation stays complete;
 * - consumed at T: the copy is consumed at T (its first consumption wins), then the old row is deleted.
 *   If the copy had been consumed too — two consumers each found one of the two rows in the instant
 *   both existed — the artifact was used twice, which is what a replay looks like: the job deletes
 *   every artifact of its grant (as oidc-provider's `revokeByGrantId` does on a replay) and both rows.
 */
export async function rewrapArtifact(protector: Protector, store: ArtifactStore, scanned: StoredArtifact): Promise<ArtifactRewrapOutcome> {
  let row: StoredArtifact | null = scanned;
  for (let attempt = 0; attempt < ATTEMPTS && row !== null; attempt++) {
    if (isCurrentArtifact(protector, row)) return 'current';
    if (row.value === null) return 'unconvertible';
    const next = reprotect(protector, row);
    if (next === 'failed' || next === 'unconvertible') return next;

    if (next.key === row.key) {
      if (await store.replaceArtifact(row, next)) return 'converted';
    } else {
      const inserted = await store.insertArtifact(next);
      if (!inserted) await carryConsumption(store, row, next);
      if (await store.deleteArtifactIf(row)) return inserted ? 'converted' : 'skipped';
      if (inserted) {
        const settled = await settleCopy(store, row, next);
        if (settled !== null) return settled;
      }
    }
    row = await store.getArtifact(scanned.model, scanned.key);
  }
  return 'skipped';
}

/** The row in the current form, or why it cannot be made. */
function reprotect(protector: Protector, row: StoredArtifact): StoredArtifact | 'failed' | 'unconvertible' {
  let id: string;
  let revealed: ReturnType<typeof revealArtifactPayload>;
  try {
    id = protector.reveal({ key: row.key, value: row.value });
    revealed = revealArtifactPayload(protector, row, { id });
  } catch (error) {
    if (isTokenStoreError(error, ErrorCode.DecryptionFailed)) return 'failed';
    throw error;
  }
  // A field `hash` mode left out and nobody presented (a user code): the row cannot be rebuilt.
  if (revealed.missing.length > 0) return 'unconvertible';
  const { payload } = revealed;
  return protectArtifact(protector, {
    model: row.model,
    id,
    payload,
    grantId: row.grantId,
    uid: typeof payload.uid === 'string' ? payload.uid : null,
    userCode: typeof payload.userCode === 'string' ? payload.userCode : null,
    expiresAt: row.expiresAt,
    consumedAt: row.consumedAt,
    // The version of the artifact is unchanged: a copy must not look newer than what the provider writes next.
    updatedAt: row.updatedAt,
  });
}

/**
 * The old row changed after the copy was inserted: bring the copy in line. `null` when the old row is
 * still there in another version that the next attempt handles.
 */
async function settleCopy(store: ArtifactStore, old: StoredArtifact, copy: StoredArtifact): Promise<ArtifactRewrapOutcome | null> {
  const now = await store.getArtifact(old.model, old.key);
  if (now === null) {
    // Deleted meanwhile: the artifact is gone, so is the copy (unless the provider wrote a new version there since).
    await deleteOwnCopy(store, copy);
    return 'skipped';
  }
  if (now.consumedAt !== null && old.consumedAt === null && now.updatedAt === old.updatedAt) {
    if (await store.consumeArtifact(copy.model, copy.key, now.consumedAt)) {
      // The copy now says what the old row says; the old row goes (it can change no more but by deletion).
      await store.deleteArtifactIf(now);
      return 'converted';
    }
    const current = await store.getArtifact(copy.model, copy.key);
    if (current !== null && current.updatedAt === copy.updatedAt && current.consumedAt !== null) {
      // Consumed through both rows: used twice. Treated as a replay.
      if (now.grantId !== null) await store.deleteArtifactsOfGrant(now.grantId);
      await store.deleteArtifactIf(now);
      await store.deleteArtifactIf(current);
      return 'skipped';
    }
    // The copy was replaced by the provider (a newer version): the old row is stale.
    await store.deleteArtifactIf(now);
    return 'skipped';
  }
  // Another version of the old row (another rewrap job wrote it): drop the copy and look again.
  await deleteOwnCopy(store, copy);
  return null;
}

/**
 * A row is already under the new key. If it is a copy of this version (an earlier run stopped between
 * its insert and its delete) and the old row was consumed since, the copy is consumed too, so deleting
 * the old row never leaves a spent artifact unspent.
 */
async function carryConsumption(store: ArtifactStore, old: StoredArtifact, next: StoredArtifact): Promise<void> {
  if (old.consumedAt === null) return;
  const existing = await store.getArtifact(next.model, next.key);
  if (existing !== null && existing.updatedAt === old.updatedAt && existing.consumedAt === null)
    await store.consumeArtifact(existing.model, existing.key, old.consumedAt);
}

/** Deletes the copy this job inserted, consumed or not, but never a version the provider wrote after it. */
async function deleteOwnCopy(store: ArtifactStore, copy: StoredArtifact): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await store.getArtifact(copy.model, copy.key);
    if (current === null || current.updatedAt !== copy.updatedAt) return;
    if (await store.deleteArtifactIf(current)) return;
  }
}

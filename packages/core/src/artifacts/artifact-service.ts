import { type Clock, systemClock } from '../clock.js';
import { InvalidInputError, MisconfigurationError } from '../errors.js';
import { PlainProtector } from '../protection/plain-protector.js';
import type { Protector } from '../protection/protector.js';
import type { TokenStore } from '../store.js';
import { MAX_IDENTIFIER_LENGTH, MAX_TOKEN_LENGTH, MAX_VALIDITY_SECONDS } from '../validation.js';
import { checkArtifactModel, checkGrantId, MAX_ARTIFACT_PAYLOAD_LENGTH } from './artifact-input.js';
import type { ArtifactStore, StoredArtifact } from './artifact-store.js';

/** A provider's payload: a JSON object. */
export type ArtifactPayload = Record<string, unknown>;

export interface ArtifactServiceOptions {
  /** A store with artifact support (`store.artifacts`). */
  store: TokenStore;
  /** How ids, uids and user codes are keyed and payloads kept; default plain. */
  protector?: Protector;
  clock?: Clock;
}

/** Key, in a stored `hash`-mode payload, listing the fields kept out of it (restored from what the caller presents). */
export const OMITTED_FIELDS_KEY = '__tokenstore_omitted';

/**
 * Policy for provider artifacts on top of any store's {@link ArtifactStore}: protection at rest
 * (ids, uids and user codes stored only as lookup keys; payloads sealed in `encrypt` mode; in `hash`
 * mode the payload keeps no copy of the id or the user code), expiry (`find` never returns an expired
 * artifact, whether or not purge ran), atomic consumption and validation. Stores only persist.
 */
export class ArtifactService {
  readonly store: TokenStore;
  readonly protector: Protector;
  readonly clock: Clock;
  readonly #artifacts: ArtifactStore;
  readonly #seals: boolean;

  constructor(options: ArtifactServiceOptions) {
    if (options === null || typeof options !== 'object') throw new MisconfigurationError('options', 'must be an object');
    const artifacts = options.store?.artifacts;
    if (!artifacts || typeof artifacts.upsertArtifact !== 'function')
      throw new MisconfigurationError(
        'store',
        `backend "${options.store?.backend ?? '?'}" does not store artifacts (store.artifacts is missing)`,
      );
    this.store = options.store;
    this.protector = options.protector ?? new PlainProtector();
    this.clock = options.clock ?? systemClock;
    this.#artifacts = artifacts;
    this.#seals = this.protector.mode === 'encrypt';
    if (this.#seals && typeof this.protector.seal !== 'function')
      throw new MisconfigurationError(
        'protector',
        'an "encrypt" protector must be able to seal payloads (build it with createProtector())',
      );
  }

  /**
   * Stores (or replaces) the artifact `id` of `model`. `expiresIn` in seconds; `undefined`/`null`:
   * never expires. Replacing clears `consumed` unless the payload carries it (as oidc-provider does).
   */
  async upsert(model: string, id: string, payload: ArtifactPayload, expiresIn?: number | null): Promise<void> {
    checkArtifactModel(model, 'core');
    checkArtifactId('id', id);
    checkPayload(payload);
    const now = this.clock.now();
    const expiresAt = expiryOf(expiresIn, now);
    const grantId = optionalString(payload, 'grantId');
    if (grantId !== null) checkGrantId(grantId, 'core');
    const uid = optionalString(payload, 'uid');
    if (uid !== null) checkArtifactId('payload.uid', uid);
    const userCode = optionalString(payload, 'userCode');
    if (userCode !== null) checkArtifactId('payload.userCode', userCode);
    const consumed = payload.consumed;
    if (consumed !== undefined && consumed !== null && (typeof consumed !== 'number' || !Number.isFinite(consumed) || consumed < 0))
      throw new InvalidInputError('payload.consumed', 'must be a timestamp in seconds');

    const row = protectArtifact(this.protector, {
      model,
      id,
      payload,
      grantId,
      uid,
      userCode,
      expiresAt,
      consumedAt: typeof consumed === 'number' ? Math.round(consumed * 1000) : null,
      updatedAt: now,
    });
    await this.#artifacts.upsertArtifact(row);
  }

  /**
   * Stores `id` of `model` unless a live artifact holds it: `true` for exactly one of any number of
   * concurrent callers, on every node sharing the store (the store's insert on its unique key);
   * `false` while the earlier one has not expired. An expired one is replaced. What replay detection
   * needs: DPoP proof identifiers (`@tokenstore/resource-server`'s `artifactReplayStore`),
   * oidc-provider's `ReplayDetection`. `expiresIn` in seconds, required (a replay window ends).
   */
  async insertOnce(model: string, id: string, payload: ArtifactPayload, expiresIn: number): Promise<boolean> {
    checkArtifactModel(model, 'core');
    checkArtifactId('id', id);
    checkPayload(payload);
    if (typeof expiresIn !== 'number') throw new InvalidInputError('expiresIn', 'must be a number of seconds (a replay window ends)');
    const now = this.clock.now();
    const row = protectArtifact(this.protector, {
      model,
      id,
      payload,
      grantId: null,
      uid: null,
      userCode: null,
      expiresAt: expiryOf(expiresIn, now),
      consumedAt: null,
      updatedAt: now,
    });
    for (let attempt = 0; attempt < 4; attempt++) {
      if (await this.#artifacts.insertArtifact(row)) return true;
      const existing = await this.#artifacts.getArtifact(model, row.key);
      if (existing && (existing.expiresAt === null || existing.expiresAt > now)) return false;
      // Expired (not purged yet) or just deleted: take its place, unless another caller does first.
      if (existing) await this.#artifacts.deleteArtifactIf(existing);
    }
    return false;
  }

  /** The payload of `id` (`consumed` set, in seconds, once consumed), or `undefined` if unknown or expired. */
  async find(model: string, id: string): Promise<ArtifactPayload | undefined> {
    checkArtifactModel(model, 'core');
    checkArtifactId('id', id);
    const row = await this.#first(this.protector.lookupKeys(id), (key) => this.#artifacts.getArtifact(model, key));
    return row ? this.#reveal(row, { id }) : undefined;
  }

  /** The payload whose `uid` is this (sessions), or `undefined`. */
  async findByUid(model: string, uid: string): Promise<ArtifactPayload | undefined> {
    checkArtifactModel(model, 'core');
    checkArtifactId('uid', uid);
    const row = await this.#first(this.protector.lookupKeys(uid), (key) => this.#artifacts.findArtifactByUid(model, key));
    return row ? this.#reveal(row, {}) : undefined;
  }

  /** The payload whose `userCode` is this (device codes), or `undefined`. */
  async findByUserCode(model: string, userCode: string): Promise<ArtifactPayload | undefined> {
    checkArtifactModel(model, 'core');
    checkArtifactId('userCode', userCode);
    const row = await this.#first(this.protector.lookupKeys(userCode), (key) => this.#artifacts.findArtifactByUserCode(model, key));
    return row ? this.#reveal(row, { userCode }) : undefined;
  }

  /**
   * Marks `id` consumed now: `true` for exactly one of any number of concurrent callers; `false` when
   * it was consumed already, is unknown or has expired.
   */
  async consume(model: string, id: string): Promise<boolean> {
    checkArtifactModel(model, 'core');
    checkArtifactId('id', id);
    const now = this.clock.now();
    for (const key of this.protector.lookupKeys(id)) {
      const row = await this.#artifacts.getArtifact(model, key);
      if (!row) continue;
      if (row.expiresAt !== null && row.expiresAt <= now) return false;
      return this.#artifacts.consumeArtifact(model, key, now);
    }
    return false;
  }

  /** Deletes `id` (under every lookup key a migration still accepts). `true` if something was deleted. */
  async destroy(model: string, id: string): Promise<boolean> {
    checkArtifactModel(model, 'core');
    checkArtifactId('id', id);
    let deleted = false;
    for (const key of this.protector.lookupKeys(id)) if (await this.#artifacts.deleteArtifact(model, key)) deleted = true;
    return deleted;
  }

  /** Deletes every artifact of every model that belongs to the grant; returns how many. */
  revokeByGrantId(grantId: string): Promise<number> {
    checkGrantId(grantId, 'core');
    return this.#artifacts.deleteArtifactsOfGrant(grantId);
  }

  async #first(keys: string[], read: (key: string) => Promise<StoredArtifact | null>): Promise<StoredArtifact | null> {
    const now = this.clock.now();
    for (const key of keys) {
      const row = await read(key);
      // An expired artifact is gone for the caller, whether or not purge has removed it yet.
      if (row) return row.expiresAt !== null && row.expiresAt <= now ? null : row;
    }
    return null;
  }

  #reveal(row: StoredArtifact, presented: { id?: string; userCode?: string }): ArtifactPayload {
    const { payload } = revealArtifactPayload(this.protector, row, presented);
    if (row.consumedAt !== null) payload.consumed = Math.floor(row.consumedAt / 1000);
    return payload;
  }
}

/** What {@link protectArtifact} makes a row of: the checked parts of an upsert (or of a row being rewrapped). */
export interface ArtifactParts {
  model: string;
  id: string;
  payload: ArtifactPayload;
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  expiresAt: number | null;
  consumedAt: number | null;
  updatedAt: number;
}

/**
 * The stored row of an artifact under `protector`'s current form: the id, uid and user code as lookup
 * keys, the payload sealed in `encrypt` mode, and in `hash` mode without the id and the user code
 * (the store must hold neither; they are restored from what the caller presents). Used by upsert and
 * by the rewrap job, so both write exactly the same form.
 */
export function protectArtifact(protector: Protector, parts: ArtifactParts): StoredArtifact {
  const { key, value } = protector.protect(parts.id);
  const json = payloadJson(protector, parts.payload, parts.id, parts.userCode);
  if (json.length > MAX_ARTIFACT_PAYLOAD_LENGTH)
    throw new InvalidInputError('payload', `longer than ${MAX_ARTIFACT_PAYLOAD_LENGTH} characters of JSON`);
  const seals = protector.mode === 'encrypt';
  if (seals && typeof protector.seal !== 'function')
    throw new MisconfigurationError('protector', 'an "encrypt" protector must be able to seal payloads (build it with createProtector())');
  return {
    model: parts.model,
    key,
    value,
    payload: seals ? (protector.seal as NonNullable<Protector['seal']>)(json, key) : json,
    sealed: seals,
    grantId: parts.grantId,
    uidKey: parts.uid === null ? null : protector.protect(parts.uid).key,
    userCodeKey: parts.userCode === null ? null : protector.protect(parts.userCode).key,
    expiresAt: parts.expiresAt,
    consumedAt: parts.consumedAt,
    updatedAt: parts.updatedAt,
  };
}

/**
 * The payload of a stored row (opened when sealed, with `protector`'s fallback chain), the fields
 * `hash` mode left out restored from `presented`, and the names of those it could not restore.
 * `consumed` is not added: that is the caller's.
 */
export function revealArtifactPayload(
  protector: Protector,
  row: StoredArtifact,
  presented: { id?: string; userCode?: string },
): { payload: ArtifactPayload; missing: string[] } {
  const json = row.sealed ? protector.reveal({ key: row.key, value: row.payload }) : row.payload;
  const payload = JSON.parse(json) as ArtifactPayload;
  const omitted = payload[OMITTED_FIELDS_KEY];
  const missing: string[] = [];
  if (Array.isArray(omitted)) {
    delete payload[OMITTED_FIELDS_KEY];
    for (const field of omitted) {
      const restored = field === 'jti' ? presented.id : field === 'userCode' ? presented.userCode : undefined;
      if (restored === undefined) missing.push(String(field));
      else payload[field] = restored;
    }
  }
  return { payload, missing };
}

/** In `hash` mode the id and the user code are left out of the payload: the store must hold neither. */
function payloadJson(protector: Protector, payload: ArtifactPayload, id: string, userCode: string | null): string {
  if (protector.mode !== 'hash') return JSON.stringify(payload);
  const kept: ArtifactPayload = { ...payload };
  const omitted: string[] = [];
  // A device code keeps its id: the provider saves the code it found by user code again, under that id.
  if (kept.jti === id && userCode === null) {
    delete kept.jti;
    omitted.push('jti');
  }
  if (userCode !== null) {
    delete kept.userCode;
    omitted.push('userCode');
  }
  if (omitted.length > 0) kept[OMITTED_FIELDS_KEY] = omitted;
  return JSON.stringify(kept);
}

function checkArtifactId(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TOKEN_LENGTH)
    throw new InvalidInputError(field, `must be a string of 1 to ${MAX_TOKEN_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\x00-\x1f\x7f]/.test(value)) throw new InvalidInputError(field, 'contains control characters');
}

function checkPayload(payload: unknown): asserts payload is ArtifactPayload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new InvalidInputError('payload', 'must be a JSON object');
  if (Object.hasOwn(payload, OMITTED_FIELDS_KEY))
    throw new InvalidInputError('payload', `must not hold the reserved field ${OMITTED_FIELDS_KEY}`);
}

function optionalString(payload: ArtifactPayload, field: string): string | null {
  const value = payload[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new InvalidInputError(`payload.${field}`, 'must be a string');
  if (field === 'grantId' && value.length > MAX_IDENTIFIER_LENGTH)
    throw new InvalidInputError('payload.grantId', `longer than ${MAX_IDENTIFIER_LENGTH} characters`);
  return value;
}

function expiryOf(expiresIn: unknown, now: number): number | null {
  if (expiresIn === undefined || expiresIn === null) return null;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0 || expiresIn > MAX_VALIDITY_SECONDS)
    throw new InvalidInputError('expiresIn', `must be a number of seconds from 0 to ${MAX_VALIDITY_SECONDS}, or undefined (never expires)`);
  return now + Math.round(expiresIn * 1000);
}

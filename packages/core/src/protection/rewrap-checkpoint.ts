import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, TokenStoreError } from '../errors.js';
import { PROTECTED_KINDS, type ProtectedKind } from '../types.js';

/** What a rewrap pass converts: the token kinds, clients, and provider artifacts (every model). */
export type RewrapKind = ProtectedKind | 'artifact';
export const REWRAP_KINDS: readonly RewrapKind[] = [...PROTECTED_KINDS, 'artifact'];

/** What happened to the rows of one kind in a rewrap pass. */
export interface RewrapCounts {
  /** Rows looked at (a row whose new key sorts after the cursor may be looked at twice). */
  scanned: number;
  /** Rows rewritten into the current form. */
  converted: number;
  /** Rows already in the current form. */
  current: number;
  /**
   * Rows that cannot be converted because nothing recoverable is stored: hash-only rows under an
   * older pepper or algorithm. They are found through the fallback chain until they expire (or are
   * moved by `rehashOnRead` when presented).
   */
  unconvertible: number;
  /** Rows whose sealed value could not be opened (tampered, or written under a key no longer configured). */
  failed: number;
  /** Rows that changed or disappeared between the scan and the rewrite (purged, revoked, rotated). */
  skipped: number;
}

/**
 * Where a rewrap pass stands, saved after every batch. `cursor` is the store's opaque scan cursor: on
 * some backends it is the last lookup key scanned, which in `plain` mode is a token value — keep a
 * checkpoint as secret as the database itself.
 */
export interface RewrapState {
  version: 1;
  /** Kinds of this pass, in order. */
  kinds: RewrapKind[];
  /** The kind in progress (the last kind once finished). */
  kind: RewrapKind;
  cursor: string | null;
  finished: boolean;
  batches: number;
  counts: Record<RewrapKind, RewrapCounts>;
}

/** Persists rewrap progress so a stopped or crashed job resumes where it was. */
export interface RewrapCheckpoint {
  load(): Promise<RewrapState | null>;
  save(state: RewrapState): Promise<void>;
}

/** Keeps the state in memory: resumes within one process (the default of a job). */
export function memoryCheckpoint(initial: RewrapState | null = null): RewrapCheckpoint & { readonly state: RewrapState | null } {
  let saved = initial === null ? null : structuredClone(initial);
  return {
    get state() {
      return saved === null ? null : structuredClone(saved);
    },
    async load() {
      return saved === null ? null : structuredClone(saved);
    },
    async save(state) {
      saved = structuredClone(state);
    },
  };
}

/**
 * Keeps the state in a JSON file (written atomically, mode 0600), so a job resumes after a restart.
 * The file may hold a lookup key (see {@link RewrapState.cursor}); it is removed with `clear()`.
 */
export function fileCheckpoint(path: string): RewrapCheckpoint & { clear(): Promise<void> } {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new TokenStoreError(ErrorCode.BackendError, 'cannot read the rewrap checkpoint file', { cause: error });
      }
      let state: unknown;
      try {
        state = JSON.parse(text);
      } catch (error) {
        throw new TokenStoreError(ErrorCode.BackendError, 'the rewrap checkpoint file is not valid JSON', { cause: error });
      }
      if (!isRewrapState(state))
        throw new TokenStoreError(ErrorCode.BackendError, 'the rewrap checkpoint file is not a rewrap state (version 1)');
      return state;
    },
    async save(state) {
      const temporary = `${path}.${process.pid}.tmp`;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temporary, JSON.stringify(state), { encoding: 'utf8', mode: 0o600 });
      await rename(temporary, path);
    },
    async clear() {
      await rm(path, { force: true });
    },
  };
}

function isRewrapState(value: unknown): value is RewrapState {
  const state = value as Partial<RewrapState> | null;
  return (
    typeof state === 'object' &&
    state !== null &&
    state.version === 1 &&
    Array.isArray(state.kinds) &&
    typeof state.kind === 'string' &&
    (state.cursor === null || typeof state.cursor === 'string') &&
    typeof state.finished === 'boolean' &&
    typeof state.batches === 'number' &&
    typeof state.counts === 'object' &&
    state.counts !== null
  );
}

import { setTimeout as sleep } from 'node:timers/promises';
import { rewrapArtifact } from '../artifacts/artifact-rewrap.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { type Clock, systemClock } from '../clock.js';
import { ErrorCode, isTokenStoreError, MisconfigurationError } from '../errors.js';
import type { TokenStoreEventEmitter } from '../events.js';
import { nextClientUpdatedAt, type TokenStore } from '../store.js';
import type { StoredClient, TokenKind } from '../types.js';
import type { ProtectedValue, Protector } from './protector.js';
import {
  memoryCheckpoint,
  REWRAP_KINDS,
  type RewrapCheckpoint,
  type RewrapCounts,
  type RewrapKind,
  type RewrapState,
} from './rewrap-checkpoint.js';

/** What a rewrap job works on: a `TokenService` fits as is. */
export interface RewrapSource {
  store: TokenStore;
  /** The configured protector, with the fallback chain that still reads the older rows. */
  protector: Protector;
  /** Receives `rewrap:progress`; the service's emitter, so one listener sees everything. */
  events?: TokenStoreEventEmitter;
  /** Stamps `updatedAt` on converted clients; the service's clock. Default: the system clock. */
  clock?: Clock;
}

/** Compare-and-set attempts on one client before the job leaves it for the next pass (`skipped`). */
const CLIENT_ATTEMPTS = 8;

export interface RewrapOptions {
  /** Rows per scan page. Default 500. */
  batchSize?: number;
  /**
   * Kinds to convert, in order. Default: access tokens, refresh tokens, codes, clients, and provider
   * artifacts (`artifact`, every model) when the store keeps them.
   */
  kinds?: RewrapKind[];
  /** Where progress is saved after every batch. Default: in memory (resumes within this process). */
  checkpoint?: RewrapCheckpoint;
  /** Stops the run between batches (the checkpoint is saved); `run()` then resolves with `completed: false`. */
  signal?: AbortSignal;
  /** Stops after this many batches in one `run()` — simulates a crash in tests, or bounds a maintenance window. */
  abortAfterBatches?: number;
  /** Pause between batches, to keep a busy database's load down. Default 0. */
  pauseBetweenBatchesMs?: number;
}

export interface RewrapSummary {
  /** True when every kind was scanned to the end in this pass. */
  completed: boolean;
  /** Why a run stopped early. */
  stoppedBy?: 'signal' | 'abortAfterBatches';
  /** True when this run continued a pass from the checkpoint. */
  resumed: boolean;
  /** Counts for the whole pass (including earlier runs that this one resumed). */
  counts: Record<RewrapKind, RewrapCounts>;
  totals: RewrapCounts;
  /** Batches of the whole pass. */
  batches: number;
  /** Duration of this run. */
  durationMs: number;
}

type Outcome = keyof Omit<RewrapCounts, 'scanned'>;

function emptyCounts(): RewrapCounts {
  return { scanned: 0, converted: 0, current: 0, unconvertible: 0, failed: 0, skipped: 0 };
}

/**
 * Converts existing rows to the current primary protection form in bounded batches: plain → hash,
 * plain → encrypt, AES key A → key B, pepper P1 → P2, encrypt → plain. Resumable from a checkpoint,
 * idempotent (a second pass converts nothing), progress through `rewrap:progress` events that carry
 * counts only, never a value or a key.
 *
 * Rows that keep only a one-way digest (hash mode under an older pepper or algorithm) cannot be
 * converted without their plaintext: they are counted as `unconvertible` and keep being found through
 * the fallback chain until they expire, or until `rehashOnRead` moves them when they are presented.
 *
 * Like any online migration it races with concurrent writers: each row is re-read just before it is
 * rewritten, which narrows (but on a store without a conditional replace cannot close) the window in
 * which a revocation landing between that read and the rewrite would be overwritten. Prefer running it
 * when few revocations happen, and run it again: a second pass is cheap. Clients are converted by
 * compare-and-set ({@link TokenStore.updateClient}), so a secret regenerated or a client changed
 * while the job runs is never overwritten with the copy the job read. Provider artifacts are moved by
 * conditional writes of the version read, so a consumption or a deletion that lands meanwhile is
 * carried over, never undone (see {@link rewrapArtifact}).
 */
export class RewrapJob {
  readonly #store: TokenStore;
  readonly #protector: Protector;
  readonly #events: TokenStoreEventEmitter | undefined;
  readonly #clock: Clock;
  readonly #batchSize: number;
  readonly #kinds: RewrapKind[];
  readonly #checkpoint: RewrapCheckpoint;
  readonly #signal: AbortSignal | undefined;
  readonly #abortAfterBatches: number | undefined;
  readonly #pauseMs: number;
  #running = false;

  constructor(source: RewrapSource, options: RewrapOptions = {}) {
    if (!source || typeof source.store?.scan !== 'function' || typeof source.protector?.protect !== 'function')
      throw new MisconfigurationError('rewrap.source', 'must provide store and protector (a TokenService does)');
    this.#store = source.store;
    this.#protector = source.protector;
    this.#events = source.events;
    this.#clock = source.clock ?? systemClock;
    this.#batchSize = positiveInteger('rewrap.batchSize', options.batchSize ?? 500);
    this.#kinds = options.kinds ?? REWRAP_KINDS.filter((kind) => kind !== 'artifact' || source.store.artifacts !== undefined);
    if (!Array.isArray(this.#kinds) || this.#kinds.length === 0 || this.#kinds.some((kind) => !REWRAP_KINDS.includes(kind)))
      throw new MisconfigurationError('rewrap.kinds', `must be a non-empty list of ${REWRAP_KINDS.join(', ')}`);
    if (this.#kinds.includes('artifact') && !source.store.artifacts)
      throw new MisconfigurationError('rewrap.kinds', `backend "${source.store.backend}" keeps no provider artifacts to convert`);
    this.#checkpoint = options.checkpoint ?? memoryCheckpoint();
    this.#signal = options.signal;
    this.#abortAfterBatches =
      options.abortAfterBatches === undefined ? undefined : positiveInteger('rewrap.abortAfterBatches', options.abortAfterBatches);
    this.#pauseMs = options.pauseBetweenBatchesMs ?? 0;
    if (!Number.isSafeInteger(this.#pauseMs) || this.#pauseMs < 0)
      throw new MisconfigurationError('rewrap.pauseBetweenBatchesMs', 'must be a non-negative whole number');
  }

  /**
   * Runs (or resumes) a pass. Resolves with the pass's counts; `completed: false` when it stopped early
   * (run again to continue). Store errors reject; the checkpoint then holds the last finished batch.
   */
  async run(): Promise<RewrapSummary> {
    if (this.#running) throw new MisconfigurationError('rewrap', 'this job is already running');
    this.#running = true;
    try {
      return await this.#run();
    } finally {
      this.#running = false;
    }
  }

  async #run(): Promise<RewrapSummary> {
    const started = performance.now();
    const saved = await this.#checkpoint.load();
    const resumed = saved !== null && !saved.finished && sameKinds(saved.kinds, this.#kinds);
    const state = resumed ? saved : this.#freshState();
    let batchesThisRun = 0;
    let scannedThisRun = 0;

    for (let index = this.#kinds.indexOf(state.kind); index < this.#kinds.length; index++) {
      const kind = this.#kinds[index]!;
      state.kind = kind;
      for (;;) {
        const stoppedBy = this.#signal?.aborted
          ? 'signal'
          : this.#abortAfterBatches !== undefined && batchesThisRun >= this.#abortAfterBatches
            ? 'abortAfterBatches'
            : undefined;
        if (stoppedBy) return this.#summary(state, false, resumed, started, stoppedBy);

        // A checkpoint written before a kind existed has no counts for it.
        state.counts[kind] ??= emptyCounts();
        const counts = state.counts[kind];
        const outcomes = await this.#convertPage(kind, state.cursor);
        for (const outcome of outcomes.results) counts[outcome]++;
        counts.scanned += outcomes.results.length;
        scannedThisRun += outcomes.results.length;
        state.batches++;
        batchesThisRun++;
        const last = outcomes.cursor === null;
        state.cursor = outcomes.cursor;
        if (last && index === this.#kinds.length - 1) state.finished = true;
        else if (last) state.kind = this.#kinds[index + 1]!;
        await this.#checkpoint.save(state);
        const seconds = (performance.now() - started) / 1000;
        // The store cursor may be a lookup key (a plaintext token in plain mode): never put it in an event.
        this.#events?.emit('rewrap:progress', {
          kind,
          done: counts.scanned,
          converted: counts.converted,
          total: null,
          ratePerSecond: seconds > 0 ? scannedThisRun / seconds : 0,
          cursor: null,
        });
        if (last) break;
        if (this.#pauseMs > 0) await sleep(this.#pauseMs, undefined, this.#signal ? { signal: this.#signal } : {}).catch(() => undefined);
      }
    }
    return this.#summary(state, true, resumed, started);
  }

  #freshState(): RewrapState {
    const counts = Object.fromEntries(REWRAP_KINDS.map((kind) => [kind, emptyCounts()])) as Record<RewrapKind, RewrapCounts>;
    return { version: 1, kinds: [...this.#kinds], kind: this.#kinds[0]!, cursor: null, finished: false, batches: 0, counts };
  }

  async #convertPage(kind: RewrapKind, cursor: string | null): Promise<{ results: Outcome[]; cursor: string | null }> {
    if (kind === 'artifact') {
      const artifacts = this.#store.artifacts as ArtifactStore;
      const page = await artifacts.scanArtifacts({ cursor, limit: this.#batchSize });
      const results: Outcome[] = [];
      for (const row of page.rows) results.push(await rewrapArtifact(this.#protector, artifacts, row));
      return { results, cursor: page.cursor };
    }
    if (kind === 'client') {
      const page = await this.#store.scan('client', { cursor, limit: this.#batchSize });
      const results: Outcome[] = [];
      for (const client of page.rows) results.push(await this.#convertClient(client));
      return { results, cursor: page.cursor };
    }
    const page = await this.#store.scan(kind, { cursor, limit: this.#batchSize });
    const results: Outcome[] = [];
    for (const row of page.rows) results.push(await this.#convertToken(kind, row));
    return { results, cursor: page.cursor };
  }

  async #convertToken(kind: TokenKind, scanned: ProtectedValue): Promise<Outcome> {
    const early = this.#classify(scanned);
    if (early) return early;
    const row = await this.#store.get(kind, scanned.key);
    if (!row) return 'skipped';
    const again = this.#classify(row);
    if (again) return again;
    const next = this.#reprotect(row);
    if (!next) return 'failed';
    return (await this.#store.replaceKey(kind, row.key, { ...row, key: next.key, value: next.value })) ? 'converted' : 'skipped';
  }

  /**
   * Converts the secret of the client as stored now, by compare-and-set: if the client changed between
   * our read and our write (a regenerated secret, new redirect URIs), the write is refused and the job
   * converts what is stored then, so it never restores the copy it read. The outcome is that of the
   * last read: `current` when the other writer already stored the current form, `converted` only
   * when this job's write landed.
   */
  async #convertClient(scanned: StoredClient): Promise<Outcome> {
    const early = this.#classify({ key: scanned.secretKey, value: scanned.secretValue });
    if (early) return early;
    for (let attempt = 0; attempt < CLIENT_ATTEMPTS; attempt++) {
      const client = await this.#store.getClient(scanned.consumerKey);
      if (!client) return 'skipped';
      const stored = { key: client.secretKey, value: client.secretValue };
      const again = this.#classify(stored);
      if (again) return again;
      const next = this.#reprotect(stored);
      if (!next) return 'failed';
      // A new updatedAt, so a writer that read the client before this conversion cannot write the old form back.
      const converted: StoredClient = {
        ...client,
        secretKey: next.key,
        secretValue: next.value,
        updatedAt: nextClientUpdatedAt(client, this.#clock.now()),
      };
      if (await this.#store.updateClient(converted, client.updatedAt)) return 'converted';
    }
    // Still changing under us: a later pass converts it (the fallback chain keeps finding it meanwhile).
    return 'skipped';
  }

  /** The outcome decided without touching the row, or `null` when the row needs converting. */
  #classify(stored: ProtectedValue): Outcome | null {
    if (this.#protector.isCurrent(stored)) return 'current';
    if (stored.value === null) return 'unconvertible';
    return null;
  }

  #reprotect(stored: ProtectedValue): ProtectedValue | null {
    let plaintext: string;
    try {
      plaintext = this.#protector.reveal(stored);
    } catch (error) {
      if (isTokenStoreError(error, ErrorCode.DecryptionFailed)) return null;
      throw error;
    }
    return this.#protector.protect(plaintext);
  }

  #summary(
    state: RewrapState,
    completed: boolean,
    resumed: boolean,
    started: number,
    stoppedBy?: RewrapSummary['stoppedBy'],
  ): RewrapSummary {
    const totals = emptyCounts();
    for (const kind of REWRAP_KINDS)
      for (const name of Object.keys(totals) as (keyof RewrapCounts)[]) totals[name] += state.counts[kind]?.[name] ?? 0;
    return {
      completed,
      ...(stoppedBy ? { stoppedBy } : {}),
      resumed,
      counts: structuredClone(state.counts),
      totals,
      batches: state.batches,
      durationMs: performance.now() - started,
    };
  }
}

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new MisconfigurationError(option, 'must be a positive whole number');
  return value;
}

function sameKinds(a: readonly RewrapKind[], b: readonly RewrapKind[]): boolean {
  return a.length === b.length && a.every((kind, index) => kind === b[index]);
}

import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { isTokenStoreError } from '../errors.js';
import type { KindCounts, PurgeRunEvent, TokenStoreEventEmitter } from '../events.js';
import type { PurgeOptions, RetentionOptions } from '../service/options.js';
import type { PurgeCriteria, TokenStore } from '../store.js';
import { TOKEN_KINDS } from '../types.js';

export interface PurgerOptions {
  store: TokenStore;
  clock: Clock;
  events: TokenStoreEventEmitter;
  purge: PurgeOptions;
  retention: RetentionOptions;
  /** Source of randomness for the first-run jitter, in [0, 1). Injectable for tests. */
  random?: () => number;
  /**
   * Waits `purge.pauseMs` between batches; must settle (resolve or reject) when `signal` aborts, which
   * `stop()` does. Default: a real timer. Injectable for tests.
   */
  pause?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A timer that ends early, without error, when `signal` aborts. */
function realPause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Deletes expired and old inactive rows in bounded batches. Runs on an interval when started (first
 * run jittered so a fleet restarted together does not purge in step), never overlaps itself, holds a
 * lease in shared stores so one node purges at a time, and stops between batches.
 */
export class Purger {
  readonly #store: TokenStore;
  readonly #clock: Clock;
  readonly #events: TokenStoreEventEmitter;
  readonly #purge: PurgeOptions;
  readonly #retention: RetentionOptions;
  readonly #random: () => number;
  readonly #owner: string;
  readonly #pause: (ms: number, signal: AbortSignal) => Promise<void>;
  #pauseAbort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<PurgeRunEvent> | undefined;
  #stopping = false;

  constructor(options: PurgerOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#events = options.events;
    this.#purge = options.purge;
    this.#retention = options.retention;
    this.#random = options.random ?? Math.random;
    this.#owner = options.purge.owner ?? `purger-${randomUUID()}`;
    this.#pause = options.pause ?? realPause;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts the schedule. A no-op when `purge.intervalSeconds` is 0 or it is already started. */
  start(): void {
    if (this.#purge.intervalSeconds <= 0 || this.#timer !== undefined) return;
    this.#stopping = false;
    if (this.#pauseAbort.signal.aborted) this.#pauseAbort = new AbortController();
    const intervalMs = this.#purge.intervalSeconds * 1000;
    this.#schedule(Math.floor(this.#random() * intervalMs));
  }

  /** Cancels the schedule and waits for the batch in flight (the run stops after it). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#pauseAbort.abort();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight) await this.#inFlight.catch(() => undefined);
    await this.#store.releasePurgeLease(this.#owner).catch(() => undefined);
  }

  /**
   * Runs one purge now. If a run is already in flight, returns that run's result instead of
   * starting another (runs never overlap).
   */
  runOnce(): Promise<PurgeRunEvent> {
    if (this.#inFlight) return this.#inFlight;
    const run = this.#run().finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = run;
    return run;
  }

  #schedule(delayMs: number): void {
    const timer = setTimeout(() => {
      void this.runOnce().finally(() => {
        // Only the current schedule continues: after stop() and start() during this run, a newer timer owns it.
        if (this.#timer === timer && !this.#stopping) this.#schedule(this.#purge.intervalSeconds * 1000);
      });
    }, delayMs);
    timer.unref?.();
    this.#timer = timer;
  }

  /**
   * Purge batches of one kind until one comes back short, the time budget runs out or `stop()` is
   * called (then `state.backlog`), counting each batch's rows with `count` as it goes (a failing batch
   * keeps the counts so far).
   */
  async #drain(
    deadline: number,
    state: { batches: number; backlog: boolean },
    purgeBatch: (criteria: PurgeCriteria) => Promise<number>,
    count: (deleted: number) => void,
  ): Promise<void> {
    for (;;) {
      if (this.#stopping || performance.now() >= deadline) {
        state.backlog = true;
        return;
      }
      if (state.batches > 0 && (this.#purge.pauseMs ?? 0) > 0) {
        // Between batches, never before the first: the database serves foreground traffic meanwhile.
        await this.#pause(this.#purge.pauseMs ?? 0, this.#pauseAbort.signal).catch(() => undefined);
        if (this.#stopping || performance.now() >= deadline) {
          state.backlog = true;
          return;
        }
      }
      const now = this.#clock.now();
      const batch = await purgeBatch({
        now,
        expiredBefore: now - this.#retention.expiredSeconds * 1000,
        inactiveBefore: now - this.#retention.inactiveSeconds * 1000,
        limit: this.#purge.batchSize,
      });
      state.batches++;
      count(batch);
      if (batch < this.#purge.batchSize) return;
    }
  }

  async #run(): Promise<PurgeRunEvent> {
    const started = performance.now();
    const removed: KindCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
    const state = { batches: 0, backlog: false };
    const extraCounts: Pick<PurgeRunEvent, 'artifacts'> = {};
    const finish = (extra: Partial<PurgeRunEvent> = {}): PurgeRunEvent => {
      const event: PurgeRunEvent = {
        removed,
        batches: state.batches,
        durationMs: performance.now() - started,
        backlog: state.backlog,
        ...extraCounts,
        ...extra,
      };
      try {
        this.#events.emit('purge', event);
      } catch (error) {
        // A failing listener must not stop the purger or surface as an unhandled rejection of a timer.
        process.emitWarning(
          `tokenstore purge event listener threw: ${error instanceof Error ? error.message : String(error)}`,
          'TokenStoreWarning',
        );
      }
      return event;
    };
    try {
      const leaseMs = Math.max(this.#purge.timeBudgetMs * 2, this.#purge.intervalSeconds * 1000, 30_000);
      if (!(await this.#store.acquirePurgeLease(this.#owner, this.#clock.now(), leaseMs))) return finish({ skipped: 'lease-held' });
      const deadline = started + this.#purge.timeBudgetMs;
      for (const kind of TOKEN_KINDS) {
        await this.#drain(
          deadline,
          state,
          (criteria) => this.#store.purge(kind, criteria),
          (n) => {
            removed[kind] += n;
          },
        );
        if (state.backlog) break;
      }
      // Provider artifacts (issue 14): same lease, same budget, after the tokens.
      const artifacts = this.#store.artifacts;
      if (artifacts) {
        extraCounts.artifacts = 0;
        if (!state.backlog)
          await this.#drain(
            deadline,
            state,
            (criteria) => artifacts.purgeArtifacts(criteria),
            (n) => {
              extraCounts.artifacts = (extraCounts.artifacts ?? 0) + n;
            },
          );
      }
      return finish();
    } catch (error) {
      return finish({
        error: {
          code: isTokenStoreError(error) ? error.code : 'UNKNOWN',
          message: error instanceof Error ? error.message : String(error),
        },
      });
    }
  }
}

import type { ManualClock, Protector, TokenStore } from '@tokenstore/core';
import type { InterleavingControls } from './interleaving-controls.js';

/** What the suite hands a factory when it needs a fresh store. */
export interface StoreContext {
  /** The clock the service under test uses. Stores that keep TTLs of their own (lru-cache) should use it. */
  clock: ManualClock;
  /** Protection mode of this run (`plain`, `hash`, `encrypt`, …), for factories that want to namespace data. */
  mode: string;
}

/** Capability switches: what a backend cannot do, so the suite adapts instead of failing. */
export interface ConformanceCapabilities {
  /**
   * How many concurrent callers the concurrency tests use (default 100 for codes and rotation, 50 for
   * reuse). A backend with a small connection pool still gets them all; the pool queues.
   */
  concurrency?: number;
  /**
   * `exact` (default): purge deletes exactly the purgeable rows and reports their count.
   * `ttl`: rows also disappear on their own (native TTL in real time), so counts are upper bounds.
   */
  purgeCounts?: 'exact' | 'ttl';
  /**
   * Milliseconds of real time the randomized history test runs its workers (default 3000; the
   * environment variable `TOKENSTORE_CONFORMANCE_HISTORY_MS` overrides it). It also stops after a
   * bounded number of operations, so a fast backend may finish earlier.
   */
  historyMs?: number;
  /**
   * `decided` (default): every conditional write that loses a race is told so (a code redemption that
   * lost answers REPLAY). `may-time-out`: under contention a conditional write may time out before it
   * is decided (Cassandra's lightweight transactions on a small cluster, `cas_contention_timeout`), so
   * a loser may fail with CONFLICT or BACKEND_UNAVAILABLE instead; the winner is still exactly one.
   */
  contention?: 'decided' | 'may-time-out';
}

export interface ConformanceOptions<S extends TokenStore = TokenStore> {
  /** Backend name, shown in test titles (e.g. `cache`, `postgres`). */
  name: string;
  /**
   * When set, the whole suite is skipped and this reason printed once (e.g. "no TOKENSTORE_TEST_MYSQL_URL
   * and no Docker engine").
   */
  skip?: string | undefined;
  /** Runs once before the suite (start containers, migrate schemas). */
  setup?: () => Promise<void> | void;
  /** Runs once after the suite. */
  teardown?: () => Promise<void> | void;
  /** A fresh, empty store (drop/truncate what a previous test left). Called before every test. */
  createStore: (context: StoreContext) => Promise<S> | S;
  /** Called after every test; default `store.close()`. */
  destroyStore?: (store: S) => Promise<void> | void;
  /**
   * Every row the backend holds, exactly as stored (all tables, all columns, raw driver values), so the suite
   * can prove that nothing plaintext is at rest.
   */
  inspect: (store: S) => Promise<Array<Record<string, unknown>>>;
  capabilities?: ConformanceCapabilities;
  /**
   * Ways to pause an operation inside the backend's atomic unit (SQL: before COMMIT), for the
   * interleavings topic. Without them the topic still holds operations between store calls.
   */
  interleavings?: InterleavingControls<S>;
  /**
   * Topics to run (keys of `CONFORMANCE_TOPICS`, e.g. `['concurrency', 'interleavings']`); default all.
   * Secrecy always runs. For a second run of a backend in another configuration.
   */
  topics?: string[];
  /** Protection modes to run (names from `PROTECTION_MODE_CASES`); default all of them. */
  modes?: string[];
}

/** One protection mode the suite runs in. */
export interface ProtectionModeCase {
  name: string;
  /** Builds the protector; a fresh one per test is fine. */
  createProtector: () => Protector;
}

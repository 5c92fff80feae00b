import {
  BackendUnavailableError,
  ManualClock,
  type PurgeCriteria,
  type PurgeOptions,
  type PurgeRunEvent,
  Purger,
  type RetentionOptions,
  type TokenKind,
  TokenStoreEventEmitter,
} from '@tokenstore/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred, settledFlag } from './support/deferred.js';
import { RecordingStore } from './support/recording-store.js';

const START = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;

interface Setup {
  purge?: Partial<PurgeOptions>;
  retention?: Partial<RetentionOptions>;
  random?: () => number;
}

function setup(options: Setup = {}) {
  const store = new RecordingStore();
  const clock = new ManualClock(START);
  const events = new TokenStoreEventEmitter();
  const emitted: PurgeRunEvent[] = [];
  events.on('purge', (event) => emitted.push(event));
  const purger = new Purger({
    store,
    clock,
    events,
    purge: { intervalSeconds: 0, batchSize: 1000, timeBudgetMs: 5000, owner: 'node-a', ...options.purge },
    retention: { inactiveSeconds: 86400, expiredSeconds: 0, ...options.retention },
    random: options.random ?? (() => 0),
  });
  purgers.push(purger);
  return { store, clock, events, emitted, purger };
}

/** A purge primitive that deletes the scripted number of rows per call and kind, then 0. */
function scripted(counts: Partial<Record<TokenKind, number[]>>) {
  const remaining = {
    accessToken: [...(counts.accessToken ?? [])],
    refreshToken: [...(counts.refreshToken ?? [])],
    authorizationCode: [...(counts.authorizationCode ?? [])],
  };
  return (kind: TokenKind) => remaining[kind].shift() ?? 0;
}

function purgedKinds(store: RecordingStore): TokenKind[] {
  return store.argsOf('purge').map(([kind]) => kind as TokenKind);
}

function criteriaOf(store: RecordingStore): PurgeCriteria[] {
  return store.argsOf('purge').map(([, criteria]) => criteria as PurgeCriteria);
}

function runsStarted(store: RecordingStore): number {
  return store.argsOf('acquirePurgeLease').length;
}

/** Lets pending promise reactions run; the stub store settles within a few turns. */
async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

const purgers: Purger[] = [];

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  for (const purger of purgers.splice(0)) await purger.stop();
  vi.useRealTimers();
});

describe('schedule', () => {
  it('is off by default: with intervalSeconds 0, start() schedules nothing', async () => {
    const { store, emitted, purger } = setup({ purge: { intervalSeconds: 0 } });
    purger.start();
    expect(purger.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(7 * 24 * 60 * MINUTE);
    expect(store.calls).toEqual([]);
    expect(emitted).toEqual([]);
  });

  it.each([
    [0.25, 15_000],
    [0, 0],
    [0.999, 59_940],
  ])('jitters the first run: random() = %s puts it at %i ms into a 60 s interval', async (random, firstRunMs) => {
    const { store, purger } = setup({ purge: { intervalSeconds: 60 }, random: () => random });
    purger.start();
    expect(purger.running).toBe(true);
    if (firstRunMs > 0) {
      await vi.advanceTimersByTimeAsync(firstRunMs - 1);
      expect(runsStarted(store)).toBe(0);
    }
    await vi.advanceTimersByTimeAsync(firstRunMs === 0 ? 0 : 1);
    expect(runsStarted(store)).toBe(1);
  });

  it('runs every interval after the first run', async () => {
    const { store, emitted, purger } = setup({ purge: { intervalSeconds: 60 }, random: () => 0.5 });
    purger.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runsStarted(store)).toBe(1);
    await vi.advanceTimersByTimeAsync(MINUTE - 1);
    expect(runsStarted(store)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runsStarted(store)).toBe(2);
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(runsStarted(store)).toBe(5);
    expect(emitted).toHaveLength(5);
  });

  it('start() twice keeps one schedule', () => {
    const { purger } = setup({ purge: { intervalSeconds: 60 } });
    purger.start();
    purger.start();
    expect(vi.getTimerCount()).toBe(1);
  });
});

describe('runs never overlap', () => {
  it('hands a second runOnce() the run already in flight', async () => {
    const { store, emitted, purger } = setup({ purge: { batchSize: 100 } });
    const entered = deferred<void>();
    const gate = deferred<number>();
    store.hooks.purge = (kind) => {
      if (kind !== 'accessToken') return 0;
      entered.resolve();
      return gate.promise;
    };
    const first = purger.runOnce();
    await entered.promise;
    const second = purger.runOnce();
    expect(second).toBe(first);
    gate.resolve(5);
    const [a, b] = await Promise.all([first, second]);
    expect(b).toBe(a);
    expect(runsStarted(store)).toBe(1);
    expect(purgedKinds(store)).toEqual(['accessToken', 'refreshToken', 'authorizationCode']);
    expect(emitted).toEqual([a]);
  });

  it('lets a scheduled tick join a manual run in flight instead of starting another', async () => {
    const { store, emitted, purger } = setup({ purge: { intervalSeconds: 10 }, random: () => 0.5 });
    const entered = deferred<void>();
    const gate = deferred<number>();
    store.hooks.purge = (kind) => {
      if (kind !== 'accessToken' || runsStarted(store) > 1) return 0;
      entered.resolve();
      return gate.promise;
    };
    purger.start();
    const manual = purger.runOnce();
    await entered.promise;
    await vi.advanceTimersByTimeAsync(5_000); // the jittered first tick fires while the manual run waits
    expect(runsStarted(store)).toBe(1);
    expect(store.argsOf('purge')).toHaveLength(1);
    gate.resolve(0);
    await manual;
    await drainMicrotasks();
    expect(emitted).toHaveLength(1);
    // The schedule carries on from the joined run.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runsStarted(store)).toBe(2);
  });

  it('starts a fresh run once the previous one has finished', async () => {
    const { store, emitted, purger } = setup();
    const first = await purger.runOnce();
    const second = await purger.runOnce();
    expect(second).not.toBe(first);
    expect(runsStarted(store)).toBe(2);
    expect(emitted).toEqual([first, second]);
  });
});

describe('batches', () => {
  it('deletes in batches of batchSize, per kind, until a batch deletes fewer', async () => {
    const { store, purger } = setup({ purge: { batchSize: 100 } });
    store.hooks.purge = scripted({ accessToken: [100, 100, 37], refreshToken: [], authorizationCode: [100, 0] });
    const event = await purger.runOnce();
    expect(purgedKinds(store)).toEqual([
      'accessToken',
      'accessToken',
      'accessToken',
      'refreshToken',
      'authorizationCode',
      'authorizationCode',
    ]);
    expect(criteriaOf(store).every((criteria) => criteria.limit === 100)).toBe(true);
    expect(event).toMatchObject({ removed: { accessToken: 237, refreshToken: 0, authorizationCode: 100 }, batches: 6, backlog: false });
  });

  it('stops on its time budget and reports a backlog, leaving later kinds for the next run', async () => {
    const { store, purger } = setup({ purge: { batchSize: 10, timeBudgetMs: 1000 } });
    store.hooks.purge = () => {
      vi.advanceTimersByTime(400); // each batch takes 400 ms of (fake) performance time
      return 10;
    };
    const event = await purger.runOnce();
    // Batches start at 0, 400 and 800 ms; at 1200 ms the budget is spent.
    expect(purgedKinds(store)).toEqual(['accessToken', 'accessToken', 'accessToken']);
    expect(event).toEqual({
      removed: { accessToken: 30, refreshToken: 0, authorizationCode: 0 },
      batches: 3,
      durationMs: 1200,
      backlog: true,
    });
  });

  it('reports a backlog when the budget runs out between kinds', async () => {
    const { store, purger } = setup({ purge: { batchSize: 10, timeBudgetMs: 1000 } });
    store.hooks.purge = () => {
      vi.advanceTimersByTime(1000);
      return 3;
    };
    const event = await purger.runOnce();
    expect(purgedKinds(store)).toEqual(['accessToken']);
    expect(event.backlog).toBe(true);
  });

  it('reports no backlog when every kind finished inside the budget', async () => {
    const { store, purger } = setup({ purge: { batchSize: 10, timeBudgetMs: 1000 } });
    store.hooks.purge = () => {
      vi.advanceTimersByTime(300);
      return 9;
    };
    const event = await purger.runOnce();
    expect(event).toMatchObject({ batches: 3, durationMs: 900, backlog: false });
  });
});

describe('pause between batches (purge.pauseMs)', () => {
  it('waits pauseMs before every batch but the first of a run, across kinds', async () => {
    const { store, purger } = setup({ purge: { batchSize: 10, pauseMs: 50 } });
    const startedAt: number[] = [];
    const counts = scripted({ accessToken: [10, 10, 3], refreshToken: [], authorizationCode: [10, 0] });
    store.hooks.purge = (kind) => {
      startedAt.push(performance.now());
      return counts(kind as TokenKind);
    };
    const t0 = performance.now();
    const run = purger.runOnce();
    await vi.advanceTimersByTimeAsync(1000);
    const event = await run;
    expect(startedAt.map((at) => at - t0)).toEqual([0, 50, 100, 150, 200, 250]);
    expect(event).toMatchObject({ removed: { accessToken: 23, refreshToken: 0, authorizationCode: 10 }, batches: 6, backlog: false });
  });

  it('does not pause with the default 0', async () => {
    const { store, purger } = setup({ purge: { batchSize: 10 } });
    store.hooks.purge = scripted({ accessToken: [10, 10, 3] });
    const event = await purger.runOnce(); // no timer advanced: any pause would hang the run
    expect(event.batches).toBe(5);
  });

  it('counts the pauses against the time budget', async () => {
    const { store, purger } = setup({ purge: { batchSize: 10, pauseMs: 600, timeBudgetMs: 1000 } });
    store.hooks.purge = () => 10;
    const run = purger.runOnce();
    await vi.advanceTimersByTimeAsync(5000);
    const event = await run;
    // Batches at 0 and 600 ms; after the next pause (1200 ms) the budget is spent.
    expect(event).toMatchObject({ batches: 2, backlog: true, durationMs: 1200 });
  });

  it('ends a pause at once when stop() is called, without another batch', async () => {
    const { store, emitted, purger } = setup({ purge: { intervalSeconds: 60, batchSize: 10, pauseMs: 60_000 } });
    store.hooks.purge = () => 10;
    purger.start();
    await vi.advanceTimersByTimeAsync(0);
    await drainMicrotasks();
    expect(store.argsOf('purge')).toHaveLength(1); // the run now sits in its first pause
    await purger.stop(); // resolves with no timer advanced: the pause was cut short
    expect(store.argsOf('purge')).toHaveLength(1);
    expect(emitted).toMatchObject([{ batches: 1, backlog: true }]);
  });
});

describe('stop()', () => {
  it('waits for the batch in flight, then no further batch starts', async () => {
    const { store, emitted, purger } = setup({ purge: { intervalSeconds: 60, batchSize: 100 } });
    const entered = deferred<void>();
    const gate = deferred<number>();
    store.hooks.purge = () => {
      entered.resolve();
      return gate.promise;
    };
    purger.start();
    await vi.advanceTimersByTimeAsync(0);
    await entered.promise;
    const stopping = purger.stop();
    const stopped = settledFlag(stopping);
    await drainMicrotasks();
    expect(stopped()).toBe(false);
    expect(purger.running).toBe(false);
    gate.resolve(100); // a full batch: without stop() the run would go on
    await stopping;
    expect(store.argsOf('purge')).toHaveLength(1);
    expect(emitted).toEqual([
      { removed: { accessToken: 100, refreshToken: 0, authorizationCode: 0 }, batches: 1, durationMs: 0, backlog: true },
    ]);
    expect(store.argsOf('releasePurgeLease')).toEqual([['node-a']]);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(store.argsOf('purge')).toHaveLength(1);
    expect(runsStarted(store)).toBe(1);
  });

  it('keeps one schedule when stopped and started again while a run is in flight', async () => {
    const { store, purger } = setup({ purge: { intervalSeconds: 60 }, random: () => 0.5 });
    const entered = deferred<void>();
    const gate = deferred<number>();
    store.hooks.purge = (kind) => {
      if (kind !== 'accessToken' || runsStarted(store) > 1) return 0;
      entered.resolve();
      return gate.promise;
    };
    purger.start();
    await vi.advanceTimersByTimeAsync(30_000);
    await entered.promise;
    const stopping = purger.stop();
    purger.start();
    gate.resolve(0);
    await stopping;
    await drainMicrotasks();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runsStarted(store)).toBe(2);
  });
});

describe('lease', () => {
  it('skips the run when another node holds the lease, without purging', async () => {
    const { store, clock, emitted, purger } = setup();
    store.hooks.acquirePurgeLease = () => false;
    clock.advance(1234);
    const event = await purger.runOnce();
    expect(event).toEqual({
      removed: { accessToken: 0, refreshToken: 0, authorizationCode: 0 },
      batches: 0,
      durationMs: 0,
      backlog: false,
      skipped: 'lease-held',
    });
    expect(emitted).toEqual([event]);
    expect(store.argsOf('purge')).toEqual([]);
    expect(store.argsOf('acquirePurgeLease')).toEqual([['node-a', START + 1234, 30_000]]);
  });

  it.each<[Partial<PurgeOptions>, number]>([
    [{ intervalSeconds: 0, timeBudgetMs: 5000 }, 30_000],
    [{ intervalSeconds: 300 }, 300_000],
    [{ timeBudgetMs: 40_000 }, 80_000],
  ])('holds the lease long enough to cover a run and the interval: %j → %i ms', async (purge, ttl) => {
    const { store, purger } = setup({ purge });
    await purger.runOnce();
    expect(store.argsOf('acquirePurgeLease')[0]?.[2]).toBe(ttl);
  });

  it('purges on a later tick once the lease is free again', async () => {
    const { store, emitted, purger } = setup({ purge: { intervalSeconds: 60 } });
    let held = true;
    store.hooks.acquirePurgeLease = () => !held;
    purger.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(emitted.at(-1)?.skipped).toBe('lease-held');
    held = false;
    await vi.advanceTimersByTimeAsync(MINUTE);
    await drainMicrotasks();
    expect(emitted).toHaveLength(2);
    expect(emitted[1]?.skipped).toBeUndefined();
    expect(store.argsOf('purge')).toHaveLength(3);
  });

  it('identifies itself with a random owner when none is configured, the same on every run', async () => {
    const a = setup({ purge: { owner: undefined } });
    const b = setup({ purge: { owner: undefined } });
    await a.purger.runOnce();
    await a.purger.runOnce();
    await b.purger.runOnce();
    const [first, second] = a.store.argsOf('acquirePurgeLease').map(([owner]) => owner);
    const [other] = b.store.argsOf('acquirePurgeLease').map(([owner]) => owner);
    expect(first).toMatch(/^purger-[0-9a-f-]{36}$/);
    expect(second).toBe(first);
    expect(other).not.toBe(first);
  });
});

describe('errors', () => {
  it('reports a store error with its code, keeps the counts so far, and resolves rather than rejects', async () => {
    const { store, emitted, purger } = setup({ purge: { batchSize: 100 } });
    let calls = 0;
    store.hooks.purge = () => {
      if (++calls === 1) return 100;
      throw new BackendUnavailableError('statement timed out', { backend: 'recording' });
    };
    const event = await purger.runOnce();
    expect(event.error).toEqual({ code: 'BACKEND_UNAVAILABLE', message: '[tokenstore] [recording] statement timed out' });
    expect(event).toMatchObject({ removed: { accessToken: 100, refreshToken: 0, authorizationCode: 0 }, batches: 1 });
    expect(emitted).toEqual([event]);
  });

  it.each([
    ['an Error', new TypeError('socket hang up'), 'socket hang up'],
    ['a thrown string', 'boom', 'boom'],
  ])('reports %s that is not a TokenStoreError as UNKNOWN', async (_, thrown, message) => {
    const { store, purger } = setup();
    store.hooks.purge = () => {
      throw thrown;
    };
    const event = await purger.runOnce();
    expect(event.error).toEqual({ code: 'UNKNOWN', message });
  });

  it('reports a failure to take the lease as an error, without purging', async () => {
    const { store, purger } = setup();
    store.hooks.acquirePurgeLease = () => {
      throw new BackendUnavailableError('connection refused');
    };
    const event = await purger.runOnce();
    expect(event.error?.code).toBe('BACKEND_UNAVAILABLE');
    expect(event.skipped).toBeUndefined();
    expect(store.argsOf('purge')).toEqual([]);
  });

  it('keeps its schedule after a failed run: the next tick runs again', async () => {
    const { store, emitted, purger } = setup({ purge: { intervalSeconds: 60 } });
    let failing = true;
    store.hooks.purge = () => {
      if (failing) throw new BackendUnavailableError('down');
      return 0;
    };
    purger.start();
    await vi.advanceTimersByTimeAsync(0);
    await drainMicrotasks();
    expect(emitted[0]?.error?.code).toBe('BACKEND_UNAVAILABLE');
    failing = false;
    await vi.advanceTimersByTimeAsync(MINUTE);
    await drainMicrotasks();
    expect(emitted).toHaveLength(2);
    expect(emitted[1]?.error).toBeUndefined();
    expect(purger.running).toBe(true);
  });
});

describe('a purge listener that throws', () => {
  it('does not fail the run or break the schedule; it becomes a process warning', async () => {
    const { events, emitted, purger } = setup({ purge: { intervalSeconds: 60 } });
    events.prependListener('purge', () => {
      throw new Error('listener bug');
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const event = await purger.runOnce();
      expect(event.error).toBeUndefined();
      purger.start();
      await vi.advanceTimersByTimeAsync(MINUTE);
      await drainMicrotasks();
      expect(purger.running).toBe(true);
      await vi.waitFor(() => expect(warnings.some((message) => message.includes('listener bug'))).toBe(true));
    } finally {
      process.off('warning', onWarning);
    }
    expect(emitted.length).toBe(0); // the throwing listener ran first, so later listeners of that emit were skipped
  });
});

describe('what a run purges and reports', () => {
  it('asks for rows expired before now − expired retention and retired before now − inactive retention', async () => {
    const { store, purger } = setup({ purge: { batchSize: 50 }, retention: { expiredSeconds: 120, inactiveSeconds: 3600 } });
    await purger.runOnce();
    expect(criteriaOf(store)[0]).toEqual({ now: START, expiredBefore: START - 120_000, inactiveBefore: START - 3_600_000, limit: 50 });
  });

  it('uses no extra delay for expired rows by default (expired retention 0)', async () => {
    const { store, purger } = setup();
    await purger.runOnce();
    expect(criteriaOf(store)[0]).toMatchObject({ now: START, expiredBefore: START, inactiveBefore: START - 86_400_000 });
  });

  it('reads the clock afresh for every batch', async () => {
    const { store, clock, purger } = setup({ purge: { batchSize: 1 }, retention: { expiredSeconds: 10 } });
    const perCall = scripted({ accessToken: [1, 0] });
    store.hooks.purge = (kind) => {
      clock.advance(1000);
      return perCall(kind);
    };
    await purger.runOnce();
    expect(criteriaOf(store).map((criteria) => criteria.now)).toEqual([START, START + 1000, START + 2000, START + 3000]);
    expect(criteriaOf(store)[1]?.expiredBefore).toBe(START + 1000 - 10_000);
  });

  it('emits one purge event per run with rows removed per kind, batches, duration and backlog', async () => {
    const { store, emitted, purger } = setup({ purge: { batchSize: 10 } });
    const perCall = scripted({ accessToken: [3], refreshToken: [2], authorizationCode: [1] });
    store.hooks.purge = (kind) => {
      if (kind === 'accessToken') vi.advanceTimersByTime(250);
      return perCall(kind);
    };
    const event = await purger.runOnce();
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toBe(event);
    expect(event).toStrictEqual({
      removed: { accessToken: 3, refreshToken: 2, authorizationCode: 1 },
      batches: 3,
      durationMs: 250,
      backlog: false,
    });
  });
});

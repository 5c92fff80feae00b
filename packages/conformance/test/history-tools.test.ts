import { createProtector, PlainProtector, type PurgeCriteria, type StateChange, type TokenKind, type TokenStore } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { createPrng, historySeed, workerSeed } from '../src/history/prng.js';
import { historyProtection } from '../src/history/protection.js';
import { PurgeObserver } from '../src/history/purge-observer.js';
import { DRAWS_PER_OP, planOperation } from '../src/history/workload.js';

describe('history PRNG and workload', () => {
  const sequence = (seed: number, n = 50) => {
    const rng = createPrng(seed);
    return Array.from({ length: n }, () => rng.next());
  };

  it('gives the same sequence for the same seed, and another for another seed', () => {
    expect(sequence(42)).toEqual(sequence(42));
    expect(sequence(42)).not.toEqual(sequence(43));
    for (const value of sequence(7, 1000)) expect(value >= 0 && value < 1).toBe(true);
  });

  it('derives distinct, reproducible worker seeds from the run seed', () => {
    const seeds = Array.from({ length: 6 }, (_, worker) => workerSeed(123, worker));
    expect(new Set(seeds).size).toBe(6);
    expect(Array.from({ length: 6 }, (_, worker) => workerSeed(123, worker))).toEqual(seeds);
  });

  it('plans the same operations from the same seed, with a fixed number of draws each', () => {
    const plan = (seed: number) => {
      const rng = createPrng(seed);
      return Array.from({ length: 200 }, () => planOperation(rng));
    };
    expect(plan(9)).toEqual(plan(9));
    for (const op of plan(9)) expect(op.draws).toHaveLength(DRAWS_PER_OP);
    expect(new Set(plan(9).map((op) => op.kind)).size).toBeGreaterThan(10);
  });

  it('reads the seed from the environment value, or makes one up', () => {
    expect(historySeed('12345')).toBe(12345);
    expect(() => historySeed('-1')).toThrow(/TOKENSTORE_CONFORMANCE_SEED/);
    expect(() => historySeed('abc')).toThrow(/TOKENSTORE_CONFORMANCE_SEED/);
    const random = historySeed(undefined);
    expect(Number.isSafeInteger(random) && random >= 0 && random < 2 ** 32).toBe(true);
  });
});

type Row = { key: string; grantId: string; state: 'ACTIVE' | 'REVOKED'; expiresAt: number | null; stateChangedAt: number };

/** One kind of rows in a map; `duringPurge` runs between the purge's start and its deletions. */
function fakeStore(rows: Row[], deletes: (row: Row) => boolean, duringPurge: (store: TokenStore) => Promise<void> = async () => {}) {
  const table = new Map(rows.map((row) => [row.key, { ...row }]));
  const store = {
    async scan(_kind: TokenKind, request: { cursor: string | null }) {
      return { rows: request.cursor === null ? [...table.values()].map((row) => ({ ...row })) : [], cursor: null };
    },
    async purge(_kind: TokenKind, _criteria: PurgeCriteria) {
      await duringPurge(proxy);
      let deleted = 0;
      for (const row of [...table.values()])
        if (deletes(row)) {
          table.delete(row.key);
          deleted++;
        }
      return deleted;
    },
    async replaceKey(_kind: TokenKind, oldKey: string, row: Row) {
      const old = table.get(oldKey);
      if (!old) return false;
      table.delete(oldKey);
      table.set(row.key, { ...old, key: row.key });
      return true;
    },
    // Like Cassandra: a rotation that loses removes the successors it had already written.
    async rotateRefreshToken(rotation: { successor: { accessToken: Row } }) {
      table.delete(rotation.successor.accessToken.key);
      return false;
    },
    async compareAndSetState(_kind: TokenKind, key: string, change: StateChange) {
      const row = table.get(key);
      if (!row || row.state !== change.from) return false;
      Object.assign(row, { state: change.to, stateChangedAt: change.at });
      return true;
    },
  };
  // The observer's own store, once built; the purge hook calls through it like a concurrent writer would.
  let proxy: TokenStore = store as unknown as TokenStore;
  return {
    target: store as unknown as TokenStore,
    use(observed: TokenStore) {
      proxy = observed;
    },
  };
}

describe('history purge observer', () => {
  const criteria: PurgeCriteria = { now: 100, expiredBefore: 90, inactiveBefore: 70, limit: 10 };
  const row = (key: string, extra: Partial<Row> = {}): Row => ({
    key,
    grantId: `grant-${key}`,
    state: 'ACTIVE',
    expiresAt: 200,
    stateChangedAt: 0,
    ...extra,
  });

  function observe(rows: Row[], deletes: (row: Row) => boolean, duringPurge?: (store: TokenStore) => Promise<void>) {
    const fake = fakeStore(rows, deletes, duringPurge);
    let sequence = 0;
    const observer = new PurgeObserver(
      fake.target,
      () => ++sequence,
      (grantId) => grantId.replace('grant-', 'g-'),
    );
    fake.use(observer.store);
    return observer;
  }

  it('records each row a purge removed, as it was before, and nothing it kept', async () => {
    const observer = observe([row('a'), row('b', { expiresAt: 50 })], (r) => r.key === 'b');
    expect(await observer.store.purge('accessToken', criteria)).toBe(1);
    expect(observer.vanished).toEqual([
      expect.objectContaining({ kind: 'accessToken', state: 'ACTIVE', expiresAt: 50, grant: 'g-b', criteria, concurrentChangeAt: null }),
    ]);
  });

  it('does not count a row re-keyed by a rewrap during the purge as purged', async () => {
    const observer = observe(
      [row('a')],
      () => false,
      async (store) => {
        await store.replaceKey('accessToken', 'a', { key: 'a2' } as never);
      },
    );
    await observer.store.purge('accessToken', criteria);
    expect(observer.vanished).toEqual([]);
  });

  it('does not count the successor a losing rotation removed during the purge as purged', async () => {
    const observer = observe(
      [row('a'), row('s')],
      () => false,
      async (store) => {
        const rotation = {
          key: 'r',
          expected: { state: 'ACTIVE', reuseCount: 0 },
          at: 60,
          successor: { accessToken: row('s'), refreshToken: row('t') },
        };
        expect(await store.rotateRefreshToken(rotation as never)).toBe(false);
      },
    );
    await observer.store.purge('accessToken', criteria);
    expect(observer.vanished).toEqual([]);
  });

  it('notes the earliest time of a state change that overlapped the purge', async () => {
    const observer = observe(
      [row('a'), row('b')],
      (r) => r.key === 'a',
      async (store) => {
        await store.compareAndSetState('accessToken', 'a', { from: 'ACTIVE', to: 'REVOKED', at: 60 });
      },
    );
    await observer.store.purge('accessToken', criteria);
    expect(observer.vanished).toEqual([expect.objectContaining({ grant: 'g-a', concurrentChangeAt: 60 })]);
  });
});

describe('history protection', () => {
  it('rewraps recoverable modes to a second, encrypted form the services also read, and skips one-way modes', () => {
    const plain = historyProtection('plain', new PlainProtector());
    expect(plain.label).toBe('plain→encrypt');
    const stored = plain.service.protect('a-token-value-of-some-length-0123456789');
    expect(plain.rewrap!.isCurrent(stored)).toBe(false);
    const moved = plain.rewrap!.protect(plain.service.reveal(stored));
    expect(moved.key).not.toBe(stored.key);
    expect(plain.service.lookupKeys('a-token-value-of-some-length-0123456789')).toEqual([stored.key, moved.key]);
    expect(plain.service.recoverable).toBe(true);

    const hash = historyProtection('hash-sha256', createProtector({ mode: 'hash', algorithm: 'sha256' }));
    expect(hash.rewrap).toBeNull();
    expect(hash.label).toMatch(/^skipped/);
  });
});

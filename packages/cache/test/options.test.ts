import { MemoryStore, ReadCache } from '@tokenstore/cache';
import { ErrorCode, TokenStoreError } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

function misconfiguration(build: () => unknown): TokenStoreError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenStoreError);
    expect((error as TokenStoreError).code).toBe(ErrorCode.Misconfiguration);
    return error as TokenStoreError;
  }
  return expect.fail('expected a MISCONFIGURATION error');
}

// Deliberately wrong options, as a JavaScript caller could pass them.
// biome-ignore lint/suspicious/noExplicitAny: see above
const loose = (value: unknown): any => value;

describe('MemoryStore options', () => {
  it('applies the defaults: 100,000 rows per kind, no memory bound, the service retention defaults', () => {
    const store = new MemoryStore();
    expect(store.options).toMatchObject({ maxEntries: 100_000, maxMemoryBytes: null });
    expect(store.retention).toEqual({ inactiveSeconds: 86_400, expiredSeconds: 0 });
    expect(store.backend).toBe('memory');
    expect(store.capabilities).toEqual({ shared: false, nativeExpiry: true, timeGranularityMs: 1 });
  });

  it.each([
    ['maxEntries', { maxEntries: 0 }],
    ['maxEntries', { maxEntries: 1.5 }],
    ['maxEntries', { maxEntries: '100' }],
    ['maxMemoryBytes', { maxMemoryBytes: -1 }],
    ['maxMemoryBytes', { maxMemoryBytes: Number.NaN }],
    ['clock', { clock: { now: 5 } }],
    ['clock', { clock: null }],
    // Retention is the service's option (handed over by useRetention), not repeated here.
    ['retention', { retention: { inactiveSeconds: 60 } }],
    ['maxEntry', { maxEntry: 10 }],
    ['options', null],
  ])('names %s when it is invalid', (field, options) => {
    const error = misconfiguration(() => new MemoryStore(loose(options)));
    expect(error.field).toBe(field);
    expect(error.backend).toBe('memory');
    expect(error.message).toContain(field);
  });
});

describe('ReadCache options', () => {
  it('applies the defaults: 10,000 entries, 5 s staleness, 1 s negative caching', () => {
    const cache = new ReadCache(new MemoryStore());
    expect(cache.options).toMatchObject({ maxEntries: 10_000, ttlMs: 5000, negativeTtlMs: 1000 });
    expect(cache.backend).toBe('cache+memory');
  });

  it.each([
    ['maxEntries', { maxEntries: 0 }],
    ['ttlMs', { ttlMs: 0 }],
    ['ttlMs', { ttlMs: 2 ** 31 }],
    ['negativeTtlMs', { negativeTtlMs: -1 }],
    ['clock', { clock: {} }],
    ['ttl', { ttl: 5 }],
  ])('names %s when it is invalid', (field, options) => {
    const error = misconfiguration(() => new ReadCache(new MemoryStore(), loose(options)));
    expect(error.field).toBe(field);
    expect(error.backend).toBe('cache+memory');
  });

  it('takes the longest retention services hand over, and refuses a malformed one', () => {
    const store = new MemoryStore();
    store.useRetention({ inactiveSeconds: 60, expiredSeconds: 600 });
    expect(store.retention).toEqual({ inactiveSeconds: 60, expiredSeconds: 600 });
    new ReadCache(store).useRetention({ inactiveSeconds: 3600, expiredSeconds: 0 });
    expect(store.retention).toEqual({ inactiveSeconds: 3600, expiredSeconds: 600 });
    const error = misconfiguration(() => store.useRetention(loose({ inactiveSeconds: -1, expiredSeconds: 0 })));
    expect(error.field).toBe('retention');
    expect(store.retention).toEqual({ inactiveSeconds: 3600, expiredSeconds: 600 });
  });

  it('refuses something that is not a store', () => {
    expect(misconfiguration(() => new ReadCache(loose({}))).field).toBe('inner');
  });
});

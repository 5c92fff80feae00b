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
    expect(store.options).toMatchObject({
      maxEntries: 100_000,
      maxMemoryBytes: null,
      retention: { inactiveSeconds: 86_400, expiredSeconds: 0 },
    });
    expect(store.backend).toBe('cache');
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
    ['retention', { retention: 'a day' }],
    ['retention.inactiveSeconds', { retention: { inactiveSeconds: -1 } }],
    ['retention.expiredSeconds', { retention: { expiredSeconds: 0.5 } }],
    ['retention.inactiveSecs', { retention: { inactiveSecs: 60 } }],
    ['maxEntry', { maxEntry: 10 }],
    ['options', null],
  ])('names %s when it is invalid', (field, options) => {
    const error = misconfiguration(() => new MemoryStore(loose(options)));
    expect(error.field).toBe(field);
    expect(error.backend).toBe('cache');
    expect(error.message).toContain(field);
  });
});

describe('ReadCache options', () => {
  it('applies the defaults: 10,000 entries, 5 s staleness, 1 s negative caching', () => {
    const cache = new ReadCache(new MemoryStore());
    expect(cache.options).toMatchObject({ maxEntries: 10_000, ttlMs: 5000, negativeTtlMs: 1000 });
    expect(cache.backend).toBe('cache+cache');
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
    expect(error.backend).toBe('cache+cache');
  });

  it('refuses something that is not a store', () => {
    expect(misconfiguration(() => new ReadCache(loose({}))).field).toBe('inner');
  });
});

import {
  DEFAULT_VALIDITY,
  ErrorCode,
  MAX_PURGE_INTERVAL_SECONDS,
  MAX_VALIDITY_SECONDS,
  ManualClock,
  MisconfigurationError,
  PlainProtector,
  resolveServiceOptions,
  TokenService,
  type TokenServiceOptions,
  TokenStoreEventEmitter,
} from '@tokenstore/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { caught } from './support/caught.js';
import { RecordingStore } from './support/recording-store.js';
import { OneWayStubProtector } from './support/stub-protectors.js';

/** Options as a JavaScript caller (or a config file) might pass them, unchecked by the compiler. */
type LooseOptions = Record<string, unknown>;

function resolve(options: LooseOptions = {}) {
  return resolveServiceOptions({ store: new RecordingStore(), ...options } as TokenServiceOptions);
}

function misconfiguration(fn: () => unknown): MisconfigurationError {
  const error = caught(fn);
  expect(error).toBeInstanceOf(MisconfigurationError);
  expect(error.code).toBe(ErrorCode.Misconfiguration);
  return error;
}

describe('service option defaults', () => {
  it('uses the documented defaults when nothing is configured', () => {
    expect(resolve()).toEqual({
      validity: { applicationAccessToken: 3600, userAccessToken: 3600, refreshToken: 86400, authorizationCode: 300 },
      reuseTokens: false,
      refresh: { gracePeriodSeconds: 0, maxReuseCount: 0 },
      retention: { inactiveSeconds: 86400, expiredSeconds: 0 },
      purge: { intervalSeconds: 0, batchSize: 1000, timeBudgetMs: 5000, pauseMs: 0 },
      requireRegisteredClient: true,
    });
    expect(DEFAULT_VALIDITY).toEqual({ applicationAccessToken: 3600, userAccessToken: 3600, refreshToken: 86400, authorizationCode: 300 });
  });

  it('overrides only what is given, and treats an undefined field as not given', () => {
    const resolved = resolve({
      validity: { userAccessToken: 900, refreshToken: undefined },
      refresh: { gracePeriodSeconds: 10, maxReuseCount: 2 },
      retention: { expiredSeconds: 60 },
      purge: { intervalSeconds: 300, owner: 'gateway-7' },
    });
    expect(resolved.validity).toEqual({ applicationAccessToken: 3600, userAccessToken: 900, refreshToken: 86400, authorizationCode: 300 });
    expect(resolved.refresh).toEqual({ gracePeriodSeconds: 10, maxReuseCount: 2 });
    expect(resolved.retention).toEqual({ inactiveSeconds: 86400, expiredSeconds: 60 });
    expect(resolved.purge).toEqual({ intervalSeconds: 300, batchSize: 1000, timeBudgetMs: 5000, pauseMs: 0, owner: 'gateway-7' });
  });

  it('configures application and user token validity independently', () => {
    const resolved = resolve({ validity: { applicationAccessToken: 7200, userAccessToken: 600 } });
    expect(resolved.validity.applicationAccessToken).toBe(7200);
    expect(resolved.validity.userAccessToken).toBe(600);
  });

  it('accepts a negative default validity (never expires) and the largest allowed values', () => {
    const resolved = resolve({
      validity: { applicationAccessToken: -1, refreshToken: MAX_VALIDITY_SECONDS },
      purge: { intervalSeconds: MAX_PURGE_INTERVAL_SECONDS },
    });
    expect(resolved.validity.applicationAccessToken).toBe(-1);
    expect(resolved.validity.refreshToken).toBe(MAX_VALIDITY_SECONDS);
    expect(resolved.purge.intervalSeconds).toBe(MAX_PURGE_INTERVAL_SECONDS);
  });

  it('accepts the switches as booleans', () => {
    expect(resolve({ reuseTokens: true, requireRegisteredClient: false })).toMatchObject({
      reuseTokens: true,
      requireRegisteredClient: false,
    });
  });
});

describe('a wrong option fails at construction, naming the option', () => {
  it.each<[string, LooseOptions]>([
    ['validity.applicationAccessToken', { validity: { applicationAccessToken: 0 } }],
    ['validity.applicationAccessToken', { validity: { applicationAccessToken: 1.5 } }],
    ['validity.applicationAccessToken', { validity: { applicationAccessToken: '3600' } }],
    ['validity.userAccessToken', { validity: { userAccessToken: Number.NaN } }],
    ['validity.userAccessToken', { validity: { userAccessToken: MAX_VALIDITY_SECONDS + 1 } }],
    ['validity.refreshToken', { validity: { refreshToken: Number.POSITIVE_INFINITY } }],
    ['validity.authorizationCode', { validity: { authorizationCode: -0.5 } }],
    ['validity.authorizationCode', { validity: { authorizationCode: null } }],
    ['reuseTokens', { reuseTokens: 'yes' }],
    ['reuseTokens', { reuseTokens: 1 }],
    ['refresh.gracePeriodSeconds', { refresh: { gracePeriodSeconds: -1 } }],
    ['refresh.maxReuseCount', { refresh: { maxReuseCount: 1.5 } }],
    ['retention.inactiveSeconds', { retention: { inactiveSeconds: -86400 } }],
    ['retention.expiredSeconds', { retention: { expiredSeconds: Number.NaN } }],
    ['purge.intervalSeconds', { purge: { intervalSeconds: -60 } }],
    ['purge.intervalSeconds', { purge: { intervalSeconds: '300' } }],
    ['purge.intervalSeconds', { purge: { intervalSeconds: MAX_PURGE_INTERVAL_SECONDS + 1 } }],
    ['purge.batchSize', { purge: { batchSize: 0 } }],
    ['purge.batchSize', { purge: { batchSize: 2 ** 60 } }],
    ['purge.timeBudgetMs', { purge: { timeBudgetMs: 0 } }],
    ['purge.pauseMs', { purge: { pauseMs: -1 } }],
    ['purge.pauseMs', { purge: { pauseMs: 1.5 } }],
    ['purge.owner', { purge: { owner: '' } }],
    ['purge.owner', { purge: { owner: 42 } }],
    ['requireRegisteredClient', { requireRegisteredClient: 'false' }],
    ['validity', { validity: 3600 }],
    ['refresh', { refresh: [30] }],
    ['validity.userAccessTokenValidity', { validity: { userAccessTokenValidity: 60 } }],
    ['purge.interval', { purge: { interval: 60 } }],
  ])('%s: %j', (field, options) => {
    const error = misconfiguration(() => resolve(options));
    expect(error.field).toBe(field);
    expect(error.message).toContain(`option ${field}:`);
  });

  it('refuses a purge interval Node cannot time, which would otherwise purge every millisecond', () => {
    const error = misconfiguration(() => resolve({ purge: { intervalSeconds: 30 * 24 * 3600 } }));
    expect(error.field).toBe('purge.intervalSeconds');
  });

  it.each<[string, LooseOptions]>([
    ['store', { store: undefined }],
    ['store', { store: { backend: 'not-a-store' } }],
    ['clock', { clock: Date.now }],
    ['protector', { protector: { mode: 'plain' } }],
    ['events', { events: { emit() {} } }],
    ['validity.userAccessToken', { validity: { userAccessToken: 0 } }],
  ])('the TokenService constructor refuses a wrong %s', (field, options) => {
    const error = misconfiguration(() => new TokenService({ store: new RecordingStore(), ...options } as TokenServiceOptions));
    expect(error.field).toBe(field);
  });

  it('the TokenService constructor refuses a missing options object', () => {
    const error = misconfiguration(() => new TokenService(undefined as unknown as TokenServiceOptions));
    expect(error.field).toBe('options');
  });
});

describe('token reuse and protection', () => {
  it('refuses reuseTokens with a protector that cannot recover values, explaining why', () => {
    const store = new RecordingStore();
    const error = misconfiguration(() => new TokenService({ store, protector: new OneWayStubProtector(), reuseTokens: true }));
    expect(error.field).toBe('reuseTokens');
    expect(error.message).toContain('"hash"');
    expect(error.message).toContain('one-way digest');
    expect(error.message).toContain('cannot hand an existing token back');
    expect(error.message).toContain('Turn reuseTokens off');
    expect(store.calls).toEqual([]);
  });

  it('refuses reuseTokens with any protector that cannot recover every value', () => {
    const error = misconfiguration(
      () => new TokenService({ store: new RecordingStore(), protector: new OneWayStubProtector('encrypt'), reuseTokens: true }),
    );
    expect(error.field).toBe('reuseTokens');
    expect(error.message).toContain('"encrypt"');
    expect(error.message).toContain('cannot recover');
  });

  it('allows a one-way protector when reuse is off, and reuse with a recoverable protector', () => {
    const store = new RecordingStore();
    expect(new TokenService({ store, protector: new OneWayStubProtector() }).options.reuseTokens).toBe(false);
    expect(new TokenService({ store, protector: new PlainProtector(), reuseTokens: true }).options.reuseTokens).toBe(true);
  });
});

describe('service wiring', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the injected clock, protector and emitter', () => {
    const clock = new ManualClock();
    const protector = new PlainProtector();
    const events = new TokenStoreEventEmitter();
    const service = new TokenService({ store: new RecordingStore(), clock, protector, events });
    expect(service.clock).toBe(clock);
    expect(service.protector).toBe(protector);
    expect(service.events).toBe(events);
  });

  it('leaves the background purger off by default', () => {
    vi.useFakeTimers();
    const service = new TokenService({ store: new RecordingStore() });
    expect(service.purger.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts the background purger when an interval is configured, and close() stops it', async () => {
    vi.useFakeTimers();
    const store = new RecordingStore();
    const service = new TokenService({ store, purge: { intervalSeconds: 60 } });
    expect(service.purger.running).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    await service.close();
    expect(service.purger.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(store.closed).toBe(true);
  });
});

describe('refresh grace options that would do nothing', () => {
  it('refuses a grace period without a reuse count, naming refresh.maxReuseCount', () => {
    expect(() => resolveServiceOptions({ store: {} as never, refresh: { gracePeriodSeconds: 30 } })).toThrow(
      expect.objectContaining({ code: ErrorCode.Misconfiguration, field: 'refresh.maxReuseCount' }),
    );
  });
  it('refuses a reuse count without a grace period, naming refresh.gracePeriodSeconds', () => {
    expect(() => resolveServiceOptions({ store: {} as never, refresh: { maxReuseCount: 2 } })).toThrow(
      expect.objectContaining({ code: ErrorCode.Misconfiguration, field: 'refresh.gracePeriodSeconds' }),
    );
  });
  it('accepts both together', () => {
    expect(resolveServiceOptions({ store: {} as never, refresh: { gracePeriodSeconds: 30, maxReuseCount: 1 } }).refresh).toEqual({
      gracePeriodSeconds: 30,
      maxReuseCount: 1,
    });
  });
});

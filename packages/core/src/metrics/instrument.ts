import type { Attributes, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { isTokenStoreError } from '../errors.js';
import type { FallbackHitEvent, PurgeRunEvent, RewrapProgressEvent, SecurityEvent } from '../events.js';
import type { IssueAccessTokenRequest } from '../service/requests.js';
import type { TokenService } from '../service/token-service.js';
import type { RevocationCounts } from '../store.js';
import { TOKEN_KINDS } from '../types.js';
import { METRIC } from './names.js';

/** Lookup counts of a read cache (`ReadCache.stats()` in `@tokenstore/cache`). */
export interface ReadCacheStats {
  hits: number;
  misses: number;
}

export interface TokenServiceMetricsOptions {
  /**
   * Where instruments are created: `metrics.getMeter('tokenstore')` from `@opentelemetry/api` (with
   * the SDK of your choice registered), or a `MeterProvider`'s meter. tokenstore depends on the API's
   * types only: without an SDK nothing is installed and nothing is recorded.
   */
  meter: Meter;
  /** A read cache in front of the store, for its hit rate (`tokenstore.read_cache.lookups`). */
  readCache?: { stats(): ReadCacheStats };
}

export interface TokenServiceMetrics {
  /** Stops recording: unsubscribes from the events and puts the service's own methods back. */
  stop(): void;
}

/** The service methods that are wrapped (the rest of the numbers come from its events). */
const WRAPPED = [
  'issueAccessToken',
  'redeemAuthorizationCode',
  'issueAuthorizationCode',
  'validateAccessToken',
  'refreshAccessToken',
  'revokeAccessToken',
  'revokeRefreshToken',
  'revokeToken',
  'revokeTokensOfUser',
  'revokeTokensOfClient',
  'revokeGrant',
  'verifyClientSecret',
  'authenticateClient',
] as const;
type Wrapped = (typeof WRAPPED)[number];

/**
 * Records OpenTelemetry metrics of `service` (see `names.ts` for every instrument). The numbers of
 * purge, rewrap, security and protection come from the service's events; issue, validate, refresh,
 * revoke and backend errors from wrapping those methods on this one service object, so a service
 * that is not instrumented runs exactly as before, at no cost.
 *
 * Attributes carry only fixed vocabulary — grant types, kinds, outcomes, error codes, backend names
 * and protection scheme tags — never a token, code, secret, consumer key or user id.
 */
export function instrumentTokenService(service: TokenService, options: TokenServiceMetricsOptions): TokenServiceMetrics {
  const meter = options.meter;
  // Without an SDK, `metrics.getMeter()` is the API's no-op meter, and stays one (the metrics API has no
  // proxy that a later registration could fill): there is nothing to record, so nothing is wrapped.
  if (isNoopMeter(meter)) return { stop() {} };
  const issued = meter.createCounter(METRIC.issued.name, METRIC.issued);
  const validations = meter.createCounter(METRIC.validations.name, METRIC.validations);
  const refreshes = meter.createCounter(METRIC.refreshes.name, METRIC.refreshes);
  const revocations = meter.createCounter(METRIC.revocations.name, METRIC.revocations);
  const security = meter.createCounter(METRIC.security.name, METRIC.security);
  const fallbackHits = meter.createCounter(METRIC.fallbackHits.name, METRIC.fallbackHits);
  const backendErrors = meter.createCounter(METRIC.backendErrors.name, METRIC.backendErrors);
  const purgeRows = meter.createCounter(METRIC.purgeRows.name, METRIC.purgeRows);
  const purgeRuns = meter.createCounter(METRIC.purgeRuns.name, METRIC.purgeRuns);
  const purgeDuration: Histogram = meter.createHistogram(METRIC.purgeDuration.name, METRIC.purgeDuration);
  const purgeBacklog = meter.createObservableGauge(METRIC.purgeBacklog.name, METRIC.purgeBacklog);
  const rewrapDone = meter.createObservableGauge(METRIC.rewrapDone.name, METRIC.rewrapDone);
  const rewrapConverted = meter.createObservableGauge(METRIC.rewrapConverted.name, METRIC.rewrapConverted);
  const rewrapTotal = meter.createObservableGauge(METRIC.rewrapTotal.name, METRIC.rewrapTotal);

  let backlog = 0;
  const rewrap = new Map<string, RewrapProgressEvent>();
  const observeBacklog = (result: ObservableResult) => result.observe(backlog);
  const observeRewrap = (field: 'done' | 'converted' | 'total') => (result: ObservableResult) => {
    for (const [kind, progress] of rewrap) {
      const value = progress[field];
      if (value !== null) result.observe(value, { 'tokenstore.protected.kind': kind });
    }
  };
  const callbacks: Array<[{ removeCallback(cb: (r: ObservableResult) => void): void }, (r: ObservableResult) => void]> = [
    [purgeBacklog, observeBacklog],
    [rewrapDone, observeRewrap('done')],
    [rewrapConverted, observeRewrap('converted')],
    [rewrapTotal, observeRewrap('total')],
  ];
  const readCache = options.readCache;
  if (readCache) {
    const lookups = meter.createObservableCounter(METRIC.readCacheLookups.name, METRIC.readCacheLookups);
    const observe = (result: ObservableResult) => {
      const stats = readCache.stats();
      result.observe(stats.hits, { 'tokenstore.cache.result': 'hit' });
      result.observe(stats.misses, { 'tokenstore.cache.result': 'miss' });
    };
    callbacks.push([lookups, observe]);
  }
  for (const [instrument, callback] of callbacks)
    (instrument as unknown as { addCallback(cb: typeof callback): void }).addCallback(callback);

  const onPurge = (run: PurgeRunEvent) => {
    const outcome = run.skipped ? 'lease_held' : run.error ? 'error' : run.backlog ? 'backlog' : 'complete';
    purgeRuns.add(1, { 'tokenstore.outcome': outcome });
    if (run.skipped) return;
    purgeDuration.record(run.durationMs / 1000, { 'tokenstore.outcome': outcome });
    for (const kind of TOKEN_KINDS) if (run.removed[kind] > 0) purgeRows.add(run.removed[kind], { 'tokenstore.token.kind': kind });
    backlog = run.backlog ? 1 : 0;
    if (run.error && run.error.code !== 'UNKNOWN')
      backendErrors.add(1, { 'error.type': run.error.code, 'tokenstore.backend': service.store.backend });
  };
  const onFallback = (hit: FallbackHitEvent) => {
    const attributes: Attributes = { 'tokenstore.protected.kind': hit.kind, 'tokenstore.protection.scheme': hit.scheme };
    if (hit.rehashed !== undefined) attributes['tokenstore.protection.rehashed'] = hit.rehashed;
    fallbackHits.add(1, attributes);
  };
  const onSecurity = (event: SecurityEvent) => {
    security.add(1, { 'tokenstore.security.kind': event.kind === 'code-replay' ? 'code_replay' : 'refresh_reuse' });
  };
  const onRewrap = (progress: RewrapProgressEvent) => {
    rewrap.set(progress.kind, { ...progress });
  };
  service.events.on('purge', onPurge);
  service.events.on('protection:fallback', onFallback);
  service.events.on('security', onSecurity);
  service.events.on('rewrap:progress', onRewrap);

  const originals = new Map<Wrapped, unknown>();
  const countError = (error: unknown) => {
    // Policy refusals (bad input, not found, reuse…) come from core; a backend's own failures name it.
    if (isTokenStoreError(error) && error.backend !== 'core')
      backendErrors.add(1, { 'error.type': error.code, 'tokenstore.backend': error.backend });
  };
  const outcomeOf = (error: unknown) => (isTokenStoreError(error) ? error.code : 'UNKNOWN');
  function wrap<A extends unknown[], R>(name: Wrapped, record: (args: A, result: R | undefined, error: unknown) => void): void {
    const original = (service as unknown as Record<string, (...args: A) => Promise<R>>)[name]!;
    originals.set(name, Object.hasOwn(service, name) ? original : undefined);
    (service as unknown as Record<string, unknown>)[name] = async (...args: A): Promise<R> => {
      let result: R;
      try {
        result = await original.apply(service, args);
      } catch (error) {
        countError(error);
        try {
          record(args, undefined, error);
        } catch {
          // Recording must never change what the caller sees.
        }
        throw error;
      }
      try {
        record(args, result, undefined);
      } catch {
        // Recording must never change what the caller sees.
      }
      return result;
    };
  }

  wrap<[IssueAccessTokenRequest], unknown>('issueAccessToken', ([request], _result, error) => {
    const grantType = typeof request?.grantType === 'string' ? request.grantType : request?.userId ? 'password' : 'client_credentials';
    issued.add(1, { 'tokenstore.token.kind': 'access_token', 'tokenstore.grant_type': grantType, 'tokenstore.outcome': outcome(error) });
  });
  wrap('redeemAuthorizationCode', (_args, _result, error) => {
    issued.add(1, {
      'tokenstore.token.kind': 'access_token',
      'tokenstore.grant_type': 'authorization_code',
      'tokenstore.outcome': outcome(error),
    });
  });
  wrap('issueAuthorizationCode', (_args, _result, error) => {
    issued.add(1, {
      'tokenstore.token.kind': 'authorization_code',
      'tokenstore.grant_type': 'authorization_code',
      'tokenstore.outcome': outcome(error),
    });
  });
  // The gateway's hot path: no async wrapper, one handler pair and one attribute object per verdict.
  const validateOriginal = service.validateAccessToken;
  originals.set('validateAccessToken', Object.hasOwn(service, 'validateAccessToken') ? validateOriginal : undefined);
  const VALID: Attributes = { 'tokenstore.validation.result': 'valid' };
  const INVALID: Attributes = { 'tokenstore.validation.result': 'invalid' };
  const FAILED: Attributes = { 'tokenstore.validation.result': 'error' };
  const onValidated = <T>(info: T): T => {
    validations.add(1, info ? VALID : INVALID);
    return info;
  };
  const onValidationError = (error: unknown): never => {
    countError(error);
    validations.add(1, FAILED);
    throw error;
  };
  service.validateAccessToken = (token: string) => validateOriginal.call(service, token).then(onValidated, onValidationError);
  wrap('refreshAccessToken', (_args, _result, error) => {
    refreshes.add(1, { 'tokenstore.outcome': outcome(error) });
  });
  const single = (kind: string) => (_args: unknown[], result: unknown) => {
    if (result === true) revocations.add(1, { 'tokenstore.token.kind': kind });
  };
  wrap('revokeAccessToken', single('access_token'));
  wrap('revokeRefreshToken', single('refresh_token'));
  wrap<[string, ('access_token' | 'refresh_token')?], boolean>('revokeToken', () => undefined);
  const bulk = (_args: unknown[], result: unknown) => {
    if (!result) return;
    const counts = result as RevocationCounts;
    for (const kind of TOKEN_KINDS) {
      const count = (counts as unknown as Record<string, number>)[kind];
      if (typeof count === 'number' && count > 0) revocations.add(count, { 'tokenstore.token.kind': KIND_NAMES[kind] });
    }
  };
  wrap('revokeTokensOfUser', bulk);
  wrap('revokeTokensOfClient', bulk);
  wrap('revokeGrant', bulk);
  // Wrapped only so that a backend failing a secret check is counted.
  wrap('verifyClientSecret', () => undefined);
  wrap('authenticateClient', () => undefined);

  function outcome(error: unknown): string {
    return error === undefined ? 'success' : outcomeOf(error);
  }

  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      service.events.off('purge', onPurge);
      service.events.off('protection:fallback', onFallback);
      service.events.off('security', onSecurity);
      service.events.off('rewrap:progress', onRewrap);
      for (const [instrument, callback] of callbacks) instrument.removeCallback(callback);
      for (const [name, own] of originals) {
        if (own === undefined) delete (service as unknown as Record<string, unknown>)[name];
        else (service as unknown as Record<string, unknown>)[name] = own;
      }
    },
  };
}

/** The no-op meter of `@opentelemetry/api` (by its class name: this package imports only the API's types). */
function isNoopMeter(meter: Meter): boolean {
  return (meter as { constructor?: { name?: string } }).constructor?.name === 'NoopMeter';
}

const KIND_NAMES: Record<string, string> = {
  accessToken: 'access_token',
  refreshToken: 'refresh_token',
  authorizationCode: 'authorization_code',
};

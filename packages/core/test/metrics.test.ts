import { createNoopMeter } from '@opentelemetry/api';
import { MeterProvider, type MetricData, MetricReader } from '@opentelemetry/sdk-metrics';
import { MemoryStore } from '@tokenstore/cache';
import {
  BackendUnavailableError,
  instrumentTokenService,
  ManualClock,
  type StoredRowByKind,
  type TokenKind,
  TokenService,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

/** A reader the test collects from on demand (no export interval, nothing measured in time). */
class InMemoryReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
  async metrics(): Promise<MetricData[]> {
    const { resourceMetrics } = await this.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  }
}

/** A memory store whose lookups can be made to fail as a remote backend would. */
class FlakyStore extends MemoryStore {
  failing = false;
  override async get<K extends TokenKind>(kind: K, key: string): Promise<StoredRowByKind[K] | null> {
    if (this.failing) throw new BackendUnavailableError('connection refused', { backend: 'flakydb' });
    return super.get(kind, key);
  }
  // The synchronous fast path answers without `get`: it fails the same way.
  override peek<K extends TokenKind>(kind: K, key: string): StoredRowByKind[K] | null {
    if (this.failing) throw new BackendUnavailableError('connection refused', { backend: 'flakydb' });
    return super.peek(kind, key);
  }
}

async function fixture() {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const store = new FlakyStore({ clock });
  const service = new TokenService({ store, clock, retention: { inactiveSeconds: 0 } });
  const reader = new InMemoryReader();
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = instrumentTokenService(service, { meter: provider.getMeter('tokenstore-test') });
  const client = await service.registerClient({ consumerKey: 'metrics-app', grantTypes: ['client_credentials'] });
  return { clock, store, service, reader, metrics, client };
}

/** The sum of every data point of `name` whose attributes include `attributes`. */
function total(metrics: MetricData[], name: string, attributes: Record<string, string | boolean> = {}): number {
  const metric = metrics.find((m) => m.descriptor.name === name);
  if (!metric) return 0;
  return (metric.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>)
    .filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
    .reduce((sum, point) => sum + (typeof point.value === 'number' ? point.value : ((point.value as { count: number }).count ?? 0)), 0);
}

describe('OpenTelemetry metrics', () => {
  it('counts issued tokens, validations (valid and invalid), refreshes and revocations, in OTel naming style', async () => {
    const f = await fixture();
    const app = await f.service.issueAccessToken({ consumerKey: f.client.consumerKey });
    const user = await f.service.issueAccessToken({ consumerKey: f.client.consumerKey, userId: 'alice', issueRefreshToken: true });
    await f.service.validateAccessToken(app.accessToken);
    await f.service.validateAccessToken('never-issued-token-value');
    await f.service.refreshAccessToken({ consumerKey: f.client.consumerKey, refreshToken: user.refreshToken! });
    await f.service.revokeAccessToken(app.accessToken);
    await f.service.validateAccessToken(app.accessToken);

    const metrics = await f.reader.metrics();
    expect(total(metrics, 'tokenstore.token.issued', { 'tokenstore.grant_type': 'client_credentials' })).toBe(1);
    expect(total(metrics, 'tokenstore.token.issued', { 'tokenstore.grant_type': 'password' })).toBe(1);
    expect(total(metrics, 'tokenstore.token.validations', { 'tokenstore.validation.result': 'valid' })).toBe(1);
    expect(total(metrics, 'tokenstore.token.validations', { 'tokenstore.validation.result': 'invalid' })).toBe(2);
    expect(total(metrics, 'tokenstore.token.refreshes', { 'tokenstore.outcome': 'success' })).toBe(1);
    expect(total(metrics, 'tokenstore.token.revocations', { 'tokenstore.token.kind': 'access_token' })).toBe(1);
    const issued = metrics.find((m) => m.descriptor.name === 'tokenstore.token.issued')!;
    expect(issued.descriptor.unit).toBe('{token}');
    for (const metric of metrics) expect(metric.descriptor.name).toMatch(/^tokenstore(\.[a-z][a-z0-9_]*)+$/);
  });

  it('counts code replays, refresh reuse, protection fallback hits and backend errors by code and backend', async () => {
    const f = await fixture();
    await f.service.updateClient(f.client.consumerKey, { grantTypes: ['authorization_code', 'refresh_token'] });
    const code = await f.service.issueAuthorizationCode({ consumerKey: f.client.consumerKey, userId: 'alice' });
    await f.service.redeemAuthorizationCode({ consumerKey: f.client.consumerKey, code: code.code, issueRefreshToken: true });
    await f.service.redeemAuthorizationCode({ consumerKey: f.client.consumerKey, code: code.code }).catch(() => undefined);
    const user = await f.service.issueAccessToken({ consumerKey: f.client.consumerKey, userId: 'bob', issueRefreshToken: true });
    await f.service.refreshAccessToken({ consumerKey: f.client.consumerKey, refreshToken: user.refreshToken! });
    await f.service.refreshAccessToken({ consumerKey: f.client.consumerKey, refreshToken: user.refreshToken! }).catch(() => undefined);
    f.service.events.emit('protection:fallback', { kind: 'accessToken', index: 1, scheme: 'plain' });
    f.store.failing = true;
    await f.service.validateAccessToken('any-token-value-at-all').catch(() => undefined);

    const metrics = await f.reader.metrics();
    expect(total(metrics, 'tokenstore.security.events', { 'tokenstore.security.kind': 'code_replay' })).toBe(1);
    expect(total(metrics, 'tokenstore.security.events', { 'tokenstore.security.kind': 'refresh_reuse' })).toBe(1);
    expect(total(metrics, 'tokenstore.protection.fallback_hits', { 'tokenstore.protected.kind': 'accessToken' })).toBe(1);
    expect(total(metrics, 'tokenstore.backend.errors', { 'error.type': 'BACKEND_UNAVAILABLE', 'tokenstore.backend': 'flakydb' })).toBe(1);
    expect(total(metrics, 'tokenstore.token.validations', { 'tokenstore.validation.result': 'error' })).toBe(1);
  });

  it('records purge rows per kind, runs with their outcome and duration, and rewrap progress', async () => {
    const f = await fixture();
    const token = await f.service.issueAccessToken({ consumerKey: f.client.consumerKey, validitySeconds: 60 });
    await f.service.revokeAccessToken(token.accessToken);
    f.clock.advanceSeconds(120);
    await f.service.purgeExpired();
    f.service.events.emit('rewrap:progress', { kind: 'client', done: 3, converted: 2, total: 10, ratePerSecond: 1, cursor: null });

    const metrics = await f.reader.metrics();
    expect(total(metrics, 'tokenstore.purge.rows', { 'tokenstore.token.kind': 'accessToken' })).toBe(1);
    expect(total(metrics, 'tokenstore.purge.runs', { 'tokenstore.outcome': 'complete' })).toBe(1);
    const duration = metrics.find((m) => m.descriptor.name === 'tokenstore.purge.duration')!;
    expect(duration.descriptor.unit).toBe('s');
    expect(total(metrics, 'tokenstore.purge.duration')).toBe(1);
    expect(total(metrics, 'tokenstore.purge.backlog')).toBe(0);
    expect(total(metrics, 'tokenstore.rewrap.rows.done', { 'tokenstore.protected.kind': 'client' })).toBe(3);
    expect(total(metrics, 'tokenstore.rewrap.rows.converted', { 'tokenstore.protected.kind': 'client' })).toBe(2);
    expect(total(metrics, 'tokenstore.rewrap.rows.total', { 'tokenstore.protected.kind': 'client' })).toBe(10);
  });

  it('never puts a token, code, secret or user id in an attribute', async () => {
    const f = await fixture();
    const values = [f.client.consumerSecret, 'alice'];
    const user = await f.service.issueAccessToken({ consumerKey: f.client.consumerKey, userId: 'alice', issueRefreshToken: true });
    values.push(user.accessToken, user.refreshToken!);
    await f.service.validateAccessToken(user.accessToken);
    await f.service.refreshAccessToken({ consumerKey: f.client.consumerKey, refreshToken: user.refreshToken! });
    await f.service.refreshAccessToken({ consumerKey: f.client.consumerKey, refreshToken: user.refreshToken! }).catch(() => undefined);
    await f.service.revokeTokensOfUser('alice');
    const text = JSON.stringify((await f.reader.metrics()).map((m) => m.dataPoints.map((point) => point.attributes)));
    for (const value of values) expect(text).not.toContain(value);
  });

  it('stops recording when stopped', async () => {
    const f = await fixture();
    f.metrics.stop();
    await f.service.issueAccessToken({ consumerKey: f.client.consumerKey });
    expect(total(await f.reader.metrics(), 'tokenstore.token.issued')).toBe(0);
  });

  it('leaves the service untouched when the meter is the no-op meter of the API (no SDK installed): nothing to record, nothing to pay', async () => {
    const service = new TokenService({ store: new MemoryStore() });
    const before = service.validateAccessToken;
    const metrics = instrumentTokenService(service, { meter: createNoopMeter() });
    expect(service.validateAccessToken).toBe(before);
    expect(Object.hasOwn(service, 'issueAccessToken')).toBe(false);
    expect(service.events.listenerCount('purge')).toBe(0);
    metrics.stop();
  });
});

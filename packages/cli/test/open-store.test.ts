import { MemoryStore, ReadCache } from '@tokenstore/cache';
import { DriverUnavailableError, ManualClock, TokenService } from '@tokenstore/core';
import { SqlStore } from '@tokenstore/rdbms';
import { describe, expect, it } from 'vitest';
import { loadConfig, openStore } from '../src/index.js';

describe('openStore', () => {
  it('opens a MemoryStore for memory: that keeps rows as long as the service retention', async () => {
    const clock = new ManualClock();
    const config = loadConfig({ TOKENSTORE_RETENTION: '60' });
    const store = await openStore(config, { clock });
    expect(store).toBeInstanceOf(MemoryStore);
    // The service hands its retention to the store (TokenStore.useRetention); the store repeats no option.
    const service = new TokenService({ store, clock, retention: config.service.retention });
    expect((store as MemoryStore).retention).toEqual({ inactiveSeconds: 60, expiredSeconds: 0 });
    // The store ages with the injected clock: a revoked token is gone once the retention has passed
    // (it expires before, so its inactive retention is the later deadline).
    const { consumerKey } = await service.registerClient();
    const { accessToken } = await service.issueAccessToken({ consumerKey, validitySeconds: 30 });
    await service.revokeAccessToken(accessToken);
    expect(await service.inspectAccessToken(accessToken)).toMatchObject({ state: 'REVOKED' });
    clock.advanceSeconds(61);
    expect(await service.inspectAccessToken(accessToken)).toBeNull();
    await service.close();
  });

  it('opens a SqlStore for a SQL URL (the pool connects lazily) and puts the configured read cache in front', async () => {
    const config = loadConfig({ TOKENSTORE_URL: 'postgres://nobody@127.0.0.1:1/none', TOKENSTORE_READ_CACHE_TTL_MS: '1500' });
    const store = await openStore(config);
    expect(store).toBeInstanceOf(ReadCache);
    expect((store as ReadCache).inner).toBeInstanceOf(SqlStore);
    expect((store as ReadCache).options.ttlMs).toBe(1500);
    expect(store.backend).toBe('cache+postgres');
    await store.close();
  });

  it('fails with DRIVER_UNAVAILABLE naming the package to install when the driver is missing', async () => {
    const error = await openStore(loadConfig({ TOKENSTORE_URL: 'db2://db2inst1:pw@127.0.0.1:50000/tokens' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriverUnavailableError);
    expect(error).toMatchObject({ code: 'DRIVER_UNAVAILABLE', packageName: 'ibm_db' });
  });

  it('fails with BACKEND_UNAVAILABLE when Cassandra cannot be reached, without the password', async () => {
    const error = await openStore(loadConfig({ TOKENSTORE_URL: 'cassandra://app:hunter2pw@127.0.0.1:1/tokens?dc=dc1' })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'cassandra' });
    expect(String((error as Error).message)).not.toContain('hunter2pw');
  });
});

import { CassandraStore, type CassandraStoreOptions } from '@tokenstore/cassandra';
import { DEFAULT_RETENTION, MisconfigurationError, TokenService } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { accessTokenRow, HOUR, NOW } from './support/rows.js';

const fakeClient = { execute: async () => ({ rows: [] }), shutdown: async () => {} };

function fieldOf(options: CassandraStoreOptions): string | undefined {
  try {
    new CassandraStore(options);
  } catch (error) {
    if (error instanceof MisconfigurationError) return error.field;
    throw error;
  }
  return undefined;
}

describe('store options', () => {
  it('builds from contact points and a data centre, or from a URL, or around an injected client', () => {
    expect(new CassandraStore({ contactPoints: ['10.0.0.1'], localDataCenter: 'dc1', keyspace: 'ks' }).keyspace).toBe('ks');
    expect(new CassandraStore({ url: 'cassandra://10.0.0.1/ks2?dc=dc1' }).keyspace).toBe('ks2');
    expect(new CassandraStore({ client: fakeClient }).keyspace).toBe('tokenstore');
  });

  it('is a shared store whose rows expire on their own', () => {
    expect(new CassandraStore({ client: fakeClient }).capabilities).toEqual({ shared: true, nativeExpiry: true, timeGranularityMs: 1 });
  });

  const invalid: Array<[string, CassandraStoreOptions, string]> = [
    ['both a URL and contact points', { url: 'cassandra://a/?dc=d', contactPoints: ['b'] }, 'contactPoints'],
    ['an injected client and a URL', { client: fakeClient, url: 'cassandra://a/?dc=d' }, 'client'],
    ['no way to reach Cassandra', {}, 'contactPoints'],
    ['contact points without a data centre', { contactPoints: ['a'] }, 'localDataCenter'],
    ['a keyspace that differs from the URL', { url: 'cassandra://a/one?dc=d', keyspace: 'two' }, 'keyspace'],
    ['a keyspace name CQL cannot take unquoted', { client: fakeClient, keyspace: 'token-store' }, 'keyspace'],
    [
      'an unknown replication class',
      { client: fakeClient, replication: { class: 'OldNetworkTopologyStrategy' } as never },
      'replication.class',
    ],
    [
      'a replication factor of 0',
      { client: fakeClient, replication: { class: 'SimpleStrategy', replicationFactor: 0 } },
      'replication.replicationFactor',
    ],
    [
      'no data centre in NetworkTopologyStrategy',
      { client: fakeClient, replication: { class: 'NetworkTopologyStrategy', dataCenters: {} } },
      'replication.dataCenters',
    ],
    [
      'a retention (the service owns it and hands it over: useRetention)',
      { client: fakeClient, retention: { expiredSeconds: 600 } } as CassandraStoreOptions,
      'retention',
    ],
    ['a purge bucket under a minute', { client: fakeClient, purgeIndex: { bucketSeconds: 10 } }, 'purgeIndex.bucketSeconds'],
    ['an unknown option', { client: fakeClient, consistencyLevel: 'ONE' } as CassandraStoreOptions, 'consistencyLevel'],
  ];
  for (const [what, options, field] of invalid)
    it(`refuses ${what} at construction, naming ${field}`, () => {
      expect(fieldOf(options)).toBe(field);
    });

  it('refuses the removed retention option as an unknown option', () => {
    expect(() => new CassandraStore({ client: fakeClient, retention: { inactiveSeconds: 60 } } as CassandraStoreOptions)).toThrow(
      expect.objectContaining({ code: 'MISCONFIGURATION', field: 'retention', message: expect.stringContaining('unknown option') }),
    );
  });

  it('takes the longest retention its services hand over, and refuses an invalid one', async () => {
    const statements: Array<{ query: string; params: unknown[] }> = [];
    const client = {
      execute: async (query: string, params: unknown[] = []) => {
        statements.push({ query, params });
        return { rows: [] };
      },
      shutdown: async () => {},
    };
    const store = new CassandraStore({ client });
    store.useRetention({ inactiveSeconds: 3600, expiredSeconds: 600 });
    store.useRetention({ inactiveSeconds: 60, expiredSeconds: 1200 });
    await store.insert('accessToken', accessTokenRow({ issuedAt: NOW, expiresAt: NOW + HOUR }));
    const insert = statements.find((s) => /^INSERT INTO \w+\.access_tokens /.test(s.query))!;
    expect(insert.params.at(-1), 'the row TTL: lifetime + the longer expired retention').toBe(3600 + 1200);
    expect(() => new CassandraStore({ client: fakeClient }).useRetention({ inactiveSeconds: -1, expiredSeconds: 0 })).toThrow(
      expect.objectContaining({ code: 'MISCONFIGURATION', field: 'retention' }),
    );
  });

  it('writes rows with the default retention until a service hands its own over', async () => {
    const ttlOfInsert = async (retention?: { inactiveSeconds: number; expiredSeconds: number }) => {
      const statements: Array<{ query: string; params: unknown[] }> = [];
      const client = {
        execute: async (query: string, params: unknown[] = []) => {
          statements.push({ query, params });
          return { rows: [] };
        },
        shutdown: async () => {},
      };
      const store = new CassandraStore({ client });
      if (retention) new TokenService({ store, retention });
      await store.insert('accessToken', accessTokenRow({ issuedAt: NOW, expiresAt: NOW + HOUR }));
      const insert = statements.find((s) => /^INSERT INTO \w+\.access_tokens /.test(s.query))!;
      return insert.params.at(-1);
    };
    expect(await ttlOfInsert()).toBe(3600 + DEFAULT_RETENTION.expiredSeconds);
    expect(await ttlOfInsert({ inactiveSeconds: 3600, expiredSeconds: 600 })).toBe(3600 + 600);
  });
});

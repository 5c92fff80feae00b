import { CassandraStore, type CassandraStoreOptions } from '@tokenstore/cassandra';
import { MisconfigurationError } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

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
    ['a negative retention', { client: fakeClient, retention: { expiredSeconds: -1 } }, 'retention.expiredSeconds'],
    ['a purge bucket under a minute', { client: fakeClient, purgeIndex: { bucketSeconds: 10 } }, 'purgeIndex.bucketSeconds'],
    ['an unknown option', { client: fakeClient, consistencyLevel: 'ONE' } as CassandraStoreOptions, 'consistencyLevel'],
  ];
  for (const [what, options, field] of invalid)
    it(`refuses ${what} at construction, naming ${field}`, () => {
      expect(fieldOf(options)).toBe(field);
    });
});

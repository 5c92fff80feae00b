import { CassandraStore, parseCassandraUrl } from '@tokenstore/cassandra';
import { ErrorCode, MisconfigurationError } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

describe('cassandra:// URLs', () => {
  it('reads one host, the keyspace and the local data centre', () => {
    expect(parseCassandraUrl('cassandra://10.0.0.1:9042/tokens?dc=dc1')).toEqual({
      contactPoints: ['10.0.0.1:9042'],
      keyspace: 'tokens',
      localDataCenter: 'dc1',
      credentials: undefined,
    });
  });

  it('reads several hosts, defaulting the port to 9042', () => {
    expect(parseCassandraUrl('cassandra://a.example,b.example:9142,[::1]/ks?dc=eu').contactPoints).toEqual([
      'a.example:9042',
      'b.example:9142',
      '[::1]:9042',
    ]);
  });

  it('leaves the keyspace to the default when the path is empty', () => {
    const parsed = parseCassandraUrl('cassandra://127.0.0.1:9042/?dc=datacenter1');
    expect(parsed.keyspace).toBeUndefined();
    expect(new CassandraStore('cassandra://127.0.0.1:9042/?dc=datacenter1').keyspace).toBe('tokenstore');
  });

  it('reads percent-encoded credentials', () => {
    expect(parseCassandraUrl('cassandra://app:p%40ss%3Aword@db:9042/ks?dc=dc1').credentials).toEqual({
      username: 'app',
      password: 'p@ss:word',
    });
  });

  const invalid: Array<[string, string]> = [
    ['another scheme', 'postgres://127.0.0.1/ks?dc=dc1'],
    ['no host', 'cassandra:///ks?dc=dc1'],
    ['an empty host in the list', 'cassandra://a,,b/ks?dc=dc1'],
    ['a port that is not a number', 'cassandra://a:90x2/ks?dc=dc1'],
    ['a port out of range', 'cassandra://a:70000/ks?dc=dc1'],
    ['an invalid keyspace name', 'cassandra://a/my-keyspace?dc=dc1'],
    ['an unknown parameter', 'cassandra://a/ks?dc=dc1&consistency=ONE'],
  ];
  for (const [what, url] of invalid) {
    it(`refuses ${what} with MISCONFIGURATION on option url`, () => {
      expect(() => parseCassandraUrl(url)).toThrow(MisconfigurationError);
      try {
        parseCassandraUrl(url);
      } catch (error) {
        expect((error as MisconfigurationError).field).toBe('url');
        expect((error as MisconfigurationError).code).toBe(ErrorCode.Misconfiguration);
      }
    });
  }

  it('never echoes the URL (it may hold a password) in its errors', () => {
    const url = 'cassandra://app:s3cret-value@db:99999/ks?dc=dc1';
    expect(() => parseCassandraUrl(url)).toThrow(/invalid port/);
    try {
      parseCassandraUrl(url);
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret-value');
    }
  });

  it('requires the local data centre when the store builds its own client', () => {
    expect(() => new CassandraStore('cassandra://127.0.0.1/ks')).toThrow(/localDataCenter/);
  });
});

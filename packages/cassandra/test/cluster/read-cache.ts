import { ReadCache } from '@tokenstore/cache';
import { CassandraStore, CONSISTENCY_PRESETS, type ConsistencySettings } from '@tokenstore/cassandra';
import { accessTokenRow } from '@tokenstore/conformance';
import { ManualClock, TokenService } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { type NodeId, pinnedTo, replicatedKeyspace } from './cluster-control.js';

const KEYSPACE = `tokenstore_cluster_read_cache_${process.pid}`;
const TTL_MS = 5000;
const NEGATIVE_TTL_MS = 1000;

/**
 * The read cache in front of Cassandra, with the revocation going through another coordinator (two
 * gateway nodes, each talking to its own Cassandra node): the staleness bound the cache documents
 * (`ttlMs`, counted from the start of the read that filled it) holds on the cluster when the store's
 * reads overlap its writes (QUORUM / LOCAL_QUORUM): a read through after the bound meets a replica that
 * has the revocation. At ONE / ANY the bound is `ttlMs` plus the store's own staleness (see the fault
 * tests and the README). No node is stopped here.
 */
export function readCacheTests(enabled: boolean): void {
  describe.skipIf(!enabled)('the read cache on a three-node cluster, changes made through another coordinator', () => {
    const { driver: client } = replicatedKeyspace(KEYSPACE);

    const gateway = (node: NodeId, clock: ManualClock, consistency: ConsistencySettings, cached: boolean) => {
      const store = new CassandraStore({ client: pinnedTo(client(), node), keyspace: KEYSPACE, consistency });
      const cache = cached ? new ReadCache(store, { ttlMs: TTL_MS, negativeTtlMs: NEGATIVE_TTL_MS, clock }) : undefined;
      return { service: new TokenService({ store: cache ?? store, clock }), cache };
    };

    it.each([
      ['production', CONSISTENCY_PRESETS.production],
      ['global', CONSISTENCY_PRESETS.global],
    ] as const)(
      'at the %s preset: a revocation through node 2 is served from node 1’s cache for at most ttlMs, then refused',
      async (_, consistency) => {
        const clock = new ManualClock();
        const cachedGateway = gateway(1, clock, consistency, true);
        const other = gateway(2, clock, consistency, false);
        const { consumerKey } = await other.service.registerClient({ name: 'read cache client' });
        const token = await other.service.issueAccessToken({ consumerKey, userId: 'carol', scopes: ['read'] });

        expect(await cachedGateway.service.validateAccessToken(token.accessToken), 'the first validation (fills the cache)').not.toBeNull();
        const filled = cachedGateway.cache!.stats();
        expect(await other.service.revokeTokensOfUser('carol')).toMatchObject({ accessToken: 1 });

        // Within the bound the cache may answer with what it read before the revocation: the documented staleness.
        clock.advance(TTL_MS);
        expect(await cachedGateway.service.validateAccessToken(token.accessToken), 'at ttlMs, still from the cache').not.toBeNull();
        expect(cachedGateway.cache!.stats().hits).toBe(filled.hits + 1);
        // Past it the cache reads through node 1, whose read overlaps the revocation's write: refused.
        clock.advance(1);
        expect(await cachedGateway.service.validateAccessToken(token.accessToken), 'past ttlMs, read through node 1').toBeNull();
        expect(cachedGateway.cache!.stats().misses).toBe(filled.misses + 1);
        await cachedGateway.service.close();
        await other.service.close();
      },
      120_000,
    );

    it('a row written through node 2 after node 1 cached its absence is seen on node 1 once negativeTtlMs has passed', async () => {
      const clock = new ManualClock();
      const cachedGateway = gateway(1, clock, CONSISTENCY_PRESETS.production, true);
      const other = new CassandraStore({ client: pinnedTo(client(), 2), keyspace: KEYSPACE, consistency: CONSISTENCY_PRESETS.production });
      const row = accessTokenRow(clock.now(), { userId: 'dave' });
      expect(await cachedGateway.cache!.get('accessToken', row.key), 'unknown yet: cached as unknown').toBeNull();
      await other.insert('accessToken', row);
      clock.advance(NEGATIVE_TTL_MS);
      expect(await cachedGateway.cache!.get('accessToken', row.key), 'at negativeTtlMs, still from the cache').toBeNull();
      clock.advance(1);
      expect(await cachedGateway.cache!.get('accessToken', row.key), 'past negativeTtlMs, read through node 1').toEqual(row);
      await cachedGateway.service.close();
      await other.close();
    }, 120_000);
  });
}

import { CassandraStore, CONSISTENCY_PRESETS } from '@tokenstore/cassandra';
import { isTokenStoreError, ManualClock, TokenService, type TokenStoreError } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { cluster, type NodeId, pinnedTo, replicatedKeyspaceForFaults } from './cluster-control.js';

const KEYSPACE = `tokenstore_cluster_faults_${process.pid}`;

/**
 * Nodes stopped and started under the store, at the default levels (read ONE, write ANY). Hints are
 * off in the test cluster, so a write a node missed stays missed until repair. Each test leaves all
 * three nodes up.
 */
export function faultTests(enabled: boolean): void {
  describe.skipIf(!enabled)('a three-node cluster losing nodes, at the default levels (ONE / ANY)', () => {
    const clock = new ManualClock();
    // The defaults for everything the tests are about; clients are written and read at QUORUM, so that a test's own
    // set-up (register a client, then issue for it at once) does not hit the read-your-writes caveat.
    const storeOn = (node: NodeId) =>
      new CassandraStore({
        client: pinnedTo(driver(), node),
        keyspace: KEYSPACE,
        consistency: { perOperation: { clients: { read: 'QUORUM', write: 'QUORUM' } } },
      });
    const serviceOn = (node: NodeId) => new TokenService({ store: storeOn(node), clock });

    const { driver } = replicatedKeyspaceForFaults(KEYSPACE);

    it('never reports a user revocation as done while a token of the user stays ACTIVE, even when the replica it reads missed the token', async () => {
      const issuer = serviceOn(1);
      const { consumerKey } = await issuer.registerClient({ name: 'cluster client' });
      // Node 3 misses the token: it is down while the token is issued (and hints are off).
      await cluster.stop(3);
      await cluster.waitFor('UN UN DN', 1);
      const token = await issuer.issueAccessToken({ consumerKey, userId: 'alice', scopes: ['read'] });
      await cluster.restart(3);
      await cluster.waitFor('UN UN UN');
      // Now node 3 is the only replica a revocation through it can reach.
      await cluster.stop(1);
      await cluster.stop(2);
      await cluster.waitFor('DN DN UN', 3);
      const revoker = serviceOn(3);
      let revoked: boolean;
      try {
        await revoker.revokeTokensOfUser('alice');
        revoked = true;
      } catch (error) {
        // Not reaching the replicas that hold the token's entries is an error the caller sees and retries.
        expect(isTokenStoreError(error), String(error)).toBe(true);
        expect((error as TokenStoreError).code).toBe('BACKEND_UNAVAILABLE');
        revoked = false;
      }
      await cluster.restart(1);
      await cluster.restart(2);
      await cluster.waitFor('UN UN UN');
      if (!revoked) await revoker.revokeTokensOfUser('alice');
      const checker = new TokenService({
        store: new CassandraStore({
          client: pinnedTo(driver(), 1),
          keyspace: KEYSPACE,
          consistency: { read: 'QUORUM', write: 'QUORUM' },
        }),
        clock,
      });
      expect(await checker.validateAccessToken(token.accessToken), 'the token after its user was revoked').toBeNull();
    }, 300_000);

    it('shows the documented caveat: a revocation a replica missed is not seen at ONE on that replica alone, and is seen at QUORUM', async () => {
      const issuer = serviceOn(1);
      const { consumerKey } = await issuer.registerClient({ name: 'caveat client' });
      const token = await issuer.issueAccessToken({ consumerKey, userId: 'bob', scopes: ['read'] });
      await cluster.stop(3);
      await cluster.waitFor('UN UN DN', 1);
      expect(await issuer.revokeToken(token.accessToken)).toBe(true);
      await cluster.restart(3);
      await cluster.waitFor('UN UN UN');
      await cluster.stop(1);
      await cluster.stop(2);
      await cluster.waitFor('DN DN UN', 3);
      const atOne = serviceOn(3);
      const atQuorum = new TokenService({
        store: new CassandraStore({ client: pinnedTo(driver(), 3), keyspace: KEYSPACE, consistency: CONSISTENCY_PRESETS.global }),
        clock,
      });
      // The isolated replica still has the token ACTIVE: a validation at ONE accepts the revoked token.
      expect(
        await atOne.validateAccessToken(token.accessToken),
        'a validation at ONE on the replica that missed the revocation',
      ).not.toBeNull();
      // Two nodes down: whatever needs a quorum fails fast with a typed error instead of guessing.
      await expect(atQuorum.validateAccessToken(token.accessToken)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      await expect(atOne.issueAccessToken({ consumerKey, userId: 'bob', scopes: ['write'] })).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
      });
      await cluster.restart(1);
      await cluster.restart(2);
      await cluster.waitFor('UN UN UN');
      expect(await atQuorum.validateAccessToken(token.accessToken), 'a validation at QUORUM once the nodes are back').toBeNull();
    }, 300_000);
  });
}

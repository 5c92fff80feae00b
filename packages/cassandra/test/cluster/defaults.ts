import { CassandraStore, CONSISTENCY_PRESETS } from '@tokenstore/cassandra';
import { isTokenStoreError, ManualClock, pkceChallenge, TokenService, type TokenServiceOptions } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { type NodeId, pinnedTo, replicatedKeyspace } from './cluster-control.js';

const KEYSPACE = `tokenstore_cluster_defaults_${process.pid}`;
const NODES: readonly NodeId[] = [1, 2, 3];
const CALLERS = 15;
const REDIRECT_URI = 'https://client.example.com/callback';
const VERIFIER = 'dBjftJeZ4CVP-mJ92K9qsXp8KZ9Cf8wOxGq8e8LxFqg9dBjftJeZ4CVP';

/**
 * What must hold at every preset, shown at the defaults (read ONE, write ANY) on the three-node cluster,
 * with concurrent callers spread over the three coordinators: a code is redeemed once, a refresh token
 * rotates once, one reuse key has one active token, and a revocation by user right after the issues
 * leaves none of them active. Callers may also fail (a `ONE` read that has not seen a write yet: the
 * documented caveat), always with a typed error; what is asserted is what a failure may never break.
 * The checks read at QUORUM. No node is stopped.
 */
export function defaultsTests(enabled: boolean): void {
  describe.skipIf(!enabled)('the guarantees that hold at every preset, at the defaults (ONE / ANY) on three coordinators', () => {
    const { driver: client } = replicatedKeyspace(KEYSPACE);

    const clock = new ManualClock();
    /** One gateway per Cassandra node, every level at its default. */
    const gateways = (options: Partial<TokenServiceOptions> = {}) =>
      NODES.map(
        (node) =>
          new TokenService({ store: new CassandraStore({ client: pinnedTo(client(), node), keyspace: KEYSPACE }), clock, ...options }),
      );
    const checker = () =>
      new TokenService({
        store: new CassandraStore({ client: pinnedTo(client(), 1), keyspace: KEYSPACE, consistency: CONSISTENCY_PRESETS.global }),
        clock,
      });
    const registerClient = (service: TokenService) =>
      // The client is registered and read at QUORUM by the checker, so every gateway finds it.
      service.registerClient({
        name: 'defaults client',
        redirectUris: [REDIRECT_URI],
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        allowedScopes: ['read'],
      });

    /** Runs `call` CALLERS times at once, caller i on gateway i mod 3; the successes, and every failure checked typed. */
    async function race<T>(services: TokenService[], call: (service: TokenService) => Promise<T>): Promise<T[]> {
      const settled = await Promise.allSettled(Array.from({ length: CALLERS }, (_, i) => call(services[i % services.length]!)));
      for (const outcome of settled)
        if (outcome.status === 'rejected') expect(isTokenStoreError(outcome.reason), String(outcome.reason)).toBe(true);
      return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    }

    it('redeems an authorization code exactly once, over two waves of concurrent redemptions on three coordinators', async () => {
      const check = checker();
      const services = gateways();
      const { consumerKey } = await registerClient(check);
      const { code } = await services[0]!.issueAuthorizationCode({
        consumerKey,
        userId: 'frank',
        redirectUri: REDIRECT_URI,
        scopes: ['read'],
        codeChallenge: pkceChallenge(VERIFIER, 'S256'),
        codeChallengeMethod: 'S256',
      });
      const redeem = (service: TokenService) =>
        service.redeemAuthorizationCode({ code, consumerKey, redirectUri: REDIRECT_URI, codeVerifier: VERIFIER });
      // The second wave starts after the first settled: by then every replica has the code.
      const winners = [...(await race(services, redeem)), ...(await race(services, redeem))];
      expect(winners, 'redemptions that returned tokens').toHaveLength(1);
      await Promise.all([...services, check].map((service) => service.close()));
    }, 120_000);

    it('rotates a refresh token at most once under concurrent refreshes on three coordinators', async () => {
      const check = checker();
      const services = gateways();
      const { consumerKey } = await registerClient(check);
      const issued = await check.issueAccessToken({ consumerKey, userId: 'grace', scopes: ['read'], issueRefreshToken: true });
      const refreshToken = issued.refreshToken!;
      const winners = await race(services, (service) => service.refreshAccessToken({ refreshToken, consumerKey }));
      expect(winners.length, 'refreshes that rotated').toBeLessThanOrEqual(1);
      // Once the race is over the refresh token is spent whoever asks: never a second successor.
      await expect(check.refreshAccessToken({ refreshToken, consumerKey })).rejects.toSatisfy(isTokenStoreError);
      await Promise.all([...services, check].map((service) => service.close()));
    }, 120_000);

    it('hands every concurrent caller of one reuse key the same token, on three coordinators', async () => {
      const check = checker();
      const services = gateways({ reuseTokens: true });
      const { consumerKey } = await registerClient(check);
      const tokens = await race(services, (service) => service.issueAccessToken({ consumerKey, userId: 'heidi', scopes: ['read'] }));
      expect(tokens.length, 'callers that got a token').toBeGreaterThan(0);
      expect(new Set(tokens.map((issued) => issued.accessToken)).size, 'distinct tokens for one reuse key').toBe(1);
      await Promise.all([...services, check].map((service) => service.close()));
    }, 120_000);

    it('leaves no token active after a revocation by user sent through another coordinator right after the issues', async () => {
      const check = checker();
      const services = gateways();
      const { consumerKey } = await registerClient(check);
      const issued = await race(services, (service) => service.issueAccessToken({ consumerKey, userId: 'ivan', scopes: ['read'] }));
      expect(issued.length, 'issues that returned').toBeGreaterThan(0);
      // At once, through node 2, at the defaults: the pass reads the lookup partitions at QUORUM.
      const counts = await services[1]!.revokeTokensOfUser('ivan');
      expect(counts.accessToken).toBe(issued.length);
      for (const token of issued) expect(await check.validateAccessToken(token.accessToken), 'a token of the revoked user').toBeNull();
      await Promise.all([...services, check].map((service) => service.close()));
    }, 120_000);
  });
}

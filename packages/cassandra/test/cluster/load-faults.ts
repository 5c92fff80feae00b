import { CassandraStore, CONSISTENCY_PRESETS } from '@tokenstore/cassandra';
import { ErrorCode, isTokenStoreError, ManualClock, TokenService } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { cluster, pinnedTo, replicatedKeyspaceForFaults } from './cluster-control.js';

const KEYSPACE = `tokenstore_cluster_load_${process.pid}`;
/** Errors a caller may see while a node is failing: Cassandra unreachable or slow, both typed. */
const FAILING_NODE_ERRORS: ReadonlySet<string> = new Set([ErrorCode.BackendUnavailable]);
const WORKERS = 4;

interface Outcome {
  /** performance.now() when the operation ended. */
  at: number;
  error?: string;
}

/**
 * A mixed load at the production preset while node 3 is killed (SIGKILL: no shutdown announced, so
 * its peers must convict it) and later restarted on its commit log.
 */
export function loadFaultTests(enabled: boolean): void {
  describe.skipIf(!enabled)('a three-node cluster under load at LOCAL_QUORUM, one node killed', () => {
    const clock = new ManualClock();

    const { driver } = replicatedKeyspaceForFaults(KEYSPACE);

    it('fails only with typed errors until the kill is detected, fails nothing after, loses nothing, and works on when the node returns (commit log replayed)', async () => {
      // The gateway talks to node 1, a coordinator that survives; node 3 is a replica of everything.
      const store = new CassandraStore({
        client: pinnedTo(driver(), 1),
        keyspace: KEYSPACE,
        consistency: CONSISTENCY_PRESETS.production,
      });
      const service = new TokenService({ store, clock });
      const { consumerKey } = await service.registerClient({ name: 'load client' });
      // Tokens every replica holds before the kill (a read at ALL answers, and repairs, only then): after
      // its restart node 3 must still serve them from its commit log.
      const atAll = new TokenService({
        store: new CassandraStore({ client: pinnedTo(driver(), 1), keyspace: KEYSPACE, consistency: { read: 'ALL' } }),
        clock,
      });
      const settled: string[] = [];
      for (let i = 0; i < 20; i++) {
        const token = await service.issueAccessToken({ consumerKey, userId: `settled-${i}`, scopes: ['read'] });
        expect(await atAll.validateAccessToken(token.accessToken)).not.toBeNull();
        settled.push(token.accessToken);
      }
      const issued: string[] = [];
      const outcomes: Outcome[] = [];
      let running = true;
      let n = 0;
      const worker = async () => {
        while (running) {
          const i = n++;
          try {
            if (i % 3 === 2 && issued.length > 0) await service.validateAccessToken(issued[i % issued.length]!);
            else {
              const token = await service.issueAccessToken({ consumerKey, userId: `user-${i % 16}`, scopes: ['read'] });
              issued.push(token.accessToken);
            }
            outcomes.push({ at: performance.now() });
          } catch (error) {
            outcomes.push({ at: performance.now(), error: isTokenStoreError(error) ? error.code : `untyped: ${String(error)}` });
          }
        }
      };
      const load = Promise.all(Array.from({ length: WORKERS }, worker));
      const until = (count: number) =>
        new Promise<void>((resolve) => {
          const check = () => (outcomes.length >= count ? resolve() : setImmediate(check));
          check();
        });
      await until(50);
      const beforeKill = issued.length;
      await cluster.kill(3);
      const killedAt = performance.now();
      await cluster.waitFor('UN UN DN', 1);
      const detectedAt = performance.now();
      const atDetection = outcomes.length;
      await until(atDetection + 100);
      running = false;
      await load;

      const duringFailure = outcomes.filter((o) => o.at > killedAt && o.at <= detectedAt);
      const afterDetection = outcomes.slice(atDetection);
      console.log(
        `[cassandra] kill -9 of node 3 under load: detected after ${((detectedAt - killedAt) / 1000).toFixed(1)} s; ` +
          `${duringFailure.filter((o) => o.error).length} of ${duringFailure.length} operations failed meanwhile (${[...new Set(duringFailure.flatMap((o) => (o.error ? [o.error] : [])))].join(', ') || 'none'}); ` +
          `${afterDetection.filter((o) => o.error).length} of ${afterDetection.length} failed after; ${issued.length} tokens issued (${beforeKill} before the kill)`,
      );
      for (const outcome of outcomes)
        if (outcome.error) expect(FAILING_NODE_ERRORS, `an error while node 3 failed: ${outcome.error}`).toContain(outcome.error);
      // Once both survivors see node 3 down, a LOCAL_QUORUM of 2 of 3 is always there.
      const lateErrors = outcomes.filter((o) => o.error && o.at > detectedAt + 1000);
      expect(
        lateErrors.map((o) => o.error),
        'operations failing a second after the failure was detected',
      ).toEqual([]);
      // Nothing lost: every token whose issue returned validates.
      for (const token of issued) expect(await service.validateAccessToken(token)).not.toBeNull();

      // Node 3 back, on its commit log: the same store (not recreated) works on, and node 3 serves the
      // tokens written before it was killed, alone at ONE.
      await cluster.restart(3);
      await cluster.waitFor('UN UN UN');
      const again = await service.issueAccessToken({ consumerKey, userId: 'after', scopes: ['read'] });
      expect(await service.validateAccessToken(again.accessToken)).not.toBeNull();
      // Alone: with nodes 1 and 2 stopped, a read at ONE through node 3 can only be answered by node 3.
      await cluster.stop(1);
      await cluster.stop(2);
      await cluster.waitFor('DN DN UN', 3);
      const onNode3 = new TokenService({
        store: new CassandraStore({ client: pinnedTo(driver(), 3), keyspace: KEYSPACE, consistency: { read: 'ONE' } }),
        clock,
      });
      let served = 0;
      for (const token of settled) if ((await onNode3.validateAccessToken(token)) !== null) served++;
      console.log(
        `[cassandra] node 3 restarted on its commit log serves ${served} of the ${settled.length} tokens it held when killed, read at ONE alone`,
      );
      await cluster.restart(1);
      await cluster.restart(2);
      await cluster.waitFor('UN UN UN');
      expect(served).toBe(settled.length);
    }, 300_000);
  });
}

import { MemoryStore, ReadCache } from '@tokenstore/cache';
import { ManualClock, TokenService, type TokenStore } from '@tokenstore/core';
import { createSqlStore } from '@tokenstore/rdbms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedDatabaseUrl } from '../../rdbms/test/support/isolated-database.js';
import { createResourceServer, type TokenAuth } from '../src/index.js';
import { type RunningApp, startExpressApp, startFastifyApp } from './support/apps.js';
import { bearer, call } from './support/http-client.js';

/** A gateway's local validation: its own TokenService over the shared store the token service writes to. */
function localSuite(name: string, openStore: () => Promise<TokenStore>, skip?: string): void {
  if (skip) {
    console.log(`[tokenstore] resource-server local validation on ${name} skipped: ${skip}`);
    describe.skip(`local validation on ${name}`, () => {
      it('is skipped', () => undefined);
    });
    return;
  }

  describe(`local validation on ${name} (a gateway TokenService with ReadCache in front of the shared store)`, () => {
    const clock = new ManualClock(Date.now());
    let shared: TokenStore;
    let writer: TokenService;
    let gateway: TokenService;
    let clientId: string;
    let express: RunningApp;
    let fastify: RunningApp;

    beforeAll(async () => {
      shared = await openStore();
      writer = new TokenService({ store: shared, clock });
      // The gateway's read cache: a revocation on the token service is seen here at most ttlMs late.
      gateway = new TokenService({ store: new ReadCache(shared, { ttlMs: 10_000, clock }), clock });
      const server = createResourceServer({ service: gateway, clock });
      express = await startExpressApp(server, server);
      fastify = await startFastifyApp(server, server);
      clientId = (await writer.registerClient({ name: 'app', grantTypes: ['client_credentials'], allowedScopes: ['read', 'write'] }))
        .consumerKey;
    });
    afterAll(async () => {
      await express?.close();
      await fastify?.close();
      await gateway?.close(); // closes the read cache and the shared store under it
    });

    it('accepts a token the token service issued, on Express and on Fastify', async () => {
      const { accessToken } = await writer.issueAccessToken({ consumerKey: clientId, userId: 'alice', scopes: ['read'] });
      for (const app of [express, fastify]) {
        const answer = await call(`${app.url}/me`, { headers: bearer(accessToken) });
        expect(answer.status).toBe(200);
        expect(answer.body as TokenAuth).toMatchObject({
          source: 'local',
          clientId,
          subject: 'alice',
          username: 'alice',
          scopes: ['read'],
        });
        expect((await call(`${app.url}/orders`, { method: 'POST', headers: bearer(accessToken) })).status).toBe(403);
      }
    });

    it('a revocation on the token service is seen within the read cache’s ttl', async () => {
      const { accessToken } = await writer.issueAccessToken({ consumerKey: clientId, scopes: ['read'] });
      expect((await call(`${express.url}/me`, { headers: bearer(accessToken) })).status).toBe(200);
      expect(await writer.revokeAccessToken(accessToken)).toBe(true);
      clock.advance(9_999);
      expect((await call(`${express.url}/me`, { headers: bearer(accessToken) })).status).toBe(200);
      clock.advance(2); // past ttlMs (ReadCache serves an entry up to and including ttlMs)
      const answer = await call(`${express.url}/me`, { headers: bearer(accessToken) });
      expect(answer.status).toBe(401);
      expect(answer.challenge).toContain('error="invalid_token"');
    });

    it('refuses an expired token', async () => {
      const { accessToken } = await writer.issueAccessToken({ consumerKey: clientId, scopes: ['read'], validitySeconds: 30 });
      expect((await call(`${fastify.url}/me`, { headers: bearer(accessToken) })).status).toBe(200);
      clock.advanceSeconds(31);
      expect((await call(`${fastify.url}/me`, { headers: bearer(accessToken) })).status).toBe(401);
    });

    it('refuses a value longer than any token without a lookup, and a malformed one as unknown', async () => {
      expect((await call(`${express.url}/me`, { headers: bearer('a'.repeat(8193)) })).status).toBe(401);
      expect((await call(`${express.url}/me`, { headers: bearer('x') })).status).toBe(401);
    });
  });
}

localSuite('memory', async () => new MemoryStore());

const postgresUrl = process.env.TOKENSTORE_TEST_POSTGRES_URL;
localSuite(
  'postgres',
  async () => createSqlStore({ url: await isolatedDatabaseUrl('postgres', postgresUrl!, 'tokenstore_rs_local'), migrate: true }),
  postgresUrl ? undefined : 'TOKENSTORE_TEST_POSTGRES_URL is not set',
);

describe('local validation when the store is gone', () => {
  it('answers 503 (fail closed), not 401', async () => {
    const service = new TokenService({ store: new MemoryStore() });
    const { consumerKey } = await service.registerClient({ name: 'app', grantTypes: ['client_credentials'] });
    const { accessToken } = await service.issueAccessToken({ consumerKey });
    const server = createResourceServer({ service });
    const app = await startExpressApp(server, server);
    try {
      expect((await call(`${app.url}/me`, { headers: bearer(accessToken) })).status).toBe(200);
      await service.close();
      const answer = await call(`${app.url}/me`, { headers: bearer(accessToken) });
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: 'the token store is unavailable' });
    } finally {
      await app.close();
    }
  });
});

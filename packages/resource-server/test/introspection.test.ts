import { ManualClock } from '@tokenstore/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createResourceServer,
  type IntrospectionOptions,
  type ResourceServer,
  ResourceServerError,
  type ResourceServerEvent,
  type ResourceServerOptions,
  type TokenAuth,
} from '../src/index.js';
import { FRAMEWORKS, type RunningApp, startExpressApp } from './support/apps.js';
import { bearer, call } from './support/http-client.js';
import { closedPortUrl } from './support/stub-introspection.js';
import { type RunningTokenService, startTokenService, until } from './support/token-service.js';

// Remote validation against the real reference service (@tokenstore/server) on the memory store.
describe('remote validation by RFC 7662 introspection', () => {
  let ts: RunningTokenService;
  const open: RunningApp[] = [];
  const tokens: string[] = [];
  const events: ResourceServerEvent[] = [];

  beforeAll(async () => {
    ts = await startTokenService();
  });
  afterEach(async () => {
    for (const app of open.splice(0)) await app.close();
  });
  afterAll(async () => {
    // No token reached an event.
    const logged = JSON.stringify(events);
    for (const token of tokens) expect(logged).not.toContain(token);
    await ts?.close();
    await ts?.service.close();
  });

  /** A resource server on the reference service, with its own manual clock for the caches. */
  function remote(introspection: Partial<IntrospectionOptions> = {}, options: Partial<ResourceServerOptions> = {}) {
    // The service's time: `exp` is compared with it.
    const clock = new ManualClock(ts.clock.now());
    const seen: ResourceServerEvent[] = [];
    const server = createResourceServer({
      introspection: { url: ts.introspectionUrl, ...ts.resourceServerClient, ...introspection },
      clock,
      onEvent: (event) => {
        seen.push(event);
        events.push(event);
      },
      ...options,
    });
    return { server, clock, seen };
  }

  async function serve(server: ResourceServer, start = startExpressApp): Promise<string> {
    const app = await start(server, server);
    open.push(app);
    return app.url;
  }

  async function issue(options: Parameters<RunningTokenService['issue']>[0] = {}): Promise<string> {
    const token = await ts.issue(options);
    tokens.push(token);
    return token;
  }

  it('accepts an active token with the record introspection gave, and reuses the answer', async () => {
    const { server, seen } = remote();
    const url = await serve(server);
    const token = await issue({ scopes: ['read', 'write'], userId: 'alice' });
    const before = ts.introspections();
    const answer = await call(`${url}/me`, { headers: bearer(token) });
    expect(answer.status).toBe(200);
    const auth = answer.body as TokenAuth;
    expect(auth).toMatchObject({
      source: 'introspection',
      clientId: ts.appClientId,
      subject: 'alice',
      username: 'alice',
      scopes: ['read', 'write'],
    });
    expect(auth.introspection).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(auth.expiresAt! - auth.issuedAt!).toBe(3600_000);
    expect((await call(`${url}/orders`, { headers: bearer(token) })).status).toBe(200);
    expect(ts.introspections() - before).toBe(1);
    expect(seen.filter((event) => event.type === 'authenticated').map((event) => event.type === 'authenticated' && event.cache)).toEqual([
      'miss',
      'hit',
    ]);
  });

  it('accepts a token obtained from the service over HTTP (client credentials at /token)', async () => {
    const { server } = remote();
    const url = await serve(server);
    const app = await ts.service.registerClient({ name: 'cc', grantTypes: ['client_credentials'], allowedScopes: ['read'] });
    const response = await fetch(`${ts.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${app.consumerKey}:${app.consumerSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=read',
    });
    const { access_token } = (await response.json()) as { access_token: string };
    tokens.push(access_token);
    const answer = await call(`${url}/orders`, { headers: bearer(access_token) });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ for: app.consumerKey });
  });

  it('refuses a refresh token presented as an access token (introspection says token_type refresh_token)', async () => {
    const { server } = remote();
    const url = await serve(server);
    const issued = await ts.service.issueAccessToken({ consumerKey: ts.appClientId, userId: 'alice', issueRefreshToken: true });
    tokens.push(issued.accessToken, issued.refreshToken!);
    expect((await call(`${url}/me`, { headers: bearer(issued.accessToken) })).status).toBe(200);
    const answer = await call(`${url}/me`, { headers: bearer(issued.refreshToken!) });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toContain('error="invalid_token"');
  });

  it('a revoked token is refused at most maxStalenessSeconds after the revocation, and then at once', async () => {
    const { server, clock } = remote({ maxStalenessSeconds: 30 });
    const url = await serve(server);
    const token = await issue();
    const before = ts.introspections();
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    expect(await ts.service.revokeAccessToken(token)).toBe(true);
    // Within the bound the cached answer stands (documented staleness) and no call is made.
    clock.advanceSeconds(29);
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    expect(ts.introspections() - before).toBe(1);
    // At the bound the answer is stale: asked again, refused.
    clock.advanceSeconds(1);
    const answer = await call(`${url}/me`, { headers: bearer(token) });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toContain('error="invalid_token"');
    expect(ts.introspections() - before).toBe(2);
  });

  it('with maxStalenessSeconds 0 every request asks, so a revocation counts at once', async () => {
    const { server } = remote({ maxStalenessSeconds: 0 });
    const url = await serve(server);
    const token = await issue();
    const before = ts.introspections();
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    await ts.service.revokeAccessToken(token);
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(401);
    expect(ts.introspections() - before).toBe(3);
  });

  it('never uses a positive answer past the token’s exp, whatever maxStaleness allows', async () => {
    const { server, clock } = remote({ maxStalenessSeconds: 3600 });
    const url = await serve(server);
    const token = await issue({ validitySeconds: 10 });
    const before = ts.introspections();
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    clock.advanceSeconds(9);
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    expect(ts.introspections() - before).toBe(1);
    clock.advanceSeconds(1);
    ts.clock.advanceSeconds(10);
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(401);
    expect(ts.introspections() - before).toBe(2);
  });

  it('refuses an answer whose exp has passed by its own clock, even if the service still says active', async () => {
    const { server, clock } = remote();
    const url = await serve(server);
    const token = await issue({ validitySeconds: 10 });
    clock.advanceSeconds(11); // the service's clock stays behind
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(401);
  });

  it('keeps an inactive answer for negativeCacheSeconds, then asks again', async () => {
    const { server, clock } = remote({ negativeCacheSeconds: 5 });
    const url = await serve(server);
    const before = ts.introspections();
    for (let i = 0; i < 3; i++) expect((await call(`${url}/me`, { headers: bearer('unknown-token-abcdef') })).status).toBe(401);
    expect(ts.introspections() - before).toBe(1);
    clock.advanceSeconds(5);
    expect((await call(`${url}/me`, { headers: bearer('unknown-token-abcdef') })).status).toBe(401);
    expect(ts.introspections() - before).toBe(2);
  });

  it('a burst of requests with one token makes exactly one introspection call', async () => {
    const { server, seen } = remote();
    const url = await serve(server);
    const token = await issue();
    const before = ts.introspections();
    const release = ts.holdIntrospection();
    const burst = Array.from({ length: 20 }, () => call(`${url}/me`, { headers: bearer(token) }));
    try {
      // Every request has arrived and waits on the one call in flight; only then does it answer.
      await until(() => ts.heldCount() === 1 && seen.filter((event) => event.type === 'introspection:joined').length === 19, 'the burst');
    } finally {
      release();
    }
    const answers = await Promise.all(burst);
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(ts.introspections() - before).toBe(1);
  });

  it('slow introspection: fail closed with 503 after timeoutMs (not 401)', async () => {
    const { server, seen } = remote({ timeoutMs: 150 });
    const url = await serve(server);
    const token = await issue();
    const release = ts.holdIntrospection();
    try {
      const answer = await call(`${url}/me`, { headers: bearer(token) });
      expect(answer.status).toBe(503);
      expect(answer.challenge).toBeUndefined();
      expect(answer.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'token introspection is unavailable: introspection did not answer within 150 ms',
      });
      expect(seen).toContainEqual(expect.objectContaining({ type: 'introspection', outcome: 'failed', failure: 'timeout' }));
    } finally {
      release();
    }
  });

  it('introspection down (connection refused): fail closed with 503', async () => {
    const { server, seen } = remote({ url: await closedPortUrl() });
    const url = await serve(server);
    const answer = await call(`${url}/me`, { headers: bearer(await issue()) });
    expect(answer.status).toBe(503);
    expect((answer.body as { error_description: string }).error_description).toBe(
      'token introspection is unavailable: the introspection endpoint could not be reached',
    );
    expect(seen).toContainEqual(expect.objectContaining({ type: 'introspection', outcome: 'failed', failure: 'unreachable' }));
  });

  it('wrong resource-server credentials: 503 (the client’s token is not to blame)', async () => {
    const { server, seen } = remote({ clientSecret: 'not-the-secret-of-the-resource-server' });
    const url = await serve(server);
    const answer = await call(`${url}/me`, { headers: bearer(await issue()) });
    expect(answer.status).toBe(503);
    expect(seen).toContainEqual(expect.objectContaining({ type: 'introspection', failure: 'bad_status', status: 401 }));
  });

  it('during an outage, staleIfErrorSeconds serves a stale positive entry within its bound, then fails closed', async () => {
    const { server, clock, seen } = remote({ maxStalenessSeconds: 30, staleIfErrorSeconds: 60, timeoutMs: 100 });
    const url = await serve(server);
    const token = await issue();
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    const release = ts.holdIntrospection();
    try {
      clock.advanceSeconds(31);
      expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
      expect(seen).toContainEqual({ type: 'introspection:served-stale', ageMs: 31_000 });
      clock.advanceSeconds(59); // 90 s: past maxStaleness + staleIfError
      expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(503);
    } finally {
      release();
    }
  });

  it('fails closed by default once the positive entry is stale', async () => {
    const { server, clock } = remote({ maxStalenessSeconds: 30, timeoutMs: 100 });
    const url = await serve(server);
    const token = await issue();
    expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    const release = ts.holdIntrospection();
    try {
      clock.advanceSeconds(30);
      expect((await call(`${url}/me`, { headers: bearer(token) })).status).toBe(503);
    } finally {
      release();
    }
  });

  it('a burst during an outage makes one call and answers 503 to every request', async () => {
    const { server, seen } = remote();
    const url = await serve(server);
    const token = await issue();
    const before = ts.introspections();
    const release = ts.holdIntrospection();
    const burst = Array.from({ length: 5 }, () => call(`${url}/me`, { headers: bearer(token) }));
    try {
      await until(() => ts.heldCount() === 1 && seen.filter((event) => event.type === 'introspection:joined').length === 4, 'the burst');
    } finally {
      release('drop'); // the connection breaks under the call in flight
    }
    const answers = await Promise.all(burst);
    expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill(503));
    expect(ts.introspections() - before).toBe(1);
  });

  it('messages of refusals and failures never contain the token', async () => {
    const { server } = remote({ url: await closedPortUrl() });
    const token = await issue();
    const request = { headers: { authorization: `Bearer ${token}` }, rawHeaders: ['Authorization', `Bearer ${token}`], method: 'GET' };
    const error = await server.authenticateRequest(request as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResourceServerError);
    const failure = error as ResourceServerError;
    expect(failure).toMatchObject({ reason: 'unavailable', status: 503, code: 'BACKEND_UNAVAILABLE' });
    for (const text of [failure.message, String(failure.cause), JSON.stringify(failure)]) expect(text).not.toContain(token);
  });

  describe.each(FRAMEWORKS)('on %s', (_name, start) => {
    it('accepts an active token, refuses a revoked one, answers 503 when introspection is down', async () => {
      const { server } = remote({ maxStalenessSeconds: 0 });
      const url = await serve(server, start);
      const token = await issue();
      expect((await call(`${url}/orders`, { headers: bearer(token) })).status).toBe(200);
      await ts.service.revokeAccessToken(token);
      expect((await call(`${url}/orders`, { headers: bearer(token) })).status).toBe(401);
      const down = await serve(remote({ url: await closedPortUrl() }).server, start);
      expect((await call(`${down}/orders`, { headers: bearer(await issue()) })).status).toBe(503);
    });
  });
});

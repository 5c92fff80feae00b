import { MemoryStore } from '@tokenstore/cache';
import { ManualClock, TokenService } from '@tokenstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceServer, type ResourceServerEvent, type TokenAuth } from '../src/index.js';
import { FRAMEWORKS, type RunningApp } from './support/apps.js';
import { bearer, call, form } from './support/http-client.js';
import { SCOPES } from './support/token-service.js';

// RFC 6750 on the real frameworks (Express 5, Fastify 5, node:http), local validation on the memory store.
describe.each(FRAMEWORKS)('RFC 6750 bearer tokens on %s (local validation)', (_name, startApp) => {
  const clock = new ManualClock(Date.now());
  const service = new TokenService({ store: new MemoryStore({ clock }), clock });
  const events: ResourceServerEvent[] = [];
  const seen: string[] = [];
  let app: RunningApp;
  let clientId: string;

  beforeAll(async () => {
    const options = { service, realm: 'orders', clock, onEvent: (event: ResourceServerEvent) => events.push(event) };
    app = await startApp(createResourceServer(options), createResourceServer({ ...options, allowFormBodyToken: true }));
    clientId = (await service.registerClient({ name: 'app', grantTypes: ['client_credentials'], allowedScopes: [...SCOPES] })).consumerKey;
  });
  afterAll(async () => {
    await app?.close();
    // No token reached an event.
    const logged = JSON.stringify(events);
    for (const token of seen) expect(logged).not.toContain(token);
    await service.close();
  });

  async function issue(scopes: string[] = ['read'], validitySeconds?: number): Promise<string> {
    const { accessToken } = await service.issueAccessToken({
      consumerKey: clientId,
      scopes,
      ...(validitySeconds ? { validitySeconds } : {}),
    });
    seen.push(accessToken);
    return accessToken;
  }

  it('answers a valid token with its record on the request', async () => {
    const token = await issue(['read', 'write']);
    const answer = await call(`${app.url}/me`, { headers: bearer(token) });
    expect(answer.status).toBe(200);
    const auth = answer.body as TokenAuth;
    expect(auth).toMatchObject({ source: 'local', clientId, subject: clientId, scopes: ['read', 'write'] });
    expect(auth.expiresAt! - auth.issuedAt!).toBe(3600_000);
    expect(JSON.stringify(auth)).not.toContain(token);
  });

  it('takes the scheme name in any case (RFC 9110 §11.1)', async () => {
    const token = await issue();
    for (const scheme of ['bearer', 'BEARER', 'BeArEr'])
      expect((await call(`${app.url}/me`, { headers: { authorization: `${scheme} ${token}` } })).status).toBe(200);
  });

  it('401 without an error attribute when the request has no credentials (§3.1)', async () => {
    const answer = await call(`${app.url}/me`);
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe('Bearer realm="orders"');
  });

  it('an Authorization header of another scheme counts as no credentials', async () => {
    const answer = await call(`${app.url}/me`, { headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe('Bearer realm="orders"');
  });

  it('never takes the token from the query (§2.3 is not supported)', async () => {
    const token = await issue();
    const answer = await call(`${app.url}/me?access_token=${token}`);
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe('Bearer realm="orders"');
  });

  it('401 invalid_token for an unknown token', async () => {
    const answer = await call(`${app.url}/me`, { headers: bearer('never-issued-0123456789') });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe('Bearer realm="orders", error="invalid_token", error_description="the access token is not active"');
    expect(answer.body).toEqual({ error: 'invalid_token', error_description: 'the access token is not active' });
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  it('401 invalid_token for an expired token', async () => {
    const token = await issue(['read'], 60);
    expect((await call(`${app.url}/me`, { headers: bearer(token) })).status).toBe(200);
    clock.advanceSeconds(61);
    const answer = await call(`${app.url}/me`, { headers: bearer(token) });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toContain('error="invalid_token"');
  });

  it('401 invalid_token for a revoked token', async () => {
    const token = await issue();
    expect((await call(`${app.url}/me`, { headers: bearer(token) })).status).toBe(200);
    expect(await service.revokeAccessToken(token)).toBe(true);
    const answer = await call(`${app.url}/me`, { headers: bearer(token) });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toContain('error="invalid_token"');
  });

  it.each([
    ['no token after the scheme', 'Bearer'],
    ['a space inside the token', 'Bearer abc def'],
    ['a character outside b64token', 'Bearer abc!def'],
    ['padding in the middle', 'Bearer ab=cd'],
    ['two tokens in one header', 'Bearer abc, Bearer def'],
    ['no scheme at all', '=abc'],
  ])('400 invalid_request for a malformed header: %s', async (_case, authorization) => {
    const answer = await call(`${app.url}/me`, { headers: { authorization } });
    expect(answer.status).toBe(400);
    expect(answer.challenge).toMatch(/^Bearer realm="orders", error="invalid_request", error_description="[^"]+"$/);
    expect((answer.body as { error: string }).error).toBe('invalid_request');
  });

  it('400 invalid_request for two Authorization headers, even if both are valid', async () => {
    const token = await issue();
    const answer = await call(`${app.url}/me`, { headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } });
    expect(answer.status).toBe(400);
    expect(answer.challenge).toContain('error="invalid_request"');
    expect(answer.challenge).toContain('more than one Authorization header');
  });

  it('403 insufficient_scope with the scope attribute when the route needs a scope the token lacks', async () => {
    const writer = await issue(['write']);
    const answer = await call(`${app.url}/orders`, { headers: bearer(writer) });
    expect(answer.status).toBe(403);
    expect(answer.challenge).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="insufficient scope", scope="read"',
    );
    expect((answer.body as { error: string }).error).toBe('insufficient_scope');
    expect((await call(`${app.url}/orders`, { method: 'POST', headers: bearer(writer) })).status).toBe(201);
  });

  it('a scope step after the bearer step refuses with its own scope', async () => {
    const reader = await issue(['read']);
    expect((await call(`${app.url}/orders`, { headers: bearer(reader) })).status).toBe(200);
    const answer = await call(`${app.url}/orders`, { method: 'POST', headers: bearer(reader) });
    expect(answer.status).toBe(403);
    expect(answer.challenge).toContain('scope="write"');
  });

  it('an unprotected route needs no token', async () => {
    expect((await call(`${app.url}/public`)).status).toBe(200);
  });

  describe('the form-body parameter (§2.2), where enabled', () => {
    it('accepts access_token in a urlencoded POST body', async () => {
      const token = await issue();
      const answer = await call(`${app.url}/form`, { method: 'POST', ...form([['access_token', token]]) });
      expect(answer.status).toBe(200);
      expect((answer.body as TokenAuth).clientId).toBe(clientId);
    });

    it('ignores it where it is not enabled', async () => {
      const token = await issue();
      const answer = await call(`${app.url}/orders`, { method: 'POST', ...form([['access_token', token]]) });
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe('Bearer realm="orders"');
    });

    it('ignores it in a body that is not urlencoded', async () => {
      const token = await issue();
      const answer = await call(`${app.url}/form`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: `access_token=${token}`,
      });
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe('Bearer realm="orders"');
    });

    it('400 invalid_request when the token comes by two methods at once', async () => {
      const token = await issue();
      const body = form([['access_token', token]]);
      const answer = await call(`${app.url}/form`, { method: 'POST', headers: { ...body.headers, ...bearer(token) }, body: body.body });
      expect(answer.status).toBe(400);
      expect(answer.challenge).toContain('more than one method');
    });

    it('400 invalid_request when access_token is repeated', async () => {
      const token = await issue();
      const answer = await call(`${app.url}/form`, {
        method: 'POST',
        ...form([
          ['access_token', token],
          ['access_token', token],
        ]),
      });
      expect(answer.status).toBe(400);
      expect(answer.challenge).toContain('repeated');
    });
  });
});

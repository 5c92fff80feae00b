import { MemoryStore } from '@tokenstore/cache';
import { ManualClock } from '@tokenstore/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_GRANTS, CLIENT_REDIRECT, countRows, hiddenInputs, type RunningFixture, startFixture, USERS } from './support/end-to-end.js';

// The defaults an operator expects to be strict, against the running server on the memory store,
// with no scope policy, default grants or introspection option configured.
let f: RunningFixture;

afterEach(async () => {
  for (const line of f.logs) for (const secret of f.secrets) expect(line).not.toContain(secret);
  await f.close();
});

async function post(path: string, fields: Record<string, string>, client?: { id: string; secret: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client) headers.authorization = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
  const response = await fetch(`${f.server.url}${path}`, { method: 'POST', headers, body: new URLSearchParams(fields) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function registered(request: Parameters<RunningFixture['service']['registerClient']>[0]) {
  const client = await f.service.registerClient(request);
  f.secrets.add(client.consumerSecret);
  return { id: client.consumerKey, secret: client.consumerSecret };
}

describe('scopes are denied unless allowed', () => {
  it('refuses scope=admin to a password-grant client registered without allowed scopes (invalid_scope), storing nothing', async () => {
    f = await startFixture(new MemoryStore());
    const client = await registered({ grantTypes: ['password'] });
    const before = await countRows(f.store);
    const answer = await post('/token', { grant_type: 'password', username: 'alice', password: USERS.alice, scope: 'admin' }, client);
    expect(answer).toMatchObject({ status: 400, json: { error: 'invalid_scope' } });
    expect(await countRows(f.store)).toBe(before);
  });

  it('grants the scopes the client was registered with', async () => {
    f = await startFixture(new MemoryStore());
    const client = await registered({ grantTypes: ['client_credentials'], allowedScopes: ['read'] });
    expect(await post('/token', { grant_type: 'client_credentials', scope: 'read' }, client)).toMatchObject({
      status: 200,
      json: { scope: 'read' },
    });
    expect((await post('/token', { grant_type: 'client_credentials', scope: 'read write' }, client)).json.error).toBe('invalid_scope');
  });
});

describe('grants are what the client was registered with', () => {
  it('gives a client registered without grants client_credentials only: password is unauthorized_client', async () => {
    f = await startFixture(new MemoryStore());
    const client = await registered({ allowedScopes: ['read'] });
    const before = await countRows(f.store);
    const password = await post('/token', { grant_type: 'password', username: 'alice', password: USERS.alice }, client);
    expect(password).toMatchObject({ status: 400, json: { error: 'unauthorized_client' } });
    const refresh = await post('/token', { grant_type: 'refresh_token', refresh_token: 'whatever' }, client);
    expect(refresh.json.error).toBe('unauthorized_client');
    expect(await countRows(f.store)).toBe(before);
    expect((await post('/token', { grant_type: 'client_credentials', scope: 'read' }, client)).status).toBe(200);
  });
});

describe('introspection of another client’s tokens needs a resource server', () => {
  async function issued(client: { id: string; secret: string }) {
    const answer = await post('/token', { grant_type: 'password', username: 'alice', password: USERS.alice, scope: 'read' }, client);
    expect(answer.status).toBe(200);
    f.secrets.add(answer.json.access_token as string);
    f.secrets.add(answer.json.refresh_token as string);
    return { access: answer.json.access_token as string, refresh: answer.json.refresh_token as string };
  }

  it('answers active: false to a client that is not a resource server, for another client’s access and refresh tokens', async () => {
    f = await startFixture(new MemoryStore());
    const owner = await registered({ grantTypes: ['password', 'refresh_token'], allowedScopes: ['read'] });
    const nosy = await registered({ grantTypes: ['client_credentials'] });
    const tokens = await issued(owner);
    expect(await post('/introspect', { token: tokens.access }, nosy)).toEqual({ status: 200, json: { active: false } });
    expect(await post('/introspect', { token: tokens.refresh, token_type_hint: 'refresh_token' }, nosy)).toEqual({
      status: 200,
      json: { active: false },
    });
    // Its own tokens, a client may always introspect.
    expect((await post('/introspect', { token: tokens.access }, owner)).json).toMatchObject({ active: true, username: 'alice' });
  });

  it('lets a client flagged as a resource server introspect every client’s tokens', async () => {
    f = await startFixture(new MemoryStore());
    const owner = await registered({ grantTypes: ['password', 'refresh_token'], allowedScopes: ['read'] });
    const api = await registered({ grantTypes: ['client_credentials'], resourceServer: true });
    const tokens = await issued(owner);
    expect((await post('/introspect', { token: tokens.access }, api)).json).toMatchObject({
      active: true,
      client_id: owner.id,
      username: 'alice',
      scope: 'read',
    });
    expect((await post('/introspect', { token: tokens.refresh, token_type_hint: 'refresh_token' }, api)).json).toMatchObject({
      active: true,
      token_type: 'refresh_token',
    });
  });

  it('still refuses (silently) to revoke another client’s token, even for a resource server', async () => {
    f = await startFixture(new MemoryStore());
    const owner = await registered({ grantTypes: ['password', 'refresh_token'], allowedScopes: ['read'] });
    const api = await registered({ grantTypes: ['client_credentials'], resourceServer: true });
    const tokens = await issued(owner);
    expect((await post('/revoke', { token: tokens.access }, api)).status).toBe(200);
    expect((await post('/introspect', { token: tokens.access }, owner)).json.active).toBe(true);
  });
});

describe('the development login at /authorize', () => {
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  function request(client: string, state = 'st-1'): Record<string, string> {
    return { response_type: 'code', client_id: client, redirect_uri: CLIENT_REDIRECT, state, code_challenge: challenge };
  }

  /** GET /authorize as a browser: the form's hidden fields and the cookie the page set. */
  async function showForm(params: Record<string, string>) {
    const page = await fetch(`${f.server.url}/authorize?${new URLSearchParams(params)}`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie')?.split(';')[0];
    return { fields: hiddenInputs(await page.text()), cookie };
  }

  async function submit(fields: URLSearchParams, cookie: string | undefined, extra: Record<string, string>) {
    const body = new URLSearchParams(fields);
    for (const [name, value] of Object.entries(extra)) body.set(name, value);
    const headers: Record<string, string> = cookie ? { cookie } : {};
    const response = await fetch(`${f.server.url}/authorize`, { method: 'POST', body, headers, redirect: 'manual' });
    await response.text();
    return response;
  }

  async function webClient(): Promise<string> {
    const client = await f.service.registerClient({ grantTypes: [...ALL_GRANTS], redirectUris: [CLIENT_REDIRECT] });
    f.secrets.add(client.consumerSecret);
    return client.consumerKey;
  }

  it('never redirects a deny that did not come from a login form shown for that request', async () => {
    f = await startFixture(new MemoryStore());
    const client = await webClient();
    const forged = await submit(new URLSearchParams({ ...request(client, 'attacker-state'), decision: 'deny' }), undefined, {});
    expect(forged.status).toBe(400);
    expect(forged.headers.get('location')).toBeNull();
  });

  it('issues no code for a login post without the form’s CSRF token, or with the token but not the browser’s cookie', async () => {
    f = await startFixture(new MemoryStore());
    const client = await webClient();
    const before = await countRows(f.store);
    const credentials = { username: 'alice', password: USERS.alice, decision: 'allow' };
    const bare = await submit(new URLSearchParams(request(client)), undefined, credentials);
    expect(bare.status).toBe(400);
    expect(bare.headers.get('location')).toBeNull();
    // A token the attacker obtained by showing the form to itself is no good without its cookie.
    const { fields } = await showForm(request(client));
    expect(fields.get('csrf_token')).toEqual(expect.any(String));
    const withoutCookie = await submit(fields, undefined, credentials);
    expect(withoutCookie.status).toBe(400);
    expect(withoutCookie.headers.get('location')).toBeNull();
    expect(await countRows(f.store)).toBe(before);
  });

  it('binds the CSRF token to the request the form was shown for', async () => {
    f = await startFixture(new MemoryStore());
    const client = await webClient();
    const { fields, cookie } = await showForm(request(client));
    const tampered = new URLSearchParams(fields);
    tampered.set('state', 'another-state');
    const response = await submit(tampered, cookie, { decision: 'deny' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    // The form as shown, with its cookie: deny is redirected with the request's own state.
    const denied = await submit(fields, cookie, { decision: 'deny' });
    expect(denied.status).toBe(302);
    const location = new URL(denied.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-1');
  });

  it('limits failed logins per IP address: after 5 in the window even the right password is refused (429)', async () => {
    const clock = new ManualClock(Date.now());
    f = await startFixture(new MemoryStore({ clock }), { service: { clock } });
    const client = await webClient();
    const { fields, cookie } = await showForm(request(client));
    for (let i = 0; i < 5; i++) expect((await submit(fields, cookie, { username: 'alice', password: `wrong-${i}` })).status).toBe(401);
    const before = await countRows(f.store);
    const limited = await submit(fields, cookie, { username: 'alice', password: USERS.alice, decision: 'allow' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('location')).toBeNull();
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await countRows(f.store)).toBe(before);
    // Once the window has passed, the user can sign in again.
    clock.advanceSeconds(15 * 60);
    const again = await showForm(request(client));
    const allowed = await submit(again.fields, again.cookie, { username: 'alice', password: USERS.alice, decision: 'allow' });
    expect(allowed.status).toBe(302);
    expect(new URL(allowed.headers.get('location')!).searchParams.get('code')).toEqual(expect.any(String));
  });
});

import { CacheStore } from '@tokenstore/cache';
import { afterEach, describe, expect, it } from 'vitest';
import { countRows, type RunningFixture, startFixture, USERS } from './support/end-to-end.js';

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
    f = await startFixture(new CacheStore());
    const client = await registered({ grantTypes: ['password'] });
    const before = await countRows(f.store);
    const answer = await post('/token', { grant_type: 'password', username: 'alice', password: USERS.alice, scope: 'admin' }, client);
    expect(answer).toMatchObject({ status: 400, json: { error: 'invalid_scope' } });
    expect(await countRows(f.store)).toBe(before);
  });

  it('grants the scopes the client was registered with', async () => {
    f = await startFixture(new CacheStore());
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
    f = await startFixture(new CacheStore());
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
    f = await startFixture(new CacheStore());
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
    f = await startFixture(new CacheStore());
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
    f = await startFixture(new CacheStore());
    const owner = await registered({ grantTypes: ['password', 'refresh_token'], allowedScopes: ['read'] });
    const api = await registered({ grantTypes: ['client_credentials'], resourceServer: true });
    const tokens = await issued(owner);
    expect((await post('/revoke', { token: tokens.access }, api)).status).toBe(200);
    expect((await post('/introspect', { token: tokens.access }, owner)).json.active).toBe(true);
  });
});

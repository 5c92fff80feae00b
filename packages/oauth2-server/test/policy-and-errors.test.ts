import OAuth2Server from '@node-oauth/oauth2-server';
import { MemoryStore } from '@tokenstore/cache';
import {
  BackendUnavailableError,
  ErrorCode,
  InvalidInputError,
  MisconfigurationError,
  TokenService,
  type TokenStore,
  TokenStoreError,
} from '@tokenstore/core';
import { isAllowedRedirectUri, isLoopbackRedirectUri, TokenStoreModel, toOAuthError } from '@tokenstore/oauth2-server';
import { describe, expect, it } from 'vitest';
import { countRows, frameworkFixture, pkcePair, REDIRECT_URI, SECRET } from './support/framework.js';

describe('scope validation', () => {
  it('denies every scope by default: a client registered without allowed scopes gets invalid_scope, nothing stored', async () => {
    const f = await frameworkFixture({ client: { allowedScopes: [] } });
    const before = await countRows(f.store);
    const admin = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland', scope: 'admin' });
    expect(admin).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect((await f.token({ grant_type: 'client_credentials', scope: 'read' })).body.error).toBe('invalid_scope');
    expect((await f.token({ grant_type: 'client_credentials', scope: 'device_kiosk-7' })).body.error).toBe('invalid_scope');
    expect(await countRows(f.store)).toBe(before);
    // Asking for no scope is not asking for one: the token carries none.
    const none = await f.token({ grant_type: 'client_credentials' });
    expect(none.status).toBe(200);
    expect(none.body.scope).toBeUndefined();
  });

  it('grants a client the scopes it was registered with, plus the globally allowed ones, and nothing else', async () => {
    const f = await frameworkFixture({ client: { allowedScopes: ['read'] }, model: { scopes: { allowed: ['public'] } } });
    expect(await f.token({ grant_type: 'client_credentials', scope: 'read public' })).toMatchObject({
      status: 200,
      body: { scope: 'public read' },
    });
    const refused = await f.token({ grant_type: 'client_credentials', scope: 'read admin' });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const other = await f.service.registerClient({ consumerSecret: SECRET, grantTypes: ['client_credentials'], allowedScopes: ['write'] });
    const answer = await f.token({ grant_type: 'client_credentials', scope: 'read' }, { form: [other.consumerKey, SECRET] });
    expect(answer.body.error).toBe('invalid_scope');
  });

  it('accepts any device_<id> scope only for a client that allows device_* (WSO2 device scopes)', async () => {
    const f = await frameworkFixture({ client: { allowedScopes: ['read', 'device_*'] } });
    expect(await f.token({ grant_type: 'client_credentials', scope: 'read device_kiosk-7' })).toMatchObject({
      status: 200,
      body: { scope: 'device_kiosk-7 read' },
    });
    // device_ alone names no device.
    expect((await f.token({ grant_type: 'client_credentials', scope: 'device_' })).body.error).toBe('invalid_scope');
    const plain = await f.service.registerClient({ consumerSecret: SECRET, grantTypes: ['client_credentials'], allowedScopes: ['read'] });
    const refused = await f.token({ grant_type: 'client_credentials', scope: 'device_kiosk-7' }, { form: [plain.consumerKey, SECRET] });
    expect(refused.body.error).toBe('invalid_scope');
  });

  it('grants only globally allowed scopes to a client without its own, device_ scopes when deviceScopes is on', async () => {
    const f = await frameworkFixture({
      client: { allowedScopes: [] },
      model: { scopes: { allowed: ['read', 'write'], deviceScopes: true } },
    });
    const refused = await f.token({ grant_type: 'client_credentials', scope: 'read admin' });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const device = await f.token({ grant_type: 'client_credentials', scope: 'read device_kiosk-7' });
    expect(device).toMatchObject({ status: 200, body: { scope: 'device_kiosk-7 read' } });
  });

  it('refuses device_ scopes by default (deviceScopes off, no device_* allowed)', async () => {
    const f = await frameworkFixture({ client: { allowedScopes: [] }, model: { scopes: { allowed: ['read'] } } });
    expect((await f.token({ grant_type: 'client_credentials', scope: 'device_x' })).body.error).toBe('invalid_scope');
  });

  it('applies default scopes when none is requested, and asks a policy function per scope and client', async () => {
    const seen: string[] = [];
    const f = await frameworkFixture({
      model: {
        scopes: {
          defaults: ['basic'],
          allowed: (scope, client) => {
            seen.push(`${client.id}:${scope}`);
            return scope !== 'admin';
          },
        },
      },
    });
    expect((await f.token({ grant_type: 'client_credentials' })).body.scope).toBe('basic');
    expect((await f.token({ grant_type: 'client_credentials', scope: 'admin' })).body.error).toBe('invalid_scope');
    expect(seen).toEqual([`${f.clientId}:basic`, `${f.clientId}:admin`]);
  });

  it('refuses a malformed scope (invalid_scope)', async () => {
    const f = await frameworkFixture();
    expect((await f.token({ grant_type: 'client_credentials', scope: 'read "quoted"' })).body.error).toBe('invalid_scope');
  });

  it('verifyScope needs every required scope', async () => {
    const f = await frameworkFixture();
    const token = { accessToken: 'x', client: { id: 'c', grants: [] }, user: {}, scope: ['a', 'b'] };
    expect(await f.model.verifyScope(token, ['a'])).toBe(true);
    expect(await f.model.verifyScope(token, ['a', 'c'])).toBe(false);
  });
});

describe('redirect URIs', () => {
  it('matches registered URIs exactly', () => {
    expect(isAllowedRedirectUri(REDIRECT_URI, [REDIRECT_URI], true)).toBe(true);
    for (const uri of [`${REDIRECT_URI}/`, `${REDIRECT_URI}?x=1`, REDIRECT_URI.toUpperCase(), 'http://127.0.0.1:4000/cb'])
      expect(isAllowedRedirectUri(uri, [REDIRECT_URI], true)).toBe(false);
  });

  it('lets a client without registered URIs use only loopback http URIs on any port, when allowed', () => {
    for (const uri of ['http://127.0.0.1:53123/cb', 'http://localhost:8000/', 'http://[::1]:9/x', 'http://127.0.0.1/cb'])
      expect(isLoopbackRedirectUri(uri)).toBe(true);
    for (const uri of [
      'https://127.0.0.1/cb',
      'http://127.0.0.2/cb',
      'http://localhost.evil.example/',
      'http://u:p@127.0.0.1/',
      'http://127.0.0.1/#f',
      'x',
    ])
      expect(isLoopbackRedirectUri(uri)).toBe(false);
    expect(isAllowedRedirectUri('http://127.0.0.1:5000/cb', [], true)).toBe(true);
    expect(isAllowedRedirectUri('http://127.0.0.1:5000/cb', [], false)).toBe(false);
  });

  it('validateRedirectUri reads the client’s registration from the service', async () => {
    const f = await frameworkFixture({ model: { loopbackRedirectUris: true } });
    expect(await f.model.validateRedirectUri(REDIRECT_URI, { id: f.clientId, grants: [] })).toBe(true);
    expect(await f.model.validateRedirectUri('http://127.0.0.1:1234/cb', { id: f.clientId, grants: [] })).toBe(false);
    const bare = await f.service.registerClient({ consumerSecret: SECRET });
    expect(await f.model.validateRedirectUri('http://127.0.0.1:1234/cb', { id: bare.consumerKey, grants: [] })).toBe(true);
    expect(await f.model.validateRedirectUri('https://app.example/cb', { id: bare.consumerKey, grants: [] })).toBe(false);
  });
});

describe('bad input through the framework: the right OAuth2 error, nothing stored', () => {
  it.each([
    ['no grant_type', {}, 'invalid_request'],
    ['an unknown grant_type', { grant_type: 'urn:example:magic' }, 'unsupported_grant_type'],
    ['a code grant without a code', { grant_type: 'authorization_code' }, 'invalid_request'],
    ['a refresh grant without a token', { grant_type: 'refresh_token' }, 'invalid_request'],
    ['an oversized refresh token', { grant_type: 'refresh_token', refresh_token: 'r'.repeat(9000) }, 'invalid_request'],
    ['an oversized code', { grant_type: 'authorization_code', code: 'c'.repeat(9000) }, 'invalid_request'],
    ['an unknown code', { grant_type: 'authorization_code', code: 'no-such-code' }, 'invalid_grant'],
    ['an unknown refresh token', { grant_type: 'refresh_token', refresh_token: 'no-such-token' }, 'invalid_grant'],
    ['a password grant without a password', { grant_type: 'password', username: 'alice' }, 'invalid_request'],
  ])('%s', async (_name, params, error) => {
    const f = await frameworkFixture();
    const before = await countRows(f.store);
    const answer = await f.token(params as Record<string, string>);
    expect(answer.body.error).toBe(error);
    expect(answer.status).toBe(400);
    expect(await countRows(f.store)).toBe(before);
  });

  it('never echoes a presented value in an error description', async () => {
    const f = await frameworkFixture();
    const marker = 'MarkerValue0123456789abcdefghijklmnop';
    const answers = [
      await f.token({ grant_type: 'refresh_token', refresh_token: marker }),
      await f.token({ grant_type: 'authorization_code', code: marker, code_verifier: pkcePair().verifier }),
      await f.token({ grant_type: 'client_credentials' }, { form: [f.clientId, marker] }),
      await f.token({ grant_type: 'password', username: 'alice', password: marker }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(answer.body)).not.toContain(marker);
    }
  });
});

describe('error translation', () => {
  it('maps TokenStoreError codes to the framework’s error classes', () => {
    const cases: Array<[TokenStoreError, string, number]> = [
      [new TokenStoreError(ErrorCode.Replay, 'x'), 'invalid_grant', 400],
      [new TokenStoreError(ErrorCode.ReuseDetected, 'x'), 'invalid_grant', 400],
      [new TokenStoreError(ErrorCode.NotFound, 'x'), 'invalid_grant', 400],
      [new TokenStoreError(ErrorCode.Expired, 'x'), 'invalid_grant', 400],
      [new TokenStoreError(ErrorCode.Revoked, 'x'), 'invalid_grant', 400],
      [new TokenStoreError(ErrorCode.Conflict, 'x'), 'invalid_grant', 400],
      [new InvalidInputError('code', 'too long'), 'invalid_request', 400],
      [new InvalidInputError('scopes', 'must be a subset'), 'invalid_scope', 400],
      [new TokenStoreError(ErrorCode.InvalidClient, 'x'), 'invalid_client', 400],
      [new BackendUnavailableError('down'), 'server_error', 503],
      [new TokenStoreError(ErrorCode.BackendError, 'x'), 'server_error', 500],
    ];
    for (const [error, name, status] of cases) expect(toOAuthError(error)).toMatchObject({ name, code: status });
    expect(toOAuthError(new Error('secret detail'))).toMatchObject({ name: 'server_error', code: 500, message: 'Server error' });
    const framework = new OAuth2Server.InvalidGrantError('kept');
    expect(toOAuthError(framework)).toBe(framework);
  });

  it('answers server_error 503 when the store is unavailable, without internals in the description', async () => {
    const f = await frameworkFixture({
      store: (clock) => {
        const store = new MemoryStore({ clock });
        return new Proxy(store, {
          get(target, property, receiver) {
            if (property === 'insert') return () => Promise.reject(new BackendUnavailableError('connection refused to 10.0.0.1'));
            const value = Reflect.get(target, property, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }) as TokenStore;
      },
    });
    const answer = await f.token({ grant_type: 'client_credentials' });
    expect(answer).toMatchObject({ status: 503, body: { error: 'server_error' } });
    expect(JSON.stringify(answer.body)).not.toContain('10.0.0.1');
  });
});

describe('options', () => {
  const service = new TokenService({ store: new MemoryStore() });
  it.each([
    ['no service', {}, 'service'],
    ['an unknown option', { service, reuse: true }, 'reuse'],
    ['a non-function authenticateUser', { service, authenticateUser: 'alice' }, 'authenticateUser'],
    ['a malformed allowed scope', { service, scopes: { allowed: ['ok', 'not ok'] } }, 'scopes.allowed'],
    ['a non-boolean deviceScopes', { service, scopes: { deviceScopes: 'yes' } }, 'scopes.deviceScopes'],
    ['a non-boolean allowPublicClients', { service, allowPublicClients: 1 }, 'allowPublicClients'],
    ['defaultGrants not a list', { service, defaultGrants: 'password' }, 'defaultGrants'],
  ])('refuses %s at construction, naming the option', (_name, options, field) => {
    let error: unknown;
    try {
      new TokenStoreModel(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MisconfigurationError);
    expect((error as MisconfigurationError).field).toBe(field);
  });

  it('gives a client registered without grant types client_credentials only: no password grant unless asked for (RFC 9700 §2.4)', async () => {
    const f = await frameworkFixture();
    const bare = await f.service.registerClient({ consumerSecret: SECRET, allowedScopes: ['read'] });
    expect(await f.model.getClient(bare.consumerKey, SECRET)).toMatchObject({ grants: ['client_credentials'] });
    const before = await countRows(f.store);
    const password = await f.token(
      { grant_type: 'password', username: 'alice', password: 'wonderland' },
      { form: [bare.consumerKey, SECRET] },
    );
    expect(password).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    expect(await countRows(f.store)).toBe(before);
    const cc = await f.token({ grant_type: 'client_credentials', scope: 'read' }, { form: [bare.consumerKey, SECRET] });
    expect(cc.status).toBe(200);
    // Asked for explicitly, through the option, it is granted.
    const permissive = new TokenStoreModel({ service: f.service, defaultGrants: ['client_credentials', 'password'] });
    expect(await permissive.getClient(bare.consumerKey, SECRET)).toMatchObject({ grants: ['client_credentials', 'password'] });
  });

  it('reports a client with exactly the grants it was registered with', async () => {
    const f = await frameworkFixture();
    expect(await f.model.getClient(f.clientId, SECRET)).toMatchObject({
      id: f.clientId,
      grants: ['authorization_code', 'client_credentials', 'password', 'refresh_token'],
      redirectUris: [REDIRECT_URI],
    });
    const limited = await f.service.registerClient({ consumerSecret: SECRET, grantTypes: ['client_credentials'] });
    expect(await f.model.getClient(limited.consumerKey, SECRET)).toMatchObject({ grants: ['client_credentials'] });
    // null: the authorization endpoint, where no secret is involved; undefined: a token request without one.
    expect(await f.model.getClient(f.clientId, null)).toMatchObject({ id: f.clientId });
    expect(await f.model.getClient(f.clientId, undefined)).toBe(false);
    expect(await f.model.getClient('bad\nid', SECRET)).toBe(false);
  });
});

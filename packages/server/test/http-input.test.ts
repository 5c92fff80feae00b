import { connect } from 'node:net';
import { MemoryStore } from '@tokenstore/cache';
import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_REDIRECT, countRows, hiddenInputs, loginCookie, type RunningFixture, startFixture, USERS } from './support/end-to-end.js';

// Bad HTTP input against the running server on the memory store: the right OAuth2 error, no crash,
// nothing stored, no value in a log line.
let f: RunningFixture;
let rowsBefore: number;

beforeEach(async () => {
  f = await startFixture(new MemoryStore(), { server: { model: { scopes: { allowed: ['profile', 'email', 'read'] } } } });
  rowsBefore = await countRows(f.store);
});

afterEach(async () => {
  // Nothing stored, the server still answers, and no value reached a log line.
  expect(await countRows(f.store)).toBe(rowsBefore);
  expect((await fetch(`${f.server.url}/health`)).status).toBe(200);
  for (const line of f.logs) for (const secret of f.secrets) expect(line).not.toContain(secret);
  await f.close();
});

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const response = await fetch(`${f.server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // HTML pages and empty bodies
  }
  return { status: response.status, headers: response.headers, json, text };
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

describe('the token endpoint', () => {
  it.each([
    ['an unknown grant type', { grant_type: 'urn:example:teleport' }, 400, 'unsupported_grant_type'],
    ['no grant type', {}, 400, 'invalid_request'],
    ['an empty grant type', { grant_type: '' }, 400, 'invalid_request'],
    ['a code grant without code', { grant_type: 'authorization_code' }, 400, 'invalid_request'],
    ['an unknown code', { grant_type: 'authorization_code', code: 'nope', redirect_uri: CLIENT_REDIRECT }, 400, 'invalid_grant'],
    ['an unknown refresh token', { grant_type: 'refresh_token', refresh_token: 'nope' }, 400, 'invalid_grant'],
    ['an oversized refresh token', { grant_type: 'refresh_token', refresh_token: 'r'.repeat(8193) }, 400, 'invalid_request'],
    ['a scope that is not allowed', { grant_type: 'client_credentials', scope: 'admin' }, 400, 'invalid_scope'],
    ['a malformed scope', { grant_type: 'client_credentials', scope: 'a\\b' }, 400, 'invalid_scope'],
    ['a wrong password', { grant_type: 'password', username: 'alice', password: 'x' }, 400, 'invalid_grant'],
    ['an unknown user', { grant_type: 'password', username: 'mallory', password: 'x' }, 400, 'invalid_grant'],
  ])('answers %s with the right error', async (_name, fields, status, error) => {
    const answer = await post('/token', form(fields), { authorization: basic(f.client.client_id, f.clientSecret) });
    expect(answer.status).toBe(status);
    expect(answer.json.error).toBe(error);
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['no client authentication at all', form({ grant_type: 'client_credentials' }), {}, 401, 'invalid_client'],
    ['a client id without secret', form({ grant_type: 'client_credentials', client_id: 'x' }), {}, 401, 'invalid_client'],
    ['a Bearer Authorization header', form({ grant_type: 'client_credentials' }), { authorization: 'Bearer abc' }, 401, 'invalid_client'],
    ['malformed Basic credentials', form({ grant_type: 'client_credentials' }), { authorization: 'Basic !!!' }, 401, 'invalid_client'],
    [
      'Basic credentials without a colon',
      form({ grant_type: 'client_credentials' }),
      { authorization: `Basic ${btoa('abc')}` },
      401,
      'invalid_client',
    ],
    ['an unknown client', form({ grant_type: 'client_credentials' }), { authorization: basic('who', 'what') }, 401, 'invalid_client'],
    [
      'an oversized client id',
      form({ grant_type: 'client_credentials', client_id: 'c'.repeat(8000), client_secret: 's' }),
      {},
      401,
      'invalid_client',
    ],
  ])('refuses %s', async (_name, body, headers, status, error) => {
    const answer = await post('/token', body, headers);
    expect(answer.status).toBe(status);
    expect(answer.json.error).toBe(error);
    if (status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('refuses two client authentication methods at once', async () => {
    const answer = await post('/token', form({ grant_type: 'client_credentials', client_secret: f.clientSecret }), {
      authorization: basic(f.client.client_id, f.clientSecret),
    });
    expect(answer).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
  });

  it.each([
    ['a parameter longer than 8 KiB', form({ grant_type: 'client_credentials', state: 'x'.repeat(9000) }), 'longer than'],
    ['a repeated parameter', 'grant_type=client_credentials&grant_type=password', 'repeated'],
    ['too many parameters', Array.from({ length: 40 }, (_, i) => `p${i}=1`).join('&'), 'parameters'],
    ['a control character', form({ grant_type: 'client_credentials', scope: 'read\u0000' }), 'invalid characters'],
    ['invalid UTF-8', new Uint8Array([0x67, 0x3d, 0xff, 0xfe]), 'UTF-8'],
  ])('refuses a body with %s (invalid_request)', async (_name, body, description) => {
    const answer = await post('/token', body, { authorization: basic(f.client.client_id, f.clientSecret) });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('invalid_request');
    expect(String(answer.json.error_description)).toContain(description);
  });

  it('accepts JSON bodies and refuses malformed ones', async () => {
    const auth = { authorization: basic(f.client.client_id, f.clientSecret), 'content-type': 'application/json' };
    for (const body of ['{', '[]', 'null', '{"grant_type": 5}', '{"grant_type": ["client_credentials"]}']) {
      const answer = await post('/token', body, auth);
      expect(answer).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    }
    const ok = await post('/token', JSON.stringify({ grant_type: 'client_credentials' }), auth);
    expect(ok.status).toBe(200);
    f.secrets.add(ok.json.access_token as string);
    await f.service.revokeTokensOfClient(f.client.client_id);
    rowsBefore += 1; // the token this test issued on purpose
  });

  it('answers 415 for other content types', async () => {
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
      const answer = await post('/token', 'grant_type=client_credentials', { 'content-type': type });
      expect(answer).toMatchObject({ status: 415, json: { error: 'invalid_request' } });
    }
  });

  it('answers 413 for an oversized body, read or declared', async () => {
    const big = await post('/token', `grant_type=client_credentials&pad=${'x'.repeat(200_000)}`);
    expect(big).toMatchObject({ status: 413, json: { error: 'invalid_request' } });
    const declared = await rawRequest(
      `POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 999999999\r\n\r\ngrant_type=`,
    );
    expect(declared).toMatch(/^HTTP\/1\.1 413/);
  });

  it('survives malformed HTTP (the Node parser answers 400)', async () => {
    expect(await rawRequest('POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawRequest('GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
  });

  it('answers 405 with Allow for a wrong method and 404 for an unknown path', async () => {
    const get = await fetch(`${f.server.url}/token`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toMatchObject({ error: 'invalid_request' });
    for (const [path, method] of [
      ['/revoke', 'GET'],
      ['/introspect', 'PUT'],
      ['/health', 'POST'],
      ['/authorize', 'DELETE'],
    ] as const)
      expect((await fetch(`${f.server.url}${path}`, { method })).status).toBe(405);
    const missing = await fetch(`${f.server.url}/nowhere?token=abc`);
    expect(missing.status).toBe(404);
    expect(f.logs.some((line) => line.includes('nowhere'))).toBe(false);
  });
});

describe('revocation and introspection endpoints', () => {
  it.each(['/revoke', '/introspect'])('%s requires client authentication and a token', async (path) => {
    const anonymous = await post(path, form({ token: 'abc' }));
    expect(anonymous).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    const wrong = await post(path, form({ token: 'abc' }), { authorization: basic(f.client.client_id, 'wrong') });
    expect(wrong).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    const noSecret = await post(path, form({ token: 'abc', client_id: f.client.client_id }));
    expect(noSecret).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    const noToken = await post(path, form({}), { authorization: basic(f.client.client_id, f.clientSecret) });
    expect(noToken).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
  });

  it('answers 200 / active:false for malformed, oversized and unknown tokens', async () => {
    const auth = { authorization: basic(f.client.client_id, f.clientSecret) };
    for (const token of ['unknown', 'has space', 'x'.repeat(8192), '\u00e9t\u00e9']) {
      expect((await post('/revoke', form({ token }), auth)).status).toBe(200);
      expect((await post('/introspect', form({ token, token_type_hint: 'whatever' }), auth)).json).toEqual({ active: false });
    }
  });
});

describe('the authorization endpoint', () => {
  function authorizeUrl(params: Record<string, string | undefined>): string {
    const url = new URL(`${f.server.url}/authorize`);
    const defaults = {
      client_id: f.client.client_id,
      redirect_uri: CLIENT_REDIRECT,
      response_type: 'code',
      state: 'st-1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
    for (const [key, value] of Object.entries({ ...defaults, ...params })) if (value !== undefined) url.searchParams.set(key, value);
    return url.toString();
  }

  it.each([
    ['an unknown client', { client_id: 'no-such-client' }],
    ['a missing client', { client_id: undefined }],
    ['an unregistered redirect URI', { redirect_uri: 'https://evil.example/callback' }],
    ['a redirect URI that only shares a prefix', { redirect_uri: `${CLIENT_REDIRECT}/../x` }],
    ['a loopback redirect URI for a client that registered one', { redirect_uri: 'http://127.0.0.1:9999/callback' }],
  ])('shows %s on a page and never redirects', async (_name, params) => {
    const response = await fetch(authorizeUrl(params), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('never redirects a client registered without URIs to a non-loopback URI', async () => {
    const bare = await f.service.registerClient({});
    f.secrets.add(bare.consumerSecret);
    rowsBefore += 1;
    for (const redirect_uri of ['https://evil.example/cb', 'http://10.0.0.1:8080/cb', undefined]) {
      const response = await fetch(authorizeUrl({ client_id: bare.consumerKey, redirect_uri }), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it.each([
    ['no response_type', { response_type: undefined }, 'invalid_request'],
    ['an unsupported response_type', { response_type: 'token' }, 'unsupported_response_type'],
    ['no PKCE challenge', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['the plain PKCE method', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['a malformed challenge', { code_challenge: 'short' }, 'invalid_request'],
    ['a scope that is not allowed', { scope: 'admin' }, 'invalid_scope'],
  ])('redirects %s as an error with the state (RFC 6749 §4.1.2.1)', async (_name, params, error) => {
    const response = await fetch(authorizeUrl(params), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(CLIENT_REDIRECT);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('escapes every reflected value in the login page', async () => {
    const response = await fetch(authorizeUrl({ state: '"><script>alert(1)</script>' }));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain('<script>');
    expect(hiddenInputs(html).get('state')).toBe('"><script>alert(1)</script>');
  });

  it('re-shows the login page on a wrong password, issuing no code; redirects access_denied on deny', async () => {
    const page = await fetch(authorizeUrl({}));
    const fields = hiddenInputs(await page.text());
    const wrong = new URLSearchParams(fields);
    wrong.set('username', 'alice');
    wrong.set('password', 'not-her-password');
    const headers = loginCookie(page);
    const failed = await fetch(`${f.server.url}/authorize`, { method: 'POST', body: wrong, headers, redirect: 'manual' });
    expect(failed.status).toBe(401);
    expect(failed.headers.get('location')).toBeNull();
    expect(await failed.text()).toContain('Wrong username or password');
    const deny = new URLSearchParams(fields);
    deny.set('decision', 'deny');
    const denied = await fetch(`${f.server.url}/authorize`, { method: 'POST', body: deny, headers, redirect: 'manual' });
    expect(denied.status).toBe(302);
    const location = new URL(denied.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-1');
  });

  it('refuses a tampered POST the same way as a GET (unregistered redirect URI: a page, no code)', async () => {
    const body = new URLSearchParams({
      client_id: f.client.client_id,
      redirect_uri: 'https://evil.example/callback',
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      username: 'alice',
      password: USERS.alice,
    });
    const response = await fetch(`${f.server.url}/authorize`, { method: 'POST', body, redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('survives a battery of hostile inputs on every endpoint without a server error', async () => {
    const nasty = ['', '%', '%ZZ', '&&&', '=', 'a=%E0%A4%A', '\u0000', '{"a":', 'x'.repeat(70_000), '__proto__=1&constructor=2'];
    for (const path of ['/token', '/revoke', '/introspect', '/authorize']) {
      for (const body of nasty) {
        for (const type of ['application/x-www-form-urlencoded', 'application/json']) {
          const answer = await post(path, body, { 'content-type': type, authorization: basic(f.client.client_id, f.clientSecret) });
          expect(answer.status, `${path} ${type} ${body.slice(0, 20)}`).toBeGreaterThanOrEqual(200);
          expect(answer.status, `${path} ${type} ${body.slice(0, 20)}`).toBeLessThan(500);
        }
      }
    }
  });
});

describe('oauth4webapi against bad input', () => {
  it('gets invalid_client for a client id that was never registered', async () => {
    const response = await oauth.clientCredentialsGrantRequest(
      f.as,
      { client_id: 'ghost' },
      oauth.ClientSecretBasic('whatever-secret'),
      {},
      { [oauth.allowInsecureRequests]: true },
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });
});

/** Sends raw bytes over TCP and returns the server's first answer (the status line and what follows). */
function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(f.server.port, f.server.host, () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

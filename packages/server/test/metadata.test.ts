import { MemoryStore } from '@tokenstore/cache';
import { MisconfigurationError, TokenService } from '@tokenstore/core';
import { createTokenRequestHandler } from '@tokenstore/server';
import * as oauth from 'oauth4webapi';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationCodeFlow, INSECURE, type RunningFixture, remember, startFixture } from './support/end-to-end.js';

// RFC 8414: clients that discover the endpoints can be pointed at the service.
let f: RunningFixture;

afterEach(async () => {
  for (const line of f.logs) for (const secret of f.secrets) expect(line).not.toContain(secret);
  await f.close();
});

async function discover(issuer: URL): Promise<oauth.AuthorizationServer> {
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE });
  return oauth.processDiscoveryResponse(issuer, response);
}

describe('authorization server metadata at /.well-known/oauth-authorization-server', () => {
  it('is discovered by oauth4webapi, and a code flow and client credentials run from the discovered document', async () => {
    f = await startFixture(new MemoryStore());
    const as = await discover(new URL(f.server.url));
    expect(as).toMatchObject({
      issuer: f.server.url,
      authorization_endpoint: `${f.server.url}/authorize`,
      token_endpoint: `${f.server.url}/token`,
      revocation_endpoint: `${f.server.url}/revoke`,
      introspection_endpoint: `${f.server.url}/introspect`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    expect([...(as.grant_types_supported ?? [])].sort()).toEqual(['authorization_code', 'client_credentials', 'password', 'refresh_token']);

    f.as = as;
    const { tokens } = await authorizationCodeFlow(f, { scope: 'profile' });
    const introspected = await oauth.introspectionRequest(as, f.client, f.auth, tokens.access_token, INSECURE);
    expect(await oauth.processIntrospectionResponse(as, f.client, introspected)).toMatchObject({ active: true, scope: 'profile' });
    const cc = await oauth.clientCredentialsGrantRequest(as, f.client, f.auth, { scope: 'read' }, INSECURE);
    const issued = await oauth.processClientCredentialsResponse(as, f.client, cc);
    remember(f, issued);
    expect(issued.scope).toBe('read');
  });

  it('names the configured issuer and serves the document under its path (RFC 8414 §3.1)', async () => {
    f = await startFixture(new MemoryStore(), { server: { issuer: 'https://auth.example/tenant-a' } });
    const response = await fetch(`${f.server.url}/.well-known/oauth-authorization-server/tenant-a`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({
      issuer: 'https://auth.example/tenant-a',
      token_endpoint: 'https://auth.example/tenant-a/token',
    });
    expect((await fetch(`${f.server.url}/.well-known/oauth-authorization-server`)).status).toBe(404);
  });

  it('refuses an issuer that is not an http(s) URL without query or fragment', () => {
    const service = new TokenService({ store: new MemoryStore() });
    for (const issuer of ['auth.example', 'https://auth.example/?tenant=a', 'https://auth.example/#x', 'ftp://auth.example'])
      expect(() => createTokenRequestHandler({ service, issuer })).toThrow(MisconfigurationError);
  });
});

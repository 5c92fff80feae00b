import type { TokenStore } from '@tokenstore/core';
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestBackend } from './backends.js';
import {
  ALL_GRANTS,
  authorizationCodeFlow,
  INSECURE,
  introspect,
  oauthError,
  type RunningFixture,
  remember,
  startFixture,
} from './end-to-end.js';

/**
 * The end-to-end suite: the running server driven by a real OAuth2 client library (oauth4webapi),
 * over one backend. Skipped with one printed line when the backend is not configured.
 */
export function runEndToEndSuite(backend: TestBackend): void {
  if (backend.skip) {
    console.log(`[tokenstore] server end-to-end suite on ${backend.name} skipped: ${backend.skip}`);
    describe.skip(`end to end on ${backend.name}`, () => {
      it('is skipped', () => undefined);
    });
    return;
  }

  describe(`end to end on ${backend.name}, driven by oauth4webapi`, () => {
    let store: TokenStore;
    let f: RunningFixture;
    const open: RunningFixture[] = [];

    beforeAll(async () => {
      store = await backend.openStore();
    });
    afterAll(async () => {
      await store?.close();
      await backend.cleanup?.();
    });
    afterEach(async () => {
      // No token, code or secret the test saw ever reached a log line.
      for (const fixture of open.splice(0)) {
        for (const line of fixture.logs) for (const secret of fixture.secrets) expect(line).not.toContain(secret);
        await fixture.server.close();
      }
    });

    /** A server over the shared store; the store stays open (TokenService.close would close it). */
    async function serve(options: Parameters<typeof startFixture>[1] = {}): Promise<RunningFixture> {
      const fixture = await startFixture(store, options);
      open.push(fixture);
      return fixture;
    }

    it('client credentials: issues a token that introspects as active with its client and scopes', async () => {
      f = await serve();
      const response = await oauth.clientCredentialsGrantRequest(f.as, f.client, f.auth, { scope: 'read write' }, INSECURE);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const tokens = await oauth.processClientCredentialsResponse(f.as, f.client, response);
      remember(f, tokens);
      expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'read write' });
      expect(tokens.expires_in).toBeGreaterThan(3500);
      expect(tokens.refresh_token).toBeUndefined();
      const info = await introspect(f, tokens.access_token);
      expect(info).toMatchObject({
        active: true,
        client_id: f.client.client_id,
        scope: 'read write',
        token_type: 'Bearer',
        sub: f.client.client_id,
      });
      expect(info.username).toBeUndefined();
      expect(info.exp! - info.iat!).toBe(3600);
      expect(f.logs.some((line) => line.startsWith('POST /token 200'))).toBe(true);
    });

    it('introspection lists no scope member for a token issued without scopes (RFC 7662: optional)', async () => {
      f = await serve();
      const response = await oauth.clientCredentialsGrantRequest(f.as, f.client, f.auth, {}, INSECURE);
      const tokens = await oauth.processClientCredentialsResponse(f.as, f.client, response);
      remember(f, tokens);
      const info = await introspect(f, tokens.access_token);
      expect(info.active).toBe(true);
      expect(info).not.toHaveProperty('scope');
    });

    it('client credentials with the secret in the form (client_secret_post)', async () => {
      f = await serve();
      const auth = oauth.ClientSecretPost(f.clientSecret);
      const response = await oauth.clientCredentialsGrantRequest(f.as, f.client, auth, {}, INSECURE);
      const tokens = await oauth.processClientCredentialsResponse(f.as, f.client, response);
      remember(f, tokens);
      expect((await introspect(f, tokens.access_token)).active).toBe(true);
    });

    it('wrong secret → invalid_client (401), by Basic and by form fields', async () => {
      f = await serve();
      for (const auth of [oauth.ClientSecretBasic('not-the-secret'), oauth.ClientSecretPost('not-the-secret')]) {
        const response = await oauth.clientCredentialsGrantRequest(f.as, f.client, auth, {}, INSECURE);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
        expect(await oauthError(oauth.processClientCredentialsResponse(f.as, f.client, response))).toEqual({
          status: 401,
          error: 'invalid_client',
        });
      }
    });

    it('authorization code with PKCE through /authorize: login page, form post, redirect with code and state, tokens', async () => {
      f = await serve();
      const { tokens } = await authorizationCodeFlow(f, { user: 'bob' });
      expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'email profile' });
      expect(tokens.refresh_token).toEqual(expect.any(String));
      const info = await introspect(f, tokens.access_token);
      expect(info).toMatchObject({ active: true, username: 'bob', sub: 'bob', client_id: f.client.client_id });
      const refresh = await introspect(f, tokens.refresh_token!, 'refresh_token');
      expect(refresh).toMatchObject({ active: true, token_type: 'refresh_token', username: 'bob' });
    });

    it('a client registered without redirect URIs may use a loopback redirect URI on any port', async () => {
      f = await serve();
      const native = await f.service.registerClient({
        name: 'native app',
        grantTypes: ['authorization_code', 'refresh_token'],
        allowedScopes: ['email', 'profile'],
      });
      f.secrets.add(native.consumerSecret);
      const client = { client_id: native.consumerKey };
      const auth = oauth.ClientSecretBasic(native.consumerSecret);
      const { tokens } = await authorizationCodeFlow(f, { client, auth, redirectUri: 'http://127.0.0.1:49152/callback' });
      // Its own token: any client may introspect those (another client's only as a resource server).
      const response = await oauth.introspectionRequest(f.as, client, auth, tokens.access_token, INSECURE);
      expect((await oauth.processIntrospectionResponse(f.as, client, response)).active).toBe(true);
    });

    it('refresh with rotation; reusing the old refresh token revokes the whole family', async () => {
      f = await serve();
      const { tokens } = await authorizationCodeFlow(f);
      const rotatedResponse = await oauth.refreshTokenGrantRequest(f.as, f.client, f.auth, tokens.refresh_token!, INSECURE);
      const rotated = await oauth.processRefreshTokenResponse(f.as, f.client, rotatedResponse);
      remember(f, rotated);
      expect(rotated.refresh_token).toEqual(expect.any(String));
      expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
      expect((await introspect(f, rotated.access_token)).active).toBe(true);
      expect((await introspect(f, tokens.refresh_token!, 'refresh_token')).active).toBe(false);

      const reuse = await oauth.refreshTokenGrantRequest(f.as, f.client, f.auth, tokens.refresh_token!, INSECURE);
      expect(await oauthError(oauth.processRefreshTokenResponse(f.as, f.client, reuse))).toEqual({ status: 400, error: 'invalid_grant' });
      // The family is gone: the first access token, the rotated pair.
      for (const token of [tokens.access_token, rotated.access_token]) expect((await introspect(f, token)).active).toBe(false);
      const next = await oauth.refreshTokenGrantRequest(f.as, f.client, f.auth, rotated.refresh_token!, INSECURE);
      expect(await oauthError(oauth.processRefreshTokenResponse(f.as, f.client, next))).toEqual({ status: 400, error: 'invalid_grant' });
    });

    it('a replayed code fails and revokes what it issued', async () => {
      f = await serve();
      const { tokens, parameters, verifier, redirectUri } = await authorizationCodeFlow(f);
      expect((await introspect(f, tokens.access_token)).active).toBe(true);
      const replay = await oauth.authorizationCodeGrantRequest(f.as, f.client, f.auth, parameters, redirectUri, verifier, INSECURE);
      expect(await oauthError(oauth.processAuthorizationCodeResponse(f.as, f.client, replay))).toEqual({
        status: 400,
        error: 'invalid_grant',
      });
      expect((await introspect(f, tokens.access_token)).active).toBe(false);
      expect((await introspect(f, tokens.refresh_token!, 'refresh_token')).active).toBe(false);
    });

    it('revocation, then introspection answers active: false', async () => {
      f = await serve();
      const response = await oauth.clientCredentialsGrantRequest(f.as, f.client, f.auth, {}, INSECURE);
      const tokens = await oauth.processClientCredentialsResponse(f.as, f.client, response);
      remember(f, tokens);
      expect((await introspect(f, tokens.access_token)).active).toBe(true);
      await oauth.processRevocationResponse(await oauth.revocationRequest(f.as, f.client, f.auth, tokens.access_token, INSECURE));
      expect(await introspect(f, tokens.access_token)).toEqual({ active: false });
    });

    it('revoking a refresh token revokes its grant; unknown tokens still answer 200', async () => {
      f = await serve();
      const { tokens } = await authorizationCodeFlow(f);
      await oauth.processRevocationResponse(
        await oauth.revocationRequest(f.as, f.client, f.auth, tokens.refresh_token!, {
          ...INSECURE,
          additionalParameters: { token_type_hint: 'refresh_token' },
        }),
      );
      expect((await introspect(f, tokens.access_token)).active).toBe(false);
      await expect(
        oauth.processRevocationResponse(await oauth.revocationRequest(f.as, f.client, f.auth, 'never-issued-token', INSECURE)),
      ).resolves.toBeUndefined();
    });

    it('does not revoke another client’s token', async () => {
      f = await serve();
      const other = await f.service.registerClient({ name: 'other', grantTypes: [...ALL_GRANTS] });
      f.secrets.add(other.consumerSecret);
      const response = await oauth.clientCredentialsGrantRequest(f.as, f.client, f.auth, {}, INSECURE);
      const tokens = await oauth.processClientCredentialsResponse(f.as, f.client, response);
      remember(f, tokens);
      const otherClient = { client_id: other.consumerKey };
      await oauth.processRevocationResponse(
        await oauth.revocationRequest(f.as, otherClient, oauth.ClientSecretBasic(other.consumerSecret), tokens.access_token, INSECURE),
      );
      expect((await introspect(f, tokens.access_token)).active).toBe(true);
    });

    it('password grant with the configured users', async () => {
      f = await serve();
      const response = await oauth.genericTokenEndpointRequest(
        f.as,
        f.client,
        f.auth,
        'password',
        { username: 'alice', password: 'wonderland-password', scope: 'profile' },
        INSECURE,
      );
      const tokens = await oauth.processGenericTokenEndpointResponse(f.as, f.client, response);
      remember(f, tokens);
      expect(await introspect(f, tokens.access_token)).toMatchObject({ active: true, username: 'alice', scope: 'profile' });
      const wrong = await oauth.genericTokenEndpointRequest(
        f.as,
        f.client,
        f.auth,
        'password',
        { username: 'alice', password: 'nope' },
        INSECURE,
      );
      expect(await oauthError(oauth.processGenericTokenEndpointResponse(f.as, f.client, wrong))).toEqual({
        status: 400,
        error: 'invalid_grant',
      });
    });

    it('health reports the store', async () => {
      f = await serve();
      const response = await fetch(`${f.server.url}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', backend: store.backend });
    });
  });
}

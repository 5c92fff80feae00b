import { X509Certificate } from 'node:crypto';
import type { TokenStore } from '@tokenstore/core';
import { certificateThumbprint } from '@tokenstore/resource-server';
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestBackend } from './backends.js';
import { authorizationCodeFlow, INSECURE, introspect, oauthError, type RunningFixture, remember, startFixture } from './end-to-end.js';
import { createTestPki, httpsCall, type ProtectedApi, startProtectedApi, type TestPki } from './protected-api.js';

/**
 * Sender-constrained tokens end to end, over one backend: oauth4webapi as a DPoP client (RFC 9449)
 * against the reference service and a protected Express route checking proofs by introspection; and
 * certificate-bound tokens (RFC 8705) over HTTPS with client certificates of a test CA.
 */
export function runSenderConstrainedSuite(backend: TestBackend): void {
  if (backend.skip) {
    console.log(`[tokenstore] sender-constrained end-to-end suite on ${backend.name} skipped: ${backend.skip}`);
    describe.skip(`sender-constrained tokens end to end on ${backend.name}`, () => {
      it('is skipped', () => undefined);
    });
    return;
  }

  describe(`sender-constrained tokens end to end on ${backend.name}`, () => {
    let store: TokenStore;
    const open: Array<{ close(): Promise<unknown> }> = [];
    const fixtures: RunningFixture[] = [];

    beforeAll(async () => {
      store = await backend.openStore();
    });
    afterAll(async () => {
      await store?.close();
      await backend.cleanup?.();
    });
    afterEach(async () => {
      for (const fixture of fixtures.splice(0))
        for (const line of fixture.logs) for (const secret of fixture.secrets) expect(line).not.toContain(secret);
      for (const running of open.splice(0).reverse()) await running.close();
    });

    async function serve(options: Parameters<typeof startFixture>[1] = {}): Promise<RunningFixture> {
      const fixture = await startFixture(store, options);
      fixtures.push(fixture);
      open.push(fixture.server);
      return fixture;
    }
    async function api(f: RunningFixture, ...args: Parameters<typeof startProtectedApi> extends [unknown, ...infer R] ? R : never) {
      const running: ProtectedApi = await startProtectedApi(f, ...args);
      open.push(running);
      return running;
    }
    const dpopHandle = async (f: RunningFixture) => oauth.DPoP(f.client, await oauth.generateKeyPair('ES256'));
    async function dpopClientCredentials(f: RunningFixture, handle: oauth.DPoPHandle) {
      const response = await oauth.clientCredentialsGrantRequest(f.as, f.client, f.auth, { scope: 'read' }, { ...INSECURE, DPoP: handle });
      const tokens = await oauth.processClientCredentialsResponse(f.as, f.client, response);
      remember(f, tokens);
      return tokens;
    }
    /** A resource request with oauth4webapi's DPoP proof; `captured` receives the request's headers. */
    async function callWithProof(url: string, token: string, handle: oauth.DPoPHandle, captured?: Headers[]) {
      return oauth.protectedResourceRequest(token, 'GET', new URL(`${url}/orders`), undefined, undefined, {
        ...INSECURE,
        DPoP: handle,
        [oauth.customFetch]: (input, init) => {
          captured?.push(new Headers(init.headers));
          return fetch(input, init);
        },
      });
    }
    /** A failed oauth4webapi resource request: the status and the WWW-Authenticate challenge. */
    async function refused(promise: Promise<unknown>): Promise<{ status: number; challenge: string }> {
      try {
        await promise;
      } catch (error) {
        if (error instanceof oauth.WWWAuthenticateChallengeError)
          return { status: error.status, challenge: error.response.headers.get('www-authenticate') ?? '' };
        throw error;
      }
      throw new Error('expected the resource server to refuse the request');
    }

    describe('DPoP (RFC 9449)', () => {
      it('issues a DPoP-bound token that works with its proof, introspects with cnf.jkt, and fails as a bearer token or without a proof', async () => {
        const f = await serve();
        const handle = await dpopHandle(f);
        const tokens = await dpopClientCredentials(f, handle);
        expect(tokens.token_type).toBe('dpop');
        const rs = await api(f, { dpop: true });
        const ok = await callWithProof(rs.url, tokens.access_token, handle);
        expect(ok.status).toBe(200);
        const body = (await ok.json()) as { client: string; cnf: { jkt: string } };
        expect(body.client).toBe(f.client.client_id);
        expect(body.cnf.jkt).toBe(await handle.calculateThumbprint());
        expect(await introspect(f, tokens.access_token)).toMatchObject({
          active: true,
          token_type: 'DPoP',
          cnf: { jkt: await handle.calculateThumbprint() },
        });

        const asBearer = await fetch(`${rs.url}/orders`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        expect(asBearer.status).toBe(401);
        expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token".*algs="ES256 EdDSA"/);
        const noProof = await fetch(`${rs.url}/orders`, { headers: { authorization: `DPoP ${tokens.access_token}` } });
        expect(noProof.status).toBe(401);
        expect(noProof.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
      });

      it('refuses a proof made with another key, and a replayed proof', async () => {
        const f = await serve();
        const handle = await dpopHandle(f);
        const tokens = await dpopClientCredentials(f, handle);
        const rs = await api(f, { dpop: true });
        const other = await refused(callWithProof(rs.url, tokens.access_token, await dpopHandle(f)));
        expect(other.status).toBe(401);
        expect(other.challenge).toContain('error="invalid_dpop_proof"');

        const captured: Headers[] = [];
        expect((await callWithProof(rs.url, tokens.access_token, handle, captured)).status).toBe(200);
        const replay = await fetch(`${rs.url}/orders`, { headers: captured[0]! });
        expect(replay.status).toBe(401);
        expect(replay.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
        expect(((await replay.json()) as { error_description: string }).error_description).toMatch(/already used/);
        // A fresh proof of the right key still works.
        expect((await callWithProof(rs.url, tokens.access_token, handle)).status).toBe(200);
      });

      it("binds a public client's refresh token: refresh keeps the binding and needs the same key", async () => {
        const f = await serve({ server: { model: { allowPublicClients: true } } });
        const handle = await dpopHandle(f);
        const publicAuth = oauth.None();
        const { tokens } = await authorizationCodeFlow(f, { auth: publicAuth, dpop: handle, scope: 'read' });
        expect(tokens.token_type).toBe('dpop');
        const jkt = await handle.calculateThumbprint();
        expect(await introspect(f, tokens.refresh_token!, 'refresh_token')).toMatchObject({ active: true, cnf: { jkt } });

        const refresh = (dpop?: oauth.DPoPHandle) =>
          oauth.refreshTokenGrantRequest(f.as, f.client, publicAuth, tokens.refresh_token!, {
            ...INSECURE,
            ...(dpop ? { DPoP: dpop } : {}),
          });
        expect(await oauthError(oauth.processRefreshTokenResponse(f.as, f.client, await refresh()))).toMatchObject({
          status: 400,
          error: 'invalid_grant',
        });
        expect(await oauthError(oauth.processRefreshTokenResponse(f.as, f.client, await refresh(await dpopHandle(f))))).toMatchObject({
          status: 400,
          error: 'invalid_grant',
        });
        const rotated = await oauth.processRefreshTokenResponse(f.as, f.client, await refresh(handle));
        remember(f, rotated);
        expect(rotated.token_type).toBe('dpop');
        expect(await introspect(f, rotated.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
        expect(await introspect(f, rotated.refresh_token!, 'refresh_token')).toMatchObject({ active: true, cnf: { jkt } });
        const rs = await api(f, { dpop: true });
        expect((await callWithProof(rs.url, rotated.access_token, handle)).status).toBe(200);
        expect((await refused(callWithProof(rs.url, rotated.access_token, await dpopHandle(f)))).status).toBe(401);
      });

      it('refuses a refresh without a secret when the refresh token is not bound (no DPoP at issue): invalid_client', async () => {
        const f = await serve({ server: { model: { allowPublicClients: true } } });
        const { tokens } = await authorizationCodeFlow(f, { auth: oauth.None(), scope: 'read' });
        expect(tokens.token_type).toBe('bearer');
        const response = await oauth.refreshTokenGrantRequest(f.as, f.client, oauth.None(), tokens.refresh_token!, INSECURE);
        expect(await oauthError(oauth.processRefreshTokenResponse(f.as, f.client, response))).toMatchObject({
          status: 401,
          error: 'invalid_client',
        });
        expect(await introspect(f, tokens.refresh_token!, 'refresh_token')).toMatchObject({ active: true });
      });

      it("leaves a confidential client's refresh token unbound and binds its new access token to the refresh proof", async () => {
        const f = await serve();
        const handle = await dpopHandle(f);
        const { tokens } = await authorizationCodeFlow(f, { dpop: handle, scope: 'read' });
        const info = await introspect(f, tokens.refresh_token!, 'refresh_token');
        expect(info.active).toBe(true);
        expect(info.cnf).toBeUndefined();
        const next = await dpopHandle(f);
        const response = await oauth.refreshTokenGrantRequest(f.as, f.client, f.auth, tokens.refresh_token!, { ...INSECURE, DPoP: next });
        const rotated = await oauth.processRefreshTokenResponse(f.as, f.client, response);
        remember(f, rotated);
        expect(await introspect(f, rotated.access_token)).toMatchObject({ cnf: { jkt: await next.calculateThumbprint() } });
      });

      it('asks for its nonce when nonces are on (use_dpop_nonce, DPoP-Nonce), then accepts the proof that carries it', async () => {
        const f = await serve({ server: { dpop: { nonce: true } } });
        const handle = await dpopHandle(f);
        const first = oauth.clientCredentialsGrantRequest(f.as, f.client, f.auth, { scope: 'read' }, { ...INSECURE, DPoP: handle });
        let nonceError: unknown;
        try {
          await oauth.processClientCredentialsResponse(f.as, f.client, await first);
        } catch (error) {
          nonceError = error;
        }
        expect(oauth.isDPoPNonceError(nonceError)).toBe(true);
        // The handle learnt the nonce from the DPoP-Nonce header; the retry carries it.
        const tokens = await dpopClientCredentials(f, handle);
        expect(tokens.token_type).toBe('dpop');
      });

      it('answers a malformed DPoP proof at /token with 400 invalid_dpop_proof and issues nothing', async () => {
        const f = await serve();
        const response = await fetch(f.as.token_endpoint!, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${f.client.client_id}:${f.clientSecret}`)}`, dpop: 'not.a.proof' },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
        });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ error: 'invalid_dpop_proof' });
      });
    });

    describe('mTLS certificate-bound tokens (RFC 8705)', () => {
      let pki: TestPki;
      beforeAll(async () => {
        pki = await createTestPki();
      });

      it('binds tokens to the client certificate: they work from the same certificate and fail from another', async () => {
        const f = await serve({ server: { tls: { ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: false } } });
        const [mine, theirs] = pki.clients;
        const issued = await httpsCall(f.as.token_endpoint!, {
          method: 'POST',
          headers: {
            authorization: `Basic ${btoa(`${f.client.client_id}:${f.clientSecret}`)}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials&scope=read',
          ca: pki.ca,
          client: mine,
        });
        expect(issued.status).toBe(200);
        const token = issued.body.access_token as string;
        f.secrets.add(token);
        expect(issued.body.token_type).toBe('Bearer');
        const thumbprint = certificateThumbprint(new X509Certificate(mine.cert));
        const info = await httpsCall(f.as.introspection_endpoint!, {
          method: 'POST',
          headers: {
            authorization: `Basic ${btoa(`${f.client.client_id}:${f.clientSecret}`)}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `token=${token}`,
          ca: pki.ca,
        });
        expect(info.body).toMatchObject({ active: true, token_type: 'Bearer', cnf: { 'x5t#S256': thumbprint } });

        const rs = await api(f, { mtls: true }, { ...pki.server, ca: pki.ca });
        const call = (client?: { key: string; cert: string }) =>
          httpsCall(`${rs.url}/orders`, { headers: { authorization: `Bearer ${token}` }, ca: pki.ca, ...(client ? { client } : {}) });
        const ok = await call(mine);
        expect(ok.status).toBe(200);
        expect(ok.body.cnf).toEqual({ 'x5t#S256': thumbprint });
        for (const other of [theirs, undefined]) {
          const refusal = await call(other);
          expect(refusal.status).toBe(401);
          expect(refusal.headers['www-authenticate']).toContain('error="invalid_token"');
        }
      });
    });
  });
}

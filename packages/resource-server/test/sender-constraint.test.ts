import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createResourceServer,
  type ResourceServerOptions,
  type SenderConstraintInput,
  senderConstraintError,
  type TokenAuth,
} from '../src/index.js';
import { type RunningApp, startExpressApp } from './support/apps.js';
import { bearer, call } from './support/http-client.js';
import { startStubIntrospection } from './support/stub-introspection.js';

// The reference service issues no sender-constrained tokens yet: a stub introspection endpoint answers with cnf.
describe('sender-constrained tokens: the cnf member and the sender-constraint hook', () => {
  const token = 'dpop-bound-token-0123456789';
  let stub: Awaited<ReturnType<typeof startStubIntrospection>>;
  let answer = { status: 200, body: '' };
  const open: RunningApp[] = [];

  beforeAll(async () => {
    stub = await startStubIntrospection(() => answer);
  });
  afterEach(async () => {
    for (const app of open.splice(0)) await app.close();
  });
  afterAll(async () => {
    await stub?.close();
  });

  function bound(): void {
    const exp = Math.floor(Date.now() / 1000) + 600;
    answer = {
      status: 200,
      body: JSON.stringify({
        active: true,
        client_id: 'app',
        sub: 'alice',
        scope: 'read',
        token_type: 'DPoP',
        exp,
        cnf: { jkt: 'thumbprint-0' },
      }),
    };
  }

  async function serve(options: Partial<ResourceServerOptions> = {}): Promise<string> {
    const server = createResourceServer({
      introspection: { url: stub.url, clientId: 'rs', clientSecret: 'rs-secret', maxStalenessSeconds: 0 },
      ...options,
    });
    const app = await startExpressApp(server, server);
    open.push(app);
    return app.url;
  }

  it('without a sender-constraint check, a token with cnf is refused (its binding cannot be verified)', async () => {
    bound();
    const url = await serve();
    const refused = await call(`${url}/me`, { headers: { authorization: `DPoP ${token}` } });
    expect(refused.status).toBe(401);
    expect(refused.challenge).toBe('Bearer realm="api"'); // DPoP is not an accepted scheme here
    const asBearer = await call(`${url}/me`, { headers: bearer(token) });
    expect(asBearer.status).toBe(401);
    expect(asBearer.challenge).toContain('error="invalid_token"');
  });

  it('a check receives the request, the record with cnf, the scheme and the ath hash, and can answer with a DPoP challenge', async () => {
    bound();
    const inputs: SenderConstraintInput[] = [];
    const url = await serve({
      senderConstraint: {
        schemes: ['DPoP'],
        challenges: [{ scheme: 'DPoP', params: { algs: 'ES256' } }],
        verify(input) {
          inputs.push(input);
          if (input.scheme !== 'dpop' || input.request.headers.dpop === undefined)
            throw senderConstraintError(
              401,
              { scheme: 'DPoP', params: { error: 'invalid_dpop_proof', algs: 'ES256' } },
              'a DPoP proof is required',
            );
        },
      },
    });
    const missing = await call(`${url}/me`);
    expect(missing.challenge).toBe('Bearer realm="api", DPoP realm="api", algs="ES256"');

    const withoutProof = await call(`${url}/me`, { headers: { authorization: `DPoP ${token}` } });
    expect(withoutProof.status).toBe(401);
    expect(withoutProof.challenge).toBe('DPoP realm="api", error="invalid_dpop_proof", algs="ES256"');
    expect(withoutProof.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'a DPoP proof is required' });

    const withProof = await call(`${url}/me`, { headers: { authorization: `DPoP ${token}`, dpop: 'a-proof' } });
    expect(withProof.status).toBe(200);
    expect((withProof.body as TokenAuth).cnf).toEqual({ jkt: 'thumbprint-0' });
    const last = inputs.at(-1)!;
    expect(last.scheme).toBe('dpop');
    expect(last.auth.cnf).toEqual({ jkt: 'thumbprint-0' });
    expect(last.accessTokenHash).toBe(createHash('sha256').update(token).digest('base64url'));
  });

  it.each([
    ['not JSON', 200, 'not json'],
    ['no boolean active', 200, '{"active":"yes"}'],
    ['exp not a number', 200, '{"active":true,"exp":"soon"}'],
    ['cnf not an object', 200, '{"active":true,"cnf":"x"}'],
    ['a server error', 500, '{"error":"server_error"}'],
  ])('an introspection answer that is %s: 503', async (_case, status, body) => {
    answer = { status, body };
    const url = await serve();
    const refused = await call(`${url}/me`, { headers: bearer(token) });
    expect(refused.status).toBe(503);
    expect(refused.challenge).toBeUndefined();
  });
});

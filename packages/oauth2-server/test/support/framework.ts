import { createHash, randomBytes } from 'node:crypto';
import OAuth2Server from '@node-oauth/oauth2-server';
import { MemoryStore } from '@tokenstore/cache';
import { scanAllRows } from '@tokenstore/conformance';
import { ManualClock, TokenService, type TokenServiceOptions, type TokenStore } from '@tokenstore/core';
import { TokenStoreModel, type TokenStoreModelOptions } from '@tokenstore/oauth2-server';

const { Request, Response } = OAuth2Server;

export const SECRET = 'the-client-secret-0123456789-abcdefgh';
export const REDIRECT_URI = 'https://app.example/callback';
export const ALL_GRANTS = ['authorization_code', 'client_credentials', 'password', 'refresh_token'] as const;
/** The scopes the fixture's client may request unless a test says otherwise. */
export const FIXTURE_SCOPES = ['openid', 'profile', 'read', 'write'] as const;
export const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface FrameworkFixture {
  clock: ManualClock;
  store: TokenStore;
  service: TokenService;
  model: TokenStoreModel;
  oauth: OAuth2Server;
  clientId: string;
  /** POSTs a form to the token endpoint through the real framework; client auth by form fields unless `basic` is given. */
  token(params: Record<string, string>, auth?: { basic?: [string, string]; form?: [string, string] | null }): Promise<Answer>;
  /** Runs the real authorize handler for `user`, answering the redirect (Location) or the error. */
  authorize(params: Record<string, string>, user?: { id: string }): Promise<Answer & { location?: URL }>;
  /** Runs the real authenticate handler (a protected resource request) with a bearer token. */
  authenticate(accessToken: string, scope?: string[]): Promise<Answer & { token?: OAuth2Server.Token }>;
}

/**
 * A TokenService over a MemoryStore (clock starting now, so the framework's own expiry checks, which
 * read Date.now(), agree with the service's), the adapter, the real OAuth2Server, and one client.
 */
export async function frameworkFixture(
  options: {
    service?: Omit<Partial<TokenServiceOptions>, 'store' | 'clock'>;
    model?: Omit<Partial<TokenStoreModelOptions>, 'service'>;
    /** The fixture's client; by default every grant and the scopes the tests ask for. */
    client?: { grantTypes?: string[]; redirectUris?: string[]; allowedScopes?: string[] };
    store?: (clock: ManualClock) => TokenStore;
  } = {},
): Promise<FrameworkFixture> {
  const clock = new ManualClock(Date.now());
  const store = options.store?.(clock) ?? new MemoryStore({ clock });
  const service = new TokenService({ store, clock, ...options.service });
  const model = new TokenStoreModel({
    service,
    authenticateUser: (username, password) => (USERS[username] !== undefined && USERS[username] === password ? username : null),
    ...options.model,
  });
  const oauth = new OAuth2Server({ model });
  const { consumerKey: clientId } = await service.registerClient({
    consumerSecret: SECRET,
    redirectUris: options.client?.redirectUris ?? [REDIRECT_URI],
    grantTypes: options.client?.grantTypes ?? [...ALL_GRANTS],
    allowedScopes: options.client?.allowedScopes ?? [...FIXTURE_SCOPES],
  });

  async function token(params: Record<string, string>, auth: { basic?: [string, string]; form?: [string, string] | null } = {}) {
    const body: Record<string, string> = { ...params };
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '1' };
    if (auth.basic) headers.authorization = `Basic ${Buffer.from(`${auth.basic[0]}:${auth.basic[1]}`).toString('base64')}`;
    else if (auth.form !== null) {
      const [id, secret] = auth.form ?? [clientId, SECRET];
      body.client_id = id;
      body.client_secret = secret;
    }
    const request = new Request({ method: 'POST', headers, query: {}, body });
    const response = new Response();
    await oauth.token(request, response).catch(() => undefined);
    return {
      status: response.status ?? 200,
      body: response.body as Record<string, unknown>,
      headers: response.headers as Record<string, string>,
    };
  }

  async function authorize(params: Record<string, string>, user: { id: string } = { id: 'alice' }) {
    const request = new Request({ method: 'GET', headers: {}, query: { client_id: clientId, response_type: 'code', ...params }, body: {} });
    const response = new Response();
    await oauth.authorize(request, response, { authenticateHandler: { handle: () => user }, allowEmptyState: true }).catch(() => undefined);
    const headers = response.headers as Record<string, string>;
    return {
      status: response.status ?? 200,
      body: response.body as Record<string, unknown>,
      headers,
      ...(headers.location ? { location: new URL(headers.location) } : {}),
    };
  }

  async function authenticate(accessToken: string, scope?: string[]) {
    const request = new Request({ method: 'GET', headers: { authorization: `Bearer ${accessToken}` }, query: {}, body: {} });
    const response = new Response();
    try {
      const found = await oauth.authenticate(request, response, scope ? { scope } : {});
      return { status: 200, body: {}, headers: response.headers as Record<string, string>, token: found };
    } catch (error) {
      const e = error as { code: number; name: string; message: string };
      return { status: e.code, body: { error: e.name, error_description: e.message }, headers: response.headers as Record<string, string> };
    }
  }

  return { clock, store, service, model, oauth, clientId, token, authorize, authenticate };
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** How many rows of every kind the store holds (any backend). */
export async function countRows(store: TokenStore): Promise<number> {
  return (await scanAllRows(store)).length;
}

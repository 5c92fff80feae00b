import { scanAllRows } from '@tokenstore/conformance';
import { TokenService, type TokenServiceOptions, type TokenStore } from '@tokenstore/core';
import { type RunningTokenServer, startTokenServer, type TokenServerOptions } from '@tokenstore/server';
import * as oauth from 'oauth4webapi';

export const USERS = { alice: 'wonderland-password', bob: 'builder-password' };
export const CLIENT_REDIRECT = 'https://client.example/callback';
export const ALL_GRANTS = ['authorization_code', 'client_credentials', 'password', 'refresh_token'] as const;
/** The scopes the fixture's client may request (scopes are denied unless allowed). */
export const E2E_SCOPES = ['email', 'profile', 'read', 'write'] as const;
export const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

/** A running server over a store, one registered confidential client, and what oauth4webapi needs. */
export interface RunningFixture {
  server: RunningTokenServer;
  service: TokenService;
  store: TokenStore;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  clientSecret: string;
  auth: oauth.ClientAuth;
  /** Every log line the server wrote. */
  logs: string[];
  /** Every token, code and secret the test saw: none may appear in a log line. */
  secrets: Set<string>;
  close(): Promise<void>;
}

/** Starts the server on port 0 over `store` and registers a client with `CLIENT_REDIRECT`. */
export async function startFixture(
  store: TokenStore,
  options: { service?: Omit<Partial<TokenServiceOptions>, 'store'>; server?: Partial<TokenServerOptions> } = {},
): Promise<RunningFixture> {
  const service = new TokenService({ store, ...options.service });
  const logs: string[] = [];
  const server = await startTokenServer({ service, users: USERS, port: 0, log: (line) => logs.push(line), ...options.server });
  const registered = await service.registerClient({
    name: 'e2e client',
    redirectUris: [CLIENT_REDIRECT],
    grantTypes: [...ALL_GRANTS],
    allowedScopes: [...E2E_SCOPES],
  });
  const as: oauth.AuthorizationServer = {
    issuer: server.url,
    authorization_endpoint: `${server.url}/authorize`,
    token_endpoint: `${server.url}/token`,
    revocation_endpoint: `${server.url}/revoke`,
    introspection_endpoint: `${server.url}/introspect`,
  };
  const secrets = new Set<string>([registered.consumerSecret, ...Object.values(USERS)]);
  return {
    server,
    service,
    store,
    as,
    client: { client_id: registered.consumerKey },
    clientSecret: registered.consumerSecret,
    auth: oauth.ClientSecretBasic(registered.consumerSecret),
    logs,
    secrets,
    close: async () => {
      await server.close();
      await service.close();
    },
  };
}

/** The OAuth2 error a failed oauth4webapi call carries: from the body, or from the response behind a WWW-Authenticate challenge. */
export async function oauthError(promise: Promise<unknown>): Promise<{ status: number; error: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) return { status: error.status, error: error.error };
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      const body = (await error.response.json()) as { error: string };
      return { status: error.status, error: body.error };
    }
    throw error;
  }
  throw new Error('expected an OAuth2 error, but the call succeeded');
}

/**
 * The code flow as a browser and an app do it: the app builds the authorization URL (PKCE S256 and
 * state), the browser fetches the login page, posts the form with the user's credentials and follows
 * the redirect; the app validates the callback and redeems the code.
 */
export async function authorizationCodeFlow(
  f: RunningFixture,
  options: {
    client?: oauth.Client;
    auth?: oauth.ClientAuth;
    redirectUri?: string;
    scope?: string;
    user?: keyof typeof USERS;
    /** Redeem the code with DPoP proofs of this handle (RFC 9449 §5). */
    dpop?: oauth.DPoPHandle;
  } = {},
) {
  const client = options.client ?? f.client;
  const redirectUri = options.redirectUri ?? CLIENT_REDIRECT;
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(f.as.authorization_endpoint!);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', options.scope ?? 'profile email');
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');

  const page = await fetch(url);
  if (page.status !== 200) throw new Error(`login page answered ${page.status}`);
  const form = hiddenInputs(await page.text());
  const user = options.user ?? 'alice';
  form.set('username', user);
  form.set('password', USERS[user]);
  form.set('decision', 'allow');
  // As a browser does: the login cookie the page set goes back with the form (CSRF protection).
  const login = await fetch(`${f.server.url}/authorize`, { method: 'POST', body: form, headers: loginCookie(page), redirect: 'manual' });
  if (login.status !== 302) throw new Error(`login answered ${login.status}`);
  const callback = new URL(login.headers.get('location')!);
  const parameters = oauth.validateAuthResponse(f.as, client, callback, state);
  const code = parameters.get('code')!;
  f.secrets.add(code);
  const response = await oauth.authorizationCodeGrantRequest(f.as, client, options.auth ?? f.auth, parameters, redirectUri, verifier, {
    ...INSECURE,
    ...(options.dpop ? { DPoP: options.dpop } : {}),
  });
  const tokens = await oauth.processAuthorizationCodeResponse(f.as, client, response);
  remember(f, tokens);
  return { tokens, code, parameters, verifier, redirectUri };
}

/** Records the values of a token response as secrets the logs must never show. */
export function remember(f: RunningFixture, tokens: { access_token: string; refresh_token?: string }): void {
  f.secrets.add(tokens.access_token);
  if (tokens.refresh_token) f.secrets.add(tokens.refresh_token);
}

/** The `Cookie` header a browser sends back after the login page `page` (empty when it set none). */
export function loginCookie(page: Response): Record<string, string> {
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  return cookie ? { cookie } : {};
}

/** The hidden inputs of the login page, as the browser would submit them. */
export function hiddenInputs(html: string): URLSearchParams {
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    form.set(decodeHtml(match[1]!), decodeHtml(match[2]!));
  return form;
}

function decodeHtml(value: string): string {
  return value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** How many rows of every kind the store holds (any backend). */
export async function countRows(store: TokenStore): Promise<number> {
  return (await scanAllRows(store)).length;
}

/** Introspects `token` as the fixture's client. */
export async function introspect(f: RunningFixture, token: string, hint?: string) {
  const response = await oauth.introspectionRequest(f.as, f.client, f.auth, token, {
    ...INSECURE,
    ...(hint ? { additionalParameters: { token_type_hint: hint } } : {}),
  });
  return oauth.processIntrospectionResponse(f.as, f.client, response);
}

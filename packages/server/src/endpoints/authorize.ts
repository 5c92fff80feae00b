import type { IncomingMessage, ServerResponse } from 'node:http';
import OAuth2Server from '@node-oauth/oauth2-server';
import { isAllowedRedirectUri } from '@tokenstore/oauth2-server';
import { queryParameters, type Parameters as RequestParameters, readParameters } from '../http/body.js';
import { HttpError } from '../http/http-error.js';
import { sendHtml, sendRedirect } from '../http/respond.js';
import { frameworkRequest, type ServerContext } from '../server-context.js';
import { CSRF_FIELD, peerAddress } from './login-guard.js';
import { errorPage, loginPage } from './login-page.js';

/** The authorization-request parameters carried from the login page back to the POST. */
const REQUEST_FIELDS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];
const PKCE_CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** An authorization request whose client and redirect URI are verified, so errors may be redirected. */
interface VerifiedRequest {
  client: OAuth2Server.Client;
  redirectUri: string;
  /** Whether the request named the redirect URI (else the client's only registered one is used). */
  redirectUriGiven: boolean;
  parameters: RequestParameters;
  scopes: string[];
}

/** An error answered on a page, never by redirect: the client or redirect URI could not be verified. */
class UnredirectableError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/** An error answered by redirect to the verified redirect URI (RFC 6749 §4.1.2.1). */
class RedirectedError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * `GET /authorize` shows the development login page for a verified authorization request (code flow,
 * PKCE S256 required); `POST /authorize` (the login form) authenticates the user against the
 * configured users and lets the framework issue the code and redirect with `code` and `state`. Errors
 * follow RFC 6749 §4.1.2.1: an unknown client or an unregistered redirect URI is shown on a page and
 * never redirected; every other error is redirected to the verified redirect URI with `state`.
 */
export async function authorizeEndpoint(
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<string | undefined> {
  let parameters: RequestParameters;
  try {
    parameters = req.method === 'GET' ? queryParameters(url.searchParams) : await readParameters(req, { json: false });
  } catch (error) {
    if (error instanceof HttpError && error.status !== 400) throw error;
    const description = error instanceof HttpError ? error.description : 'malformed request';
    sendHtml(res, 400, errorPage('invalid_request', description));
    return 'invalid_request';
  }
  let verified: VerifiedRequest;
  try {
    verified = await verifyClientAndRedirect(context, parameters);
  } catch (error) {
    if (!(error instanceof UnredirectableError)) throw error;
    sendHtml(res, error.status, errorPage(error.error, error.description));
    return error.error;
  }
  const guard = context.loginGuard;
  const cookie = guard.cookieOf(req);
  // Only a post of a form this server showed to this browser, for this very request, goes on: so
  // neither a login nor a deny (which would redirect with a chosen state) can be forged elsewhere.
  if (req.method === 'POST' && !guard.verify(cookie, parameters[CSRF_FIELD], requestFields(parameters))) {
    sendHtml(res, 400, errorPage('invalid_request', 'the login form expired or was not shown for this request; start again'));
    return 'invalid_request';
  }
  try {
    await checkRequest(context, verified);
    if (req.method === 'GET') {
      // The same browser keeps its value (several tabs stay valid); the cookie's lifetime restarts.
      const browser = cookie ?? guard.newCookie();
      const page = loginPage({
        clientName: clientName(verified.client),
        scopes: verified.scopes,
        hidden: formFields(context, browser, parameters),
      });
      sendHtml(res, 200, page, { 'set-cookie': guard.setCookieHeader(browser) });
      return undefined;
    }
    return await completeLogin(context, verified, req, res, cookie!);
  } catch (error) {
    if (!(error instanceof RedirectedError)) throw error;
    sendRedirect(res, errorRedirect(verified, error.error, error.description));
    return error.error;
  }
}

async function verifyClientAndRedirect(context: ServerContext, parameters: RequestParameters): Promise<VerifiedRequest> {
  const clientId = parameters.client_id;
  if (!clientId) throw new UnredirectableError(400, 'invalid_request', 'missing parameter: client_id');
  // null: no secret at the authorization endpoint (the framework's convention).
  const client = await context.model.getClient(clientId, null).catch(() => false as const);
  if (!client) throw new UnredirectableError(400, 'invalid_client', 'unknown client');
  const registered = Array.isArray(client.redirectUris) ? client.redirectUris : [];
  const given = parameters.redirect_uri;
  let redirectUri: string;
  if (given === undefined) {
    if (registered.length !== 1)
      throw new UnredirectableError(400, 'invalid_request', 'redirect_uri is required for this client (none or several are registered)');
    redirectUri = registered[0]!;
  } else if (isAllowedRedirectUri(given, registered, context.model.options.loopbackRedirectUris)) {
    redirectUri = given;
  } else {
    throw new UnredirectableError(400, 'invalid_request', 'redirect_uri is not registered for this client');
  }
  return { client, redirectUri, redirectUriGiven: given !== undefined, parameters, scopes: [] };
}

async function checkRequest(context: ServerContext, request: VerifiedRequest): Promise<void> {
  const { parameters, client } = request;
  if (!Array.isArray(client.grants) || !client.grants.includes('authorization_code'))
    throw new RedirectedError('unauthorized_client', 'the client may not use the authorization code grant');
  if (parameters.response_type === undefined) throw new RedirectedError('invalid_request', 'missing parameter: response_type');
  if (parameters.response_type !== 'code') throw new RedirectedError('unsupported_response_type', 'only response_type=code is supported');
  if (parameters.code_challenge === undefined) throw new RedirectedError('invalid_request', 'code_challenge is required (PKCE)');
  if (!PKCE_CHALLENGE.test(parameters.code_challenge)) throw new RedirectedError('invalid_request', 'malformed code_challenge');
  if (parameters.code_challenge_method !== undefined && parameters.code_challenge_method !== 'S256')
    throw new RedirectedError('invalid_request', 'code_challenge_method must be S256');
  const requested = parameters.scope === undefined ? undefined : parameters.scope.split(' ').filter((s) => s.length > 0);
  const scopes = await context.model.validateScope({}, client, requested);
  if (!scopes) throw new RedirectedError('invalid_scope', 'the requested scope is invalid');
  request.scopes = scopes;
}

async function completeLogin(
  context: ServerContext,
  request: VerifiedRequest,
  req: IncomingMessage,
  res: ServerResponse,
  cookie: string,
): Promise<string | undefined> {
  const { parameters, client } = request;
  if (parameters.decision === 'deny') throw new RedirectedError('access_denied', 'the user denied the request');
  const address = peerAddress(req);
  const retryAfter = context.loginGuard.retryAfterSeconds(address);
  if (retryAfter > 0) {
    sendHtml(res, 429, errorPage('too_many_requests', 'too many failed logins from this address; try again later'), {
      'retry-after': String(retryAfter),
    });
    return 'login_limited';
  }
  const username = parameters.username ?? '';
  const password = parameters.password ?? '';
  const user = username && password ? await context.authenticateUser(username, password, client) : null;
  const userId = typeof user === 'string' ? user : user ? user.id : undefined;
  if (!userId) {
    context.loginGuard.recordFailure(address);
    sendHtml(
      res,
      401,
      loginPage({
        clientName: clientName(client),
        scopes: request.scopes,
        hidden: formFields(context, cookie, parameters),
        error: 'Wrong username or password.',
      }),
    );
    return 'login_failed';
  }
  const base = context.model;
  // The client and redirect URI are verified above; the framework gets exactly them, and a code for a
  // request that named no redirect URI is stored without one (so /token does not demand it).
  const model = {
    getClient: async () => ({ ...client, redirectUris: [request.redirectUri] }),
    validateRedirectUri: async (uri: string) => uri === request.redirectUri,
    validateScope: base.validateScope.bind(base),
    saveAuthorizationCode: (code: Parameters<typeof base.saveAuthorizationCode>[0], c: OAuth2Server.Client, u: OAuth2Server.User) =>
      base.saveAuthorizationCode(request.redirectUriGiven ? code : { ...code, redirectUri: '' }, c, u),
    getAccessToken: base.getAccessToken.bind(base),
  };
  // A redirect_uri the request named equals the verified one; a request that named none gets it too.
  const body = { ...hiddenFields(parameters), redirect_uri: request.redirectUri };
  const response = new OAuth2Server.Response();
  let failure: string | undefined;
  try {
    // server.authorize() merges these over the constructor's options, the model included (lib/server.js).
    const options = { model, authenticateHandler: { handle: () => ({ id: userId }) }, allowEmptyState: true };
    await context.oauth.authorize(frameworkRequest(body), response, options as OAuth2Server.AuthorizeOptions);
  } catch (error) {
    failure = error instanceof OAuth2Server.OAuthError ? error.name : 'server_error';
  }
  const location = response.get('location');
  if (response.status !== 302 || typeof location !== 'string') throw new HttpError(500, 'server_error', 'server error');
  sendRedirect(res, location);
  return failure;
}

function errorRedirect(request: VerifiedRequest, error: string, description: string): string {
  const target = new URL(request.redirectUri);
  target.searchParams.set('error', error);
  target.searchParams.set('error_description', description);
  if (request.parameters.state !== undefined) target.searchParams.set('state', request.parameters.state);
  return target.toString();
}

/** The authorization request's fields in a fixed order: what a form's CSRF token is bound to. */
function requestFields(parameters: RequestParameters): (string | undefined)[] {
  return REQUEST_FIELDS.map((field) => parameters[field]);
}

/** The login form's hidden fields: the request, and a CSRF token for this browser and request. */
function formFields(context: ServerContext, cookie: string, parameters: RequestParameters): Record<string, string> {
  return { ...hiddenFields(parameters), [CSRF_FIELD]: context.loginGuard.formToken(cookie, requestFields(parameters)) };
}

function hiddenFields(parameters: RequestParameters): Record<string, string> {
  const hidden: Record<string, string> = {};
  for (const field of REQUEST_FIELDS) if (parameters[field] !== undefined) hidden[field] = parameters[field];
  return hidden;
}

function clientName(client: OAuth2Server.Client): string {
  return typeof client.name === 'string' && client.name.length > 0 ? client.name : client.id;
}

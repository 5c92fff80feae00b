import type { IncomingMessage } from 'node:http';
import OAuth2Server from '@node-oauth/oauth2-server';
import type { TokenService } from '@tokenstore/core';
import type { AuthenticateUser } from '@tokenstore/oauth2-server';
import { TokenStoreModel } from '@tokenstore/oauth2-server';
import { LoginGuard } from './endpoints/login-guard.js';
import type { Parameters } from './http/body.js';
import { invalidClient, presentedClient } from './http/client-credentials.js';
import { HttpError } from './http/http-error.js';
import { type ResolvedServerOptions, resolveServerOptions, type TokenServerOptions } from './options.js';

/** What every endpoint shares: the service, the adapter, the framework and the user check. */
export interface ServerContext {
  service: TokenService;
  model: TokenStoreModel;
  oauth: OAuth2Server;
  authenticateUser: AuthenticateUser;
  /** CSRF tokens and the failed-login limit of the development login page. */
  loginGuard: LoginGuard;
  options: ResolvedServerOptions;
}

/** Builds the adapter and the framework once per handler. */
export function createServerContext(options: TokenServerOptions): ServerContext {
  const resolved = resolveServerOptions(options);
  const model = new TokenStoreModel({
    loopbackRedirectUris: true,
    ...resolved.model,
    service: resolved.service,
    authenticateUser: resolved.authenticateUser,
  });
  // The lifetimes given here only feed values the model ignores: validity is TokenService policy.
  // A public client refreshes without a secret; the service then accepts only a sender-constrained
  // refresh token (its binding stands in for client authentication: RFC 9449 §5, RFC 8705 §4).
  const oauth = new OAuth2Server({
    model,
    allowEmptyState: true,
    ...(model.options.allowPublicClients ? { requireClientAuthentication: { refresh_token: false } } : {}),
  });
  const loginGuard = new LoginGuard(resolved.service.clock, resolved.loginRateLimit);
  return { service: resolved.service, model, oauth, authenticateUser: resolved.authenticateUser, loginGuard, options: resolved };
}

/**
 * A framework request carrying `body` as a parsed form: the server reads and checks the HTTP body
 * itself (limits, one client authentication method), so the framework only sees the result. Its
 * request checks want a form content type and a non-zero length.
 */
export function frameworkRequest(body: Record<string, string>): OAuth2Server.Request {
  return new OAuth2Server.Request({
    method: 'POST',
    query: {},
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '1' },
    body,
  });
}

/**
 * The authenticated client of a /revoke or /introspect request (Basic or form fields, secret
 * required), through the adapter's `getClient` (constant-time secret check in the service).
 */
export async function authenticateClient(
  context: ServerContext,
  req: IncomingMessage,
  parameters: Parameters,
): Promise<OAuth2Server.Client> {
  const presented = presentedClient(req, parameters);
  if (!presented?.secret) throw invalidClient('client authentication is required');
  const client = await context.model.getClient(presented.id, presented.secret);
  if (!client) throw invalidClient('client authentication failed');
  return client;
}

/** Turns a framework (OAuthError) failure into an answer, hiding internals of server errors. */
export function fromOAuthError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof OAuth2Server.OAuthError) {
    const status = typeof error.code === 'number' ? error.code : 500;
    if (error.name === 'invalid_client') return invalidClient(error.message);
    if (status >= 500) return new HttpError(status, 'server_error', status === 503 ? 'the token store is unavailable' : 'server error');
    return new HttpError(status, error.name, error.message);
  }
  return new HttpError(500, 'server_error', 'server error');
}

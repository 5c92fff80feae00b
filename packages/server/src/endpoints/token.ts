import type { IncomingMessage, ServerResponse } from 'node:http';
import OAuth2Server from '@node-oauth/oauth2-server';
import { readParameters } from '../http/body.js';
import { presentedClient } from '../http/client-credentials.js';
import { HttpError } from '../http/http-error.js';
import { sendJson } from '../http/respond.js';
import { endpointUrl, proveSenderConstraint } from '../sender-constraints.js';
import { frameworkRequest, fromOAuthError, type ServerContext } from '../server-context.js';

/**
 * `POST /token` (RFC 6749 §3.2): client_credentials, password, authorization_code (PKCE) and
 * refresh_token, through the framework and the adapter. Client authentication by HTTP Basic or by
 * `client_id` / `client_secret`; the Basic credentials are decoded here (RFC 6749 §2.3.1) and handed
 * to the framework as form fields, so both methods take one path.
 *
 * Sender constraints: a valid DPoP proof (RFC 9449 §5) binds the tokens to its key (`token_type:
 * DPoP`), a TLS client certificate (RFC 8705 §3) to the certificate; a public client's refresh token
 * (no secret) is bound too, so refreshing needs the same key or certificate.
 */
export async function tokenEndpoint(context: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const parameters = await readParameters(req, { json: true });
  const client = presentedClient(req, parameters);
  const body: Record<string, string> = { ...parameters };
  if (client) {
    body.client_id = client.id;
    if (client.secret !== undefined) body.client_secret = client.secret;
  }
  const proved = await proveSenderConstraint(req, endpointUrl(req, context.options.issuer, '/token'), context.options.senderConstraints);
  const constraint = { confirmation: proved.confirmation, publicClient: client !== undefined && client.secret === undefined };
  const response = new OAuth2Server.Response();
  try {
    await context.model.withSenderConstraint(constraint, () => context.oauth.token(frameworkRequest(body), response));
  } catch (error) {
    const answer = fromOAuthError(error);
    const headers = { ...answer.extra.headers, ...proved.headers };
    throw new HttpError(answer.status, answer.error, answer.description, { ...answer.extra, headers });
  }
  const answer = response.body as Record<string, unknown>;
  if (proved.confirmation?.jkt !== undefined) answer.token_type = 'DPoP';
  sendJson(res, 200, answer, proved.headers); // with Cache-Control: no-store, as every JSON answer
  return undefined;
}

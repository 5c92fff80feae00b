import type { IncomingMessage, ServerResponse } from 'node:http';
import OAuth2Server from '@node-oauth/oauth2-server';
import { readParameters } from '../http/body.js';
import { presentedClient } from '../http/client-credentials.js';
import { sendJson } from '../http/respond.js';
import { frameworkRequest, fromOAuthError, type ServerContext } from '../server-context.js';

/**
 * `POST /token` (RFC 6749 §3.2): client_credentials, password, authorization_code (PKCE) and
 * refresh_token, through the framework and the adapter. Client authentication by HTTP Basic or by
 * `client_id` / `client_secret`; the Basic credentials are decoded here (RFC 6749 §2.3.1) and handed
 * to the framework as form fields, so both methods take one path.
 */
export async function tokenEndpoint(context: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const parameters = await readParameters(req, { json: true });
  const client = presentedClient(req, parameters);
  const body: Record<string, string> = { ...parameters };
  if (client) {
    body.client_id = client.id;
    if (client.secret !== undefined) body.client_secret = client.secret;
  }
  const response = new OAuth2Server.Response();
  try {
    await context.oauth.token(frameworkRequest(body), response);
  } catch (error) {
    throw fromOAuthError(error);
  }
  sendJson(res, 200, response.body); // with Cache-Control: no-store, as every JSON answer
  return undefined;
}

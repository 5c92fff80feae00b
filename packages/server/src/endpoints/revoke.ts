import type { IncomingMessage, ServerResponse } from 'node:http';
import { readParameters } from '../http/body.js';
import { HttpError } from '../http/http-error.js';
import { sendJson } from '../http/respond.js';
import { authenticateClient, type ServerContext } from '../server-context.js';
import { findToken } from './token-lookup.js';

/**
 * `POST /revoke` (RFC 7009): client-authenticated. Revokes the token when it was issued to the
 * authenticated client — an access token alone, a refresh token with its whole grant (§2.1) — and
 * answers 200 whatever the token was: unknown, malformed, already revoked, or another client's (which
 * is left alone, and not disclosed).
 */
export async function revokeEndpoint(context: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const parameters = await readParameters(req, { json: true });
  const client = await authenticateClient(context, req, parameters);
  const token = parameters.token;
  if (token === undefined || token.length === 0) throw new HttpError(400, 'invalid_request', 'missing parameter: token');
  const found = await findToken(context.service, token, parameters.token_type_hint);
  if (found && found.consumerKey === client.id) {
    if (found.kind === 'access_token') await context.service.revokeAccessToken(token);
    else await context.service.revokeRefreshToken(token);
  }
  sendJson(res, 200, {});
  return undefined;
}

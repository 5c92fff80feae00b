import type { IncomingMessage, ServerResponse } from 'node:http';
import { UserType } from '@tokenstore/core';
import { readParameters } from '../http/body.js';
import { HttpError } from '../http/http-error.js';
import { sendJson } from '../http/respond.js';
import { authenticateClient, type ServerContext } from '../server-context.js';
import { findToken } from './token-lookup.js';

/**
 * `POST /introspect` (RFC 7662): client-authenticated. A client may introspect its own tokens; a
 * client registered as a resource server (`resourceServer: true`) every client's (RFC 7662 §4: the
 * server decides who may). Anyone else asking about another client's token gets `{ active: false }`,
 * the same answer as for an unknown token, so existence is not revealed. `{ active: false }` for
 * anything not ACTIVE and unexpired — unknown, malformed, expired, revoked, rotated; otherwise `active`, `scope`, `client_id`, `username` (user tokens), `token_type`
 * (`Bearer`, `DPoP` for a DPoP-bound access token, `refresh_token`), `exp` (absent for a token that
 * never expires), `iat`, `sub` (the user, or the client for application tokens) and `cnf` for a
 * sender-constrained token (`jkt`, `x5t#S256`).
 */
export async function introspectEndpoint(context: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const parameters = await readParameters(req, { json: true });
  const client = await authenticateClient(context, req, parameters);
  const token = parameters.token;
  if (token === undefined || token.length === 0) throw new HttpError(400, 'invalid_request', 'missing parameter: token');
  const found = await findToken(context.service, token, parameters.token_type_hint);
  if (!found?.active || (found.consumerKey !== client.id && client.resourceServer !== true)) {
    sendJson(res, 200, { active: false });
    return undefined;
  }
  const answer: Record<string, unknown> = {
    active: true,
    client_id: found.consumerKey,
    // RFC 9449 §6.2: a DPoP-bound access token introspects as token_type DPoP with cnf.jkt.
    token_type: found.kind === 'refresh_token' ? 'refresh_token' : found.confirmation?.jkt !== undefined ? 'DPoP' : 'Bearer',
    iat: Math.floor(found.issuedAt / 1000),
    sub: found.userId,
  };
  // RFC 7662 §2.2: scope is optional; a token without scopes has none to list.
  if (found.scopes.length > 0) answer.scope = found.scopes.join(' ');
  if (found.userType === UserType.ApplicationUser) answer.username = found.userId;
  if (found.expiresAt !== null) answer.exp = Math.floor(found.expiresAt / 1000);
  // RFC 7800 cnf: jkt (RFC 9449 §6.2) and/or x5t#S256 (RFC 8705 §3.2), for access and bound refresh tokens.
  if (found.confirmation !== undefined) answer.cnf = { ...found.confirmation };
  sendJson(res, 200, answer);
  return undefined;
}

import type { IncomingMessage } from 'node:http';
import type { Parameters } from './body.js';
import { HttpError } from './http-error.js';

/** The client credentials a request presented, and how. */
export interface PresentedClient {
  id: string;
  secret: string | undefined;
  /** True when they came in an `Authorization: Basic` header (a failure then answers 401 with WWW-Authenticate). */
  basic: boolean;
}

/** The WWW-Authenticate challenge of every invalid_client answer. */
export const BASIC_CHALLENGE = 'Basic realm="tokenstore", charset="UTF-8"';

/** 401 invalid_client with the Basic challenge (RFC 6749 §5.2; HTTP requires the challenge on every 401). */
export function invalidClient(description: string): HttpError {
  return new HttpError(401, 'invalid_client', description, { headers: { 'www-authenticate': BASIC_CHALLENGE } });
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw invalidClient('malformed Basic credentials');
  }
}

/**
 * The client credentials of a request: HTTP Basic (RFC 6749 §2.3.1: id and secret form-urlencoded,
 * then base64) or the `client_id` / `client_secret` parameters. Using both methods at once is
 * refused (invalid_request); `undefined` when the request names no client at all.
 */
export function presentedClient(req: IncomingMessage, parameters: Parameters): PresentedClient | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
    if (!match) throw invalidClient('the Authorization header must use the Basic scheme');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw invalidClient('malformed Basic credentials');
    const id = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (parameters.client_secret !== undefined)
      throw new HttpError(400, 'invalid_request', 'use one client authentication method: Basic or client_secret, not both');
    if (parameters.client_id !== undefined && parameters.client_id !== id)
      throw new HttpError(400, 'invalid_request', 'client_id does not match the Basic credentials');
    return { id, secret, basic: true };
  }
  if (parameters.client_id === undefined) return undefined;
  return { id: parameters.client_id, secret: parameters.client_secret, basic: false };
}

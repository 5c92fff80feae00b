import type { IncomingMessage } from 'node:http';
import { invalidRequest } from '../errors.js';

/** A token as the request presented it. */
export interface PresentedToken {
  token: string;
  /** The Authorization scheme, lower-cased (`bearer`, or a sender-constraint scheme such as `dpop`); `bearer` for the form body. */
  scheme: string;
  method: 'header' | 'form-body';
}

/** A parsed request body: an object of fields (as Express and Fastify parse forms) or URLSearchParams. */
export type ParsedBody = URLSearchParams | Readonly<Record<string, unknown>> | null | undefined;

export interface CredentialRules {
  /** Accepted Authorization schemes, lower-cased; always includes `bearer`. */
  schemes: ReadonlySet<string>;
  /** RFC 6750 §2.2: accept the `access_token` form-body parameter. */
  formBody: boolean;
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 9110 §11.4: auth-scheme is a token; then 1*SP and the credentials (RFC 6750: 1*SP b64token).
const AUTHORIZATION = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: +(.*))?$/s;
const FORM = 'application/x-www-form-urlencoded';

/**
 * The access token of a request (RFC 6750 §2): from the Authorization header, or, when enabled, the
 * `access_token` form-body parameter of a non-GET urlencoded request; never from the query (§2.3 is
 * not supported). `null` when the request carries none (an Authorization header of another scheme
 * counts as none). Throws invalid_request for a malformed header, two Authorization headers, a
 * repeated form parameter or two methods at once (§3.1).
 */
export function presentedToken(req: IncomingMessage, body: ParsedBody, rules: CredentialRules): PresentedToken | null {
  const fromHeader = headerToken(req, rules.schemes);
  const fromBody = rules.formBody ? formBodyToken(req, body) : null;
  if (fromHeader && fromBody) throw invalidRequest('the access token was sent by more than one method');
  return fromHeader ?? fromBody;
}

function headerToken(req: IncomingMessage, schemes: ReadonlySet<string>): PresentedToken | null {
  const headers = authorizationHeaders(req);
  if (headers.length === 0) return null;
  if (headers.length > 1) throw invalidRequest('more than one Authorization header');
  const match = AUTHORIZATION.exec(headers[0]!.trim());
  if (!match) throw invalidRequest('malformed Authorization header');
  const scheme = match[1]!.toLowerCase();
  if (!schemes.has(scheme)) return null;
  const credentials = match[2] ?? '';
  if (credentials === '') throw invalidRequest(`the ${match[1]} scheme needs a token`);
  if (!B64TOKEN.test(credentials)) throw invalidRequest('the access token is not b64token syntax (RFC 6750 section 2.1)');
  return { token: credentials, scheme, method: 'header' };
}

/** Every Authorization header line: Node keeps only the first in `req.headers`, so read the raw list. */
function authorizationHeaders(req: IncomingMessage): string[] {
  const raw = req.rawHeaders;
  if (!Array.isArray(raw)) {
    const single = req.headers.authorization;
    return single === undefined ? [] : [single];
  }
  const found: string[] = [];
  for (let index = 0; index + 1 < raw.length; index += 2) {
    if (raw[index]!.toLowerCase() === 'authorization') found.push(raw[index + 1]!);
  }
  return found;
}

function formBodyToken(req: IncomingMessage, body: ParsedBody): PresentedToken | null {
  // §2.2: single-part urlencoded, and a method whose body has defined semantics (not GET).
  if (req.method === 'GET' || req.method === 'HEAD') return null;
  const mediaType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== FORM || body === null || body === undefined) return null;
  const values = body instanceof URLSearchParams ? body.getAll('access_token') : fieldValues(body.access_token);
  if (values.length === 0) return null;
  if (values.length > 1) throw invalidRequest('the access_token parameter is repeated');
  const token = values[0];
  if (typeof token !== 'string' || token === '') throw invalidRequest('the access_token parameter is empty or not a string');
  if (!B64TOKEN.test(token)) throw invalidRequest('the access token is not b64token syntax (RFC 6750 section 2.1)');
  return { token, scheme: 'bearer', method: 'form-body' };
}

function fieldValues(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

import type { ServerResponse } from 'node:http';
import type { Challenge, ResourceServerError } from '../errors.js';

/** The answer to a refused request, for any framework: status, headers, JSON body. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error?: string; error_description: string };
}

/** `Bearer realm="api", error="invalid_token", …`: every challenge, each with the realm first (RFC 6750 §3). */
export function formatChallenges(challenges: readonly Challenge[], realm: string): string {
  return challenges
    .map(({ scheme, params }) => {
      const attributes = [`realm=${quote(realm)}`, ...Object.entries(params).map(([name, value]) => `${name}=${quote(value)}`)];
      return `${scheme} ${attributes.join(', ')}`;
    })
    .join(', ');
}

/** The response for `error` under `realm`: a 401/403/400 with its challenges, a 503 with none. */
export function errorResponse(error: ResourceServerError, realm: string): ErrorResponse {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (error.challenges.length > 0) headers['www-authenticate'] = formatChallenges(error.challenges, realm);
  const body: ErrorResponse['body'] = { error_description: error.description };
  if (error.error !== undefined) body.error = error.error;
  return { status: error.status, headers, body };
}

/** Writes `error`'s response on a `node:http` response. */
export function writeErrorResponse(res: ServerResponse, error: ResourceServerError, realm: string): void {
  const { status, headers, body } = errorResponse(error, realm);
  const json = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

// RFC 9110 §11.2 quoted-string: a backslash before `"` and `\`; anything outside printable ASCII is replaced.
function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&')}"`;
}

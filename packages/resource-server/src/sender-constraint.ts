import type { IncomingMessage } from 'node:http';
import type { Challenge } from './errors.js';
import type { TokenAuth } from './token-auth.js';

/** What a sender-constraint check is given for each request whose token validated. */
export interface SenderConstraintInput {
  /** The `node:http` request (Express's `req`, Fastify's `request.raw`): headers, method, URL, socket (TLS certificate). */
  request: IncomingMessage;
  /** The validated record; `auth.cnf` is the token's confirmation claim, if any. */
  auth: TokenAuth;
  /** The Authorization scheme the token came under, lower-cased (`bearer`, or one of `schemes`, e.g. `dpop`). */
  scheme: string;
  /** base64url(SHA-256(access token)): what a DPoP proof's `ath` must equal (RFC 9449 §4.2). The token itself is not handed out. */
  accessTokenHash: string;
}

/**
 * A check of sender-constrained tokens (DPoP, RFC 9449; mTLS, RFC 8705) that runs after the token
 * validated and before the scope check. To refuse, `verify` throws `senderConstraintError(...)` with
 * its own challenge (e.g. `WWW-Authenticate: DPoP error="invalid_dpop_proof"`). Without a check,
 * tokens carrying `cnf` are refused: their binding could not be verified.
 */
export interface SenderConstraintCheck {
  /** Authorization schemes accepted besides `Bearer` (DPoP: `['DPoP']`); also accepted as introspection `token_type`. */
  schemes?: readonly string[];
  /** Challenges added to the 401 of a request without credentials (DPoP: `{ scheme: 'DPoP', params: { algs: 'ES256' } }`). */
  challenges?: readonly Challenge[];
  verify(input: SenderConstraintInput): void | Promise<void>;
}

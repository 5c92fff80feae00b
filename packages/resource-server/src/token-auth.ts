import type { AccessTokenInfo } from '@tokenstore/core';

/** The validated token's record, as the route handler finds it on the request (never the token itself). */
export interface TokenAuth {
  /** How it was validated: by the local TokenService, or by RFC 7662 introspection. */
  source: 'local' | 'introspection';
  /** The client the token was issued to. */
  clientId: string;
  /** The user, or the client itself for an application (client credentials) token. */
  subject: string;
  /** The end user's name, for user tokens only. */
  username: string | undefined;
  scopes: readonly string[];
  /** Milliseconds since the epoch; `null` when unknown. */
  issuedAt: number | null;
  /** Milliseconds since the epoch; `null` for a token that never expires (or an introspection answer without `exp`). */
  expiresAt: number | null;
  /** The confirmation claim (RFC 7800; `jkt` for DPoP, `x5t#S256` for mTLS) when the token is sender-constrained. */
  cnf: Readonly<Record<string, unknown>> | undefined;
  /** Local mode: the TokenService's record. */
  info?: AccessTokenInfo;
  /** Remote mode: every member of the introspection answer (aud, iss, extensions, …). */
  introspection?: Readonly<Record<string, unknown>>;
}

import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { constantTimeEqual, MisconfigurationError, type TokenService } from '@tokenstore/core';
import type { AuthenticateUser, TokenStoreModelOptions } from '@tokenstore/oauth2-server';
import type { ClientCertificateOptions, DpopOptions } from '@tokenstore/resource-server';
import { DEFAULT_LOGIN_RATE_LIMIT, type LoginRateLimit } from './endpoints/login-guard.js';
import { type ResolvedSenderConstraints, resolveSenderConstraints } from './sender-constraints.js';

/** DPoP at `/token` (RFC 9449): proof verification, plus optional server nonces. */
export interface DpopServerOptions extends DpopOptions {
  /**
   * Require server-provided nonces (RFC 9449 §8): a proof without the current nonce is answered 400
   * `use_dpop_nonce` with a `DPoP-Nonce` header, which every `/token` answer carries. The nonce changes
   * every `rotateSeconds` (default 300); the previous one is still accepted. Default: off.
   */
  nonce?: boolean | { rotateSeconds?: number };
}

/** Options of {@link startTokenServer} and {@link createTokenRequestHandler}. */
export interface TokenServerOptions {
  /** The tokenstore service, over any store (from `@tokenstore/core`). The server never closes it. */
  service: TokenService;
  /** username → password, for the development login page and the password grant. Default: no users. */
  users?: Record<string, string>;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 = any free port. Default 8080. */
  port?: number;
  /**
   * Adapter options (`@tokenstore/oauth2-server`) besides the service: scope policy, default grants,
   * refresh tokens per grant. Reuse, rotation grace and validities are TokenService options.
   * `authenticateUser`, when given, replaces `users` for both the login page and the password grant.
   */
  model?: Omit<TokenStoreModelOptions, 'service'>;
  /** Receives one line per request: method, path, status, duration, OAuth2 error code. Never a value. */
  log?: (line: string) => void;
  /**
   * Failed logins of the development login page per IP address (the socket's peer: no proxy header
   * is trusted) before it refuses that address with 429 until the window ends. Default 5 per 900 s.
   */
  loginRateLimit?: Partial<LoginRateLimit>;
  /**
   * The issuer of the authorization server metadata (RFC 8414) at
   * `/.well-known/oauth-authorization-server` (plus the issuer's path, if it has one): the public
   * base URL of this server, `http(s)://…` without query or fragment; the endpoints are named
   * relative to it. Default for `startTokenServer`: the URL it listens on; without one,
   * `createTokenRequestHandler` serves no metadata (it cannot know its public URL).
   */
  issuer?: string;
  /**
   * DPoP-bound tokens (RFC 9449) at `/token`: a request with a valid `DPoP` proof gets `token_type:
   * DPoP` tokens bound to the proof's key (`cnf.jkt`); a public client's refresh token too. On by
   * default (a request without a proof gets bearer tokens); `false` ignores `DPoP` headers.
   */
  dpop?: boolean | DpopServerOptions;
  /**
   * Certificate-bound tokens (RFC 8705 §3): a request over TLS with a client certificate (see `tls`),
   * or from a trusted proxy passing one in `certificateHeader`, gets tokens bound to it
   * (`cnf["x5t#S256"]`); a public client's refresh token too. On by default for TLS client
   * certificates; `false` binds nothing.
   */
  mtls?: boolean | ClientCertificateOptions;
  /**
   * `startTokenServer` only: serve HTTPS with these `node:https` options (`key`, `cert`, and for
   * mTLS `requestCert: true`, `rejectUnauthorized` and `ca` as your client PKI needs).
   */
  tls?: HttpsServerOptions;
}

/** A started server. */
export interface RunningTokenServer {
  /** `http://host:port`, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Stops listening and closes open connections (the service stays open: its owner closes it). */
  close(): Promise<void>;
}

/** {@link TokenServerOptions} with defaults applied. */
export interface ResolvedServerOptions {
  service: TokenService;
  host: string;
  port: number;
  model: Omit<TokenStoreModelOptions, 'service'>;
  authenticateUser: AuthenticateUser;
  log: ((line: string) => void) | undefined;
  loginRateLimit: LoginRateLimit;
  issuer: string | undefined;
  senderConstraints: ResolvedSenderConstraints;
  tls: HttpsServerOptions | undefined;
}

const KNOWN = ['service', 'users', 'host', 'port', 'model', 'log', 'loginRateLimit', 'issuer', 'dpop', 'mtls', 'tls'];

/** Applies defaults and validates every option, naming the option on failure. */
export function resolveServerOptions(options: TokenServerOptions): ResolvedServerOptions {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError('options', 'must be an object');
  const unknown = Object.keys(options).find((key) => !KNOWN.includes(key));
  if (unknown !== undefined) throw new MisconfigurationError(unknown, `is not an option; known: ${KNOWN.join(', ')}`);
  const service = options.service as Partial<TokenService> | undefined;
  if (!service || typeof service.issueAccessToken !== 'function' || typeof service.inspectRefreshToken !== 'function')
    throw new MisconfigurationError('service', 'must be a TokenService (new TokenService({ store }))');
  const users = options.users ?? {};
  if (users === null || typeof users !== 'object' || Array.isArray(users)) throw new MisconfigurationError('users', 'must be an object');
  for (const [name, password] of Object.entries(users)) {
    if (name.length === 0 || typeof password !== 'string' || password.length === 0)
      throw new MisconfigurationError('users', 'every entry must map a non-empty username to a non-empty password');
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) throw new MisconfigurationError('host', 'must be a non-empty string');
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new MisconfigurationError('port', 'must be a whole number from 0 to 65535');
  if (options.log !== undefined && typeof options.log !== 'function') throw new MisconfigurationError('log', 'must be a function');
  const model = options.model ?? {};
  if (model === null || typeof model !== 'object') throw new MisconfigurationError('model', 'must be an object');
  if ('service' in model) throw new MisconfigurationError('model.service', 'is given by the top-level service option');
  return {
    service: options.service,
    host,
    port,
    model,
    authenticateUser: model.authenticateUser ?? usersAuthenticator({ ...users }),
    log: options.log,
    loginRateLimit: resolveLoginRateLimit(options.loginRateLimit),
    issuer: options.issuer === undefined ? undefined : checkIssuer(options.issuer),
    senderConstraints: resolveSenderConstraints(options, service.clock ?? { now: Date.now }),
    tls: checkTls(options.tls),
  };
}

function checkTls(tls: HttpsServerOptions | undefined): HttpsServerOptions | undefined {
  if (tls === undefined) return undefined;
  if (tls === null || typeof tls !== 'object' || tls.cert === undefined || tls.key === undefined)
    throw new MisconfigurationError('tls', 'must be node:https server options with at least key and cert');
  return tls;
}

/** RFC 8414 §2: an `https` URL (here also `http`, for development) with no query and no fragment. */
export function checkIssuer(issuer: unknown): string {
  let url: URL;
  try {
    url = new URL(String(issuer));
  } catch {
    throw new MisconfigurationError('issuer', 'must be an absolute http(s) URL');
  }
  if (typeof issuer !== 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new MisconfigurationError('issuer', 'must be an absolute http(s) URL');
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#'))
    throw new MisconfigurationError('issuer', 'must have no query and no fragment (RFC 8414 §2)');
  return issuer;
}

function resolveLoginRateLimit(value: Partial<LoginRateLimit> | undefined): LoginRateLimit {
  if (value === undefined) return { ...DEFAULT_LOGIN_RATE_LIMIT };
  if (value === null || typeof value !== 'object') throw new MisconfigurationError('loginRateLimit', 'must be an object');
  const limit = { ...DEFAULT_LOGIN_RATE_LIMIT, ...value };
  if (!Number.isInteger(limit.maxFailures) || limit.maxFailures < 1)
    throw new MisconfigurationError('loginRateLimit.maxFailures', 'must be a whole number of at least 1');
  if (!Number.isInteger(limit.windowSeconds) || limit.windowSeconds < 1)
    throw new MisconfigurationError('loginRateLimit.windowSeconds', 'must be a whole number of seconds, at least 1');
  return limit;
}

/** Checks a password against `users` in constant time (an unknown user costs the same comparison). */
export function usersAuthenticator(users: Record<string, string>): AuthenticateUser {
  const known = new Map(Object.entries(users));
  return (username, password) => {
    const expected = known.get(username);
    const equal = constantTimeEqual(password, expected ?? '\u0000unknown-user');
    return expected !== undefined && equal ? username : null;
  };
}

import type OAuth2Server from '@node-oauth/oauth2-server';
import { MisconfigurationError, normalizeScopes, type TokenService, type UserType } from '@tokenstore/core';

/** The user objects the model hands to the framework (the framework treats users as opaque). */
export interface TokenStoreUser {
  /** The user id stored with the tokens; the consumer key for application (client-credentials) tokens. */
  id: string;
  /** `APPLICATION` for client-credentials tokens, `APPLICATION_USER` for end users. */
  type: UserType;
  [key: string]: unknown;
}

/**
 * Checks a resource owner's password (password grant). Resolve to the user id (or an object with an
 * `id`) when the credentials are right, or to a falsy value when they are not. Compare in constant
 * time; never log the password.
 */
export type AuthenticateUser = (
  username: string,
  password: string,
  client: OAuth2Server.Client,
) => Promise<string | { id: string } | null | undefined | false> | string | { id: string } | null | undefined | false;

/** Which scopes clients may ask for. */
export interface ScopePolicy {
  /**
   * Scopes every client may request, on top of each client's registered `allowedScopes`: a list
   * (`device_*` in it allows every `device_<id>`), or a function deciding per scope, client and user
   * (asked only for scopes the client's own list does not allow). Default: none — a scope neither
   * the client nor this option allows is `invalid_scope`.
   */
  allowed?: readonly string[] | ((scope: string, client: OAuth2Server.Client, user: OAuth2Server.User) => boolean);
  /**
   * Also accept any `device_<id>` scope for every client, whatever `allowed` says. `device_` scopes
   * are ordinary scopes to tokenstore's reuse policy, which is what gives each device its own token.
   * Default false: a client allows device scopes by listing `device_*` in its `allowedScopes`.
   */
  deviceScopes?: boolean;
  /** Granted when a request names no scope. Default: none. */
  defaults?: readonly string[];
}

/** Options of {@link TokenStoreModel}. */
export interface TokenStoreModelOptions {
  /**
   * The tokenstore service, over any store. Policy the framework cannot express lives here: token
   * reuse (`reuseTokens`), refresh rotation grace (`refresh.gracePeriodSeconds` / `maxReuseCount`),
   * default validities and protection at rest; per-client validities are part of each registered
   * client (`registerClient({ validity })`).
   */
  service: TokenService;
  /** Checks username and password for the password grant. Without it the password grant refuses every user. */
  authenticateUser?: AuthenticateUser;
  /** Which scopes may be requested. */
  scopes?: ScopePolicy;
  /**
   * Grant types of a client registered without `grantTypes` (a client registered with some gets
   * exactly those). Default: `client_credentials` only. The password grant must be asked for
   * explicitly, here or in the client's registration: RFC 9700 §2.4 says it must not be used (the
   * client sees the user's password, and it cannot carry multi-factor or federated login).
   */
  defaultGrants?: readonly string[];
  /**
   * Let a client redeem a code at the token endpoint with PKCE alone, without its secret (the
   * framework asks the model for the client without a secret when a `code_verifier` is sent).
   * Every tokenstore client has a secret, so the default (false) refuses such requests.
   */
  allowPublicClients?: boolean;
  /**
   * A client registered without redirect URIs may use a loopback redirect URI
   * (`http://127.0.0.1:<any port>/…`, `http://[::1]:…`, `http://localhost:…`; RFC 8252 §7.3).
   * Registered URIs always match exactly. Default false.
   */
  loopbackRedirectUris?: boolean;
  /** Issue a refresh token with the password grant. Default true. */
  refreshTokenOnPasswordGrant?: boolean;
  /** Issue a refresh token with the authorization-code grant. Default true. */
  refreshTokenOnCodeGrant?: boolean;
}

/** {@link TokenStoreModelOptions} with defaults applied. */
export interface ResolvedModelOptions {
  service: TokenService;
  authenticateUser: AuthenticateUser | undefined;
  allowedScopes: ScopePolicy['allowed'];
  deviceScopes: boolean;
  defaultScopes: string[];
  defaultGrants: string[];
  allowPublicClients: boolean;
  loopbackRedirectUris: boolean;
  refreshTokenOnPasswordGrant: boolean;
  refreshTokenOnCodeGrant: boolean;
}

/** The four grants the framework implements. */
export const SUPPORTED_GRANTS: readonly string[] = ['authorization_code', 'client_credentials', 'password', 'refresh_token'];

/** Grants of a client registered without any: the one that involves no user (so never `password`). */
export const DEFAULT_GRANTS: readonly string[] = ['client_credentials'];

const KNOWN_OPTIONS = [
  'service',
  'authenticateUser',
  'scopes',
  'defaultGrants',
  'allowPublicClients',
  'loopbackRedirectUris',
  'refreshTokenOnPasswordGrant',
  'refreshTokenOnCodeGrant',
];

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new MisconfigurationError(name, 'must be a boolean');
  return value;
}

/** Applies defaults and validates every option, naming the option on failure. */
export function resolveModelOptions(options: TokenStoreModelOptions): ResolvedModelOptions {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError('options', 'must be an object');
  const unknown = Object.keys(options).find((key) => !KNOWN_OPTIONS.includes(key));
  if (unknown !== undefined) throw new MisconfigurationError(unknown, `is not an option; known: ${KNOWN_OPTIONS.join(', ')}`);
  const service = options.service;
  if (!service || typeof service.issueAccessToken !== 'function' || typeof service.authenticateClient !== 'function')
    throw new MisconfigurationError('service', 'must be a TokenService (new TokenService({ store }))');
  if (options.authenticateUser !== undefined && typeof options.authenticateUser !== 'function')
    throw new MisconfigurationError('authenticateUser', 'must be a function (username, password, client) => user id or null');
  const scopes = options.scopes ?? {};
  if (typeof scopes !== 'object' || Array.isArray(scopes)) throw new MisconfigurationError('scopes', 'must be an object');
  const allowed = scopes.allowed;
  if (allowed !== undefined && typeof allowed !== 'function') {
    if (!Array.isArray(allowed)) throw new MisconfigurationError('scopes.allowed', 'must be a list of scopes or a function');
    wellFormedScopes('scopes.allowed', allowed);
  }
  const defaultScopes = wellFormedScopes('scopes.defaults', scopes.defaults ?? []);
  const defaultGrants = options.defaultGrants ?? DEFAULT_GRANTS;
  if (!Array.isArray(defaultGrants) || defaultGrants.some((grant) => typeof grant !== 'string' || grant.length === 0))
    throw new MisconfigurationError('defaultGrants', 'must be a list of grant type names');
  return {
    service,
    authenticateUser: options.authenticateUser,
    allowedScopes: allowed === undefined ? undefined : typeof allowed === 'function' ? allowed : [...allowed],
    deviceScopes: booleanOption('scopes.deviceScopes', scopes.deviceScopes, false),
    defaultScopes,
    defaultGrants: [...defaultGrants],
    allowPublicClients: booleanOption('allowPublicClients', options.allowPublicClients, false),
    loopbackRedirectUris: booleanOption('loopbackRedirectUris', options.loopbackRedirectUris, false),
    refreshTokenOnPasswordGrant: booleanOption('refreshTokenOnPasswordGrant', options.refreshTokenOnPasswordGrant, true),
    refreshTokenOnCodeGrant: booleanOption('refreshTokenOnCodeGrant', options.refreshTokenOnCodeGrant, true),
  };
}

function wellFormedScopes(name: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new MisconfigurationError(name, 'must be a list of scopes');
  try {
    return normalizeScopes(name, value);
  } catch (error) {
    throw new MisconfigurationError(name, 'must hold well-formed scopes (RFC 6749 §3.3)', { cause: error });
  }
}

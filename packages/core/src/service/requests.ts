import type { Confirmation } from '../confirmation.js';
import type { PkceMethod, TokenState, UserType, ValidityOverrides } from '../types.js';

/**
 * How a token request is sender-constrained: the key or certificate the new access token is bound to
 * (RFC 9449 DPoP, RFC 8705 mTLS), and whether its refresh token is bound too (public clients: their
 * refresh tokens have no client authentication to constrain them, RFC 9449 §5 and RFC 8705 §4).
 */
export interface SenderConstraint {
  /** The confirmation the tokens carry (`jkt` and/or `x5t#S256`). Absent: a bearer token. */
  confirmation?: Confirmation;
  /** Bind the refresh token issued with it as well. Default false. */
  bindRefreshToken?: boolean;
}

export interface IssueAccessTokenRequest extends SenderConstraint {
  consumerKey: string;
  /** The end user; omitted for application tokens (the user is then the application: the consumer key). */
  userId?: string;
  /** Default: `APPLICATION` when `userId` is omitted, `APPLICATION_USER` otherwise. */
  userType?: UserType;
  /** Array or space-separated string; order and duplicates do not matter. `device_*` scopes give per-device tokens. */
  scopes?: string[] | string;
  /** Seconds; negative = never expires. Default: the client's override, else the service default. */
  validitySeconds?: number;
  /** Default `client_credentials` for application tokens, `password` for user tokens. */
  grantType?: string;
  /** A caller-supplied access token value (e.g. a JWT), up to 8 KiB. Default: 256 random bits. */
  accessToken?: string;
  /** Issue a refresh token with the access token. Default false. */
  issueRefreshToken?: boolean;
  refreshTokenValiditySeconds?: number;
}

export interface IssuedTokens {
  accessToken: string;
  /** `DPoP` for a token bound to a DPoP key (`confirmation.jkt`, RFC 9449 §5), else `Bearer` (mTLS-bound tokens too, RFC 8705 §3). */
  tokenType: 'Bearer' | 'DPoP';
  /** Seconds until expiry from now; `null` when it never expires. */
  expiresIn: number | null;
  expiresAt: number | null;
  refreshToken?: string;
  refreshTokenExpiresAt?: number | null;
  scopes: string[];
  grantId: string;
  /** True when an existing ACTIVE token was returned under the reuse policy. */
  reused: boolean;
  /** The access token's confirmation claim, when it is sender-constrained. */
  confirmation?: Confirmation;
}

/** What validation returns: everything about the token but its value. */
export interface AccessTokenInfo {
  consumerKey: string;
  userId: string;
  userType: UserType;
  scopes: string[];
  grantId: string;
  grantType: string;
  issuedAt: number;
  expiresAt: number | null;
  /** The effective state: `EXPIRED` when past its expiry, whatever is stored. */
  state: TokenState;
  /** The confirmation claim (`cnf`) of a sender-constrained token; absent for a bearer token. */
  confirmation?: Confirmation;
}

export interface IssueAuthorizationCodeRequest {
  consumerKey: string;
  userId: string;
  redirectUri?: string;
  scopes?: string[] | string;
  codeChallenge?: string;
  codeChallengeMethod?: PkceMethod;
  nonce?: string;
  validitySeconds?: number;
  /** A caller-supplied code value. Default: 256 random bits. */
  code?: string;
}

export interface IssuedAuthorizationCode {
  code: string;
  expiresAt: number | null;
  grantId: string;
}

export interface AuthorizationCodeInfo {
  consumerKey: string;
  userId: string;
  scopes: string[];
  redirectUri: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: PkceMethod | null;
  nonce: string | null;
  grantId: string;
  issuedAt: number;
  expiresAt: number | null;
}

/** A code's record in any state, from {@link TokenService.inspectAuthorizationCode}. */
export interface AuthorizationCodeRecord extends AuthorizationCodeInfo {
  /** The effective state: `EXPIRED` when past its expiry; `INACTIVE` once consumed. */
  state: TokenState;
}

/** A refresh token's record in any state, from {@link TokenService.inspectRefreshToken}: everything but its value. */
export interface RefreshTokenInfo {
  consumerKey: string;
  userId: string;
  userType: UserType;
  /** The scopes of the grant (a refresh never narrows them). */
  scopes: string[];
  grantId: string;
  issuedAt: number;
  expiresAt: number | null;
  /** The effective state: `EXPIRED` when past its expiry; `INACTIVE` once rotated. */
  state: TokenState;
  /** When it was rotated; `null` while never rotated. */
  rotatedAt: number | null;
  /** The confirmation claim of a bound refresh token; absent when it is not bound. */
  confirmation?: Confirmation;
}

export interface RedeemAuthorizationCodeRequest extends SenderConstraint {
  code: string;
  consumerKey: string;
  /** Required when the code was issued with a redirect URI; must match exactly. */
  redirectUri?: string;
  /** Required when the code carries a PKCE challenge. */
  codeVerifier?: string;
  /** Default true. */
  issueRefreshToken?: boolean;
  validitySeconds?: number;
  /**
   * The caller has already checked the redirect URI and the PKCE verifier against this code's record
   * (from {@link TokenService.inspectAuthorizationCode}), as frameworks that verify them themselves do
   * (e.g. `@node-oauth/oauth2-server`); `redirectUri` and `codeVerifier` are then not needed. Everything
   * else still holds: the client must match, the code must be ACTIVE and unexpired, it is consumed
   * atomically, and a replay revokes its grant. Default false.
   */
  verifiedByCaller?: boolean;
}

export interface RefreshAccessTokenRequest {
  refreshToken: string;
  /**
   * What the refresh request proved (a DPoP proof's key, a TLS client certificate). A bound refresh
   * token is refused (`CONFIRMATION_MISMATCH`, nothing changes) unless this satisfies its binding;
   * the new access token is bound to it, and the new refresh token keeps the old one's binding.
   */
  confirmation?: Confirmation;
  /**
   * The client did not authenticate (a public client): only a sender-constrained refresh token is
   * accepted, its binding standing in for client authentication (RFC 9449 §5, RFC 8705 §4); an
   * unbound one is refused with `INVALID_CLIENT`. Default false.
   */
  publicClient?: boolean;
  consumerKey: string;
  /** A subset of the original scopes; default: the original scopes. */
  scopes?: string[] | string;
  validitySeconds?: number;
}

export interface RegisterClientRequest {
  /** Default: 128 random bits. */
  consumerKey?: string;
  /** Default: 256 random bits. A supplied secret must be at least 32 characters. */
  consumerSecret?: string;
  name?: string;
  grantTypes?: string[];
  redirectUris?: string[];
  /** The scopes the client may request; `device_*` allows every `device_<id>`. Default: none. */
  allowedScopes?: string[];
  /** May introspect other clients' tokens (RFC 7662 §4). Default false. */
  resourceServer?: boolean;
  validity?: ValidityOverrides;
}

export interface RegisteredClient {
  consumerKey: string;
  consumerSecret: string;
}

export interface ClientInfo {
  consumerKey: string;
  name: string | null;
  grantTypes: string[];
  redirectUris: string[];
  allowedScopes: string[];
  resourceServer: boolean;
  validity: ValidityOverrides;
  createdAt: number;
  updatedAt: number;
}

export interface UpdateClientRequest {
  name?: string | null;
  grantTypes?: string[];
  redirectUris?: string[];
  allowedScopes?: string[];
  resourceServer?: boolean;
  validity?: ValidityOverrides;
}

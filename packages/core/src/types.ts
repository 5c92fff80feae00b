import type { Confirmation } from './confirmation.js';

/** Lifecycle of every token and code. Only `ACTIVE` and unexpired is valid. */
export const TokenState = {
  Active: 'ACTIVE',
  /** Superseded: a rotated refresh token, a consumed authorization code. */
  Inactive: 'INACTIVE',
  Revoked: 'REVOKED',
  /** Marked expired when a reuse request found an expired ACTIVE token. Expiry itself never depends on this state. */
  Expired: 'EXPIRED',
} as const;
export type TokenState = (typeof TokenState)[keyof typeof TokenState];
export const TOKEN_STATES: readonly TokenState[] = Object.values(TokenState);

/**
 * Whose token it is (WSO2's USER_TYPE): an application token (client credentials; the user is the
 * application itself) or a user token (an end user through an application).
 */
export const UserType = {
  Application: 'APPLICATION',
  ApplicationUser: 'APPLICATION_USER',
} as const;
export type UserType = (typeof UserType)[keyof typeof UserType];

/** The kinds of row a store holds that expire and are purged. */
export const TokenKind = {
  AccessToken: 'accessToken',
  RefreshToken: 'refreshToken',
  AuthorizationCode: 'authorizationCode',
} as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];
export const TOKEN_KINDS: readonly TokenKind[] = Object.values(TokenKind);

/** Every kind of protected row, including clients (whose secret is protected). */
export type ProtectedKind = TokenKind | 'client';
export const PROTECTED_KINDS: readonly ProtectedKind[] = [...TOKEN_KINDS, 'client'];

export type PkceMethod = 'S256' | 'plain';

/**
 * Fields shared by every stored token row. Times are epoch milliseconds.
 *
 * `key` is the **lookup key** the service derived from the value (the value itself in `plain` mode,
 * an HMAC in `hash`/`encrypt` mode). `value` is what the service chose to keep of the value: the
 * plaintext in `plain` mode, a sealed (encrypted) value in `encrypt` mode, `null` in `hash` mode.
 * A store persists both opaquely and never derives anything from them.
 */
export interface StoredTokenBase {
  key: string;
  value: string | null;
  consumerKey: string;
  userId: string;
  userType: UserType;
  /** Normalised scope set: unique, sorted. */
  scopes: string[];
  /**
   * Identifier of the grant family: every token descending from one authorization code or one
   * first token request shares it. Random, not secret.
   */
  grantId: string;
  state: TokenState;
  issuedAt: number;
  /** `null` = never expires (a negative validity was requested). */
  expiresAt: number | null;
  /** When `state` last changed (equal to `issuedAt` at first). Drives the retention window. */
  stateChangedAt: number;
}

export interface StoredAccessToken extends StoredTokenBase {
  /**
   * Digest of (consumer key, user, user type, scope set) that reuse looks tokens up by. Not secret;
   * computed by the service. Present on every token, whether or not reuse is on.
   */
  reuseKey: string;
  /**
   * True when the token was issued under the reuse policy, i.e. the store must keep at most one
   * ACTIVE exclusive token per `reuseKey`.
   */
  exclusive: boolean;
  /** Grant type the token was issued by (`client_credentials`, `authorization_code`, `refresh_token`, `password`, …). */
  grantType: string;
  /**
   * The sender constraint (`cnf`) of a DPoP- or mTLS-bound token; absent for a bearer token. Set at
   * issue and never changed: a store keeps it through every state change, rotation and re-key.
   */
  confirmation?: Confirmation;
}

export interface StoredRefreshToken extends StoredTokenBase {
  /** When this token was rotated (state became INACTIVE by rotation); `null` while never rotated. */
  rotatedAt: number | null;
  /** How many times the token was presented again after rotation inside the grace window. */
  reuseCount: number;
  /** The sender constraint of a bound refresh token (a public client's: RFC 9449 §5, RFC 8705 §4); see {@link StoredAccessToken.confirmation}. */
  confirmation?: Confirmation;
}

export interface StoredAuthorizationCode extends StoredTokenBase {
  redirectUri: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: PkceMethod | null;
  nonce: string | null;
}

/** Per-client validity overrides in seconds; a negative value means "never expires". */
export interface ValidityOverrides {
  applicationAccessTokenValidity?: number;
  userAccessTokenValidity?: number;
  refreshTokenValidity?: number;
  authorizationCodeValidity?: number;
}

/** A registered client (consumer) as stored. */
export interface StoredClient {
  consumerKey: string;
  /** Lookup key / digest of the consumer secret (see {@link StoredTokenBase.key}). */
  secretKey: string;
  /** Plaintext (`plain`), sealed (`encrypt`) or `null` (`hash`). */
  secretValue: string | null;
  name: string | null;
  grantTypes: string[];
  redirectUris: string[];
  /**
   * The scopes this client may request (normalised: unique, sorted); `device_*` stands for every
   * `device_<id>` scope. Empty: none (scopes are denied unless allowed).
   */
  allowedScopes: string[];
  /** A resource server may introspect every client's tokens; any other client only its own. */
  resourceServer: boolean;
  validity: ValidityOverrides;
  createdAt: number;
  updatedAt: number;
}

export type StoredRow = StoredAccessToken | StoredRefreshToken | StoredAuthorizationCode;

export interface StoredRowByKind {
  accessToken: StoredAccessToken;
  refreshToken: StoredRefreshToken;
  authorizationCode: StoredAuthorizationCode;
}

import {
  type AccessTokenInfo,
  type Confirmation,
  type RefreshTokenInfo,
  type TokenService,
  TokenState,
  type UserType,
  unlessInvalidInput,
} from '@tokenstore/core';

/** A presented token as found in the store: its kind and what introspection and revocation need. */
export interface FoundToken {
  kind: 'access_token' | 'refresh_token';
  consumerKey: string;
  userId: string;
  userType: UserType;
  scopes: string[];
  issuedAt: number;
  expiresAt: number | null;
  active: boolean;
  /** The confirmation claim of a sender-constrained token. */
  confirmation: Confirmation | undefined;
}

/**
 * Looks a presented token up as an access token and as a refresh token, the hinted kind first
 * (RFC 7009 §2.1, RFC 7662 §2.1: a wrong hint only costs a second lookup). A malformed value is simply
 * not found.
 */
export async function findToken(service: TokenService, token: string, hint: string | undefined): Promise<FoundToken | null> {
  const order: Array<FoundToken['kind']> = hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
  for (const kind of order) {
    const found = await lookup(service, kind, token);
    if (found) return found;
  }
  return null;
}

async function lookup(service: TokenService, kind: FoundToken['kind'], token: string): Promise<FoundToken | null> {
  const inspect = kind === 'access_token' ? service.inspectAccessToken(token) : service.inspectRefreshToken(token);
  const info = await unlessInvalidInput<AccessTokenInfo | RefreshTokenInfo | null, null>(inspect, null);
  if (!info) return null;
  const { consumerKey, userId, userType, scopes, issuedAt, expiresAt, state, confirmation } = info;
  return { kind, consumerKey, userId, userType, scopes, issuedAt, expiresAt, active: state === TokenState.Active, confirmation };
}

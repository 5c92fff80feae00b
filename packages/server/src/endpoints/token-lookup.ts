import { ErrorCode, isTokenStoreError, type TokenService, TokenState, type UserType } from '@tokenstore/core';

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
  try {
    const info = kind === 'access_token' ? await service.inspectAccessToken(token) : await service.inspectRefreshToken(token);
    if (!info) return null;
    return {
      kind,
      consumerKey: info.consumerKey,
      userId: info.userId,
      userType: info.userType,
      scopes: info.scopes,
      issuedAt: info.issuedAt,
      expiresAt: info.expiresAt,
      active: info.state === TokenState.Active,
    };
  } catch (error) {
    if (isTokenStoreError(error, ErrorCode.InvalidInput)) return null;
    throw error;
  }
}

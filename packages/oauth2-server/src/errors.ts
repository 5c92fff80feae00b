import OAuth2Server from '@node-oauth/oauth2-server';
import { ErrorCode, isTokenStoreError } from '@tokenstore/core';

const { InvalidClientError, InvalidGrantError, InvalidRequestError, InvalidScopeError, OAuthError, ServerError } = OAuth2Server;

/** Descriptions for the grant failures; fixed text, so no value can reach a response. */
const GRANT_DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.NotFound]: 'Invalid grant: the token or code is invalid',
  [ErrorCode.Expired]: 'Invalid grant: the token or code has expired',
  [ErrorCode.Revoked]: 'Invalid grant: the token or code was revoked',
  [ErrorCode.Replay]: 'Invalid grant: the authorization code was already used; the tokens issued from it were revoked',
  [ErrorCode.ReuseDetected]: 'Invalid grant: the refresh token was already used; its grant was revoked',
  [ErrorCode.Conflict]: 'Invalid grant: a concurrent request used the same token or code',
  [ErrorCode.ConfirmationMismatch]: 'Invalid grant: the refresh token is bound to a key or certificate this request did not prove',
};

/** The core message without its `[tokenstore] [backend]` tag (core messages never hold values). */
function plainMessage(message: string): string {
  return message.replace(/^(\[[^\]]*\] )+/, '');
}

/**
 * Translates any error a model method meets into the framework's error classes:
 * `INVALID_INPUT` → `invalid_request` (`invalid_scope` for scopes), the grant failures (`NOT_FOUND`,
 * `EXPIRED`, `REVOKED`, `REPLAY`, `REUSE_DETECTED`, `CONFLICT`, `CONFIRMATION_MISMATCH`) → `invalid_grant`, `INVALID_CLIENT` →
 * `invalid_client`, `BACKEND_UNAVAILABLE` → `server_error` (503), anything else → `server_error` (500)
 * with a fixed description. Framework errors pass through unchanged.
 */
export function toOAuthError(error: unknown): InstanceType<typeof OAuthError> {
  if (error instanceof OAuthError) return error;
  if (isTokenStoreError(error)) {
    const grant = GRANT_DESCRIPTIONS[error.code];
    if (grant !== undefined) return new InvalidGrantError(grant, { tokenstoreCode: error.code });
    switch (error.code) {
      case ErrorCode.InvalidInput:
        return error.field === 'scopes'
          ? new InvalidScopeError(`Invalid scope: ${plainMessage(error.message)}`, { tokenstoreCode: error.code })
          : new InvalidRequestError(`Invalid request: ${plainMessage(error.message)}`, { tokenstoreCode: error.code });
      case ErrorCode.InvalidClient:
        return new InvalidClientError('Invalid client: client is invalid', { tokenstoreCode: error.code });
      case ErrorCode.BackendUnavailable:
        return new ServerError('Server error: the token store is unavailable', { code: 503, tokenstoreCode: error.code });
      default:
        return new ServerError('Server error', { code: 500, tokenstoreCode: error.code });
    }
  }
  return new ServerError('Server error', { code: 500 });
}

import { ErrorCode, isTokenStoreError, type TokenService, UserType, unlessInvalidInput } from '@tokenstore/core';
import { validationUnavailable } from '../errors.js';
import type { TokenValidator, ValidationResult } from './token-validator.js';

/**
 * Local validation: `TokenService.validateAccessToken` on the store the token service writes to (put
 * ReadCache in front for a hot path without a round trip; its TTL is then the staleness bound). A
 * malformed value is simply not found; a store that cannot be reached answers 503, not 401.
 */
export class LocalValidator implements TokenValidator {
  readonly #service: TokenService;

  constructor(service: TokenService) {
    this.#service = service;
  }

  async validate(token: string): Promise<ValidationResult> {
    let info: Awaited<ReturnType<TokenService['validateAccessToken']>>;
    try {
      info = await unlessInvalidInput(this.#service.validateAccessToken(token), null);
    } catch (error) {
      if (isTokenStoreError(error, ErrorCode.BackendUnavailable) || isTokenStoreError(error, ErrorCode.Closed))
        throw validationUnavailable('the token store is unavailable', error);
      throw error;
    }
    if (!info) return { auth: null, cache: 'local' };
    return {
      cache: 'local',
      auth: {
        source: 'local',
        clientId: info.consumerKey,
        subject: info.userId,
        username: info.userType === UserType.ApplicationUser ? info.userId : undefined,
        scopes: info.scopes,
        issuedAt: info.issuedAt,
        expiresAt: info.expiresAt,
        cnf: info.confirmation === undefined ? undefined : Object.freeze({ ...info.confirmation }),
        info,
      },
    };
  }
}

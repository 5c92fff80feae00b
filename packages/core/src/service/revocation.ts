import { ConflictError } from '../errors.js';
import type { RevocationCounts, RevocationFilter } from '../store.js';
import { TokenState, type UserType } from '../types.js';
import { requireObject, validateIdentifier, validateTokenValue, validateUserType } from '../validation.js';
import type { ServiceContext } from './context.js';
import type { StoredRows } from './stored-rows.js';

/**
 * Revocation passes before giving up. Each pass after the first exists only because an operation of
 * the set finished during the one before it, so two passes are the rule and more need a rotation
 * chain that keeps finishing faster than a pass runs.
 */
export const MAX_REVOCATION_PASSES = 16;

/** Revocation of one token, and of everything of a user, a client or a grant. */
export class Revocation {
  readonly #context: ServiceContext;
  readonly #rows: StoredRows;

  constructor(context: ServiceContext, rows: StoredRows) {
    this.#context = context;
    this.#rows = rows;
  }

  async revokeAccessToken(token: string): Promise<boolean> {
    const value = validateTokenValue('accessToken', token);
    const row = await this.#rows.find('accessToken', value);
    if (!row) return false;
    return this.#rows.changeState('accessToken', value, row, {
      from: TokenState.Active,
      to: TokenState.Revoked,
      at: this.#context.clock.now(),
    });
  }

  async revokeRefreshToken(token: string): Promise<boolean> {
    const value = validateTokenValue('refreshToken', token);
    const row = await this.#rows.find('refreshToken', value);
    if (!row) return false;
    const counts = await this.revokeUntilSettled({ grantId: row.grantId }, this.#context.clock.now());
    return totalRevoked(counts) > 0;
  }

  async revokeTokensOfUser(userId: string, options: { consumerKey?: string; userType?: UserType }): Promise<RevocationCounts> {
    const filter: RevocationFilter = { userId: validateIdentifier('userId', userId) };
    requireObject('options', options);
    if (options.consumerKey !== undefined) filter.consumerKey = validateIdentifier('consumerKey', options.consumerKey);
    if (options.userType !== undefined) filter.userType = validateUserType(options.userType);
    return this.revokeUntilSettled(filter, this.#context.clock.now());
  }

  async revokeTokensOfClient(consumerKey: string): Promise<RevocationCounts> {
    return this.revokeUntilSettled({ consumerKey: validateIdentifier('consumerKey', consumerKey) }, this.#context.clock.now());
  }

  async revokeGrant(grantId: string): Promise<RevocationCounts> {
    return this.revokeUntilSettled({ grantId: validateIdentifier('grantId', grantId) }, this.#context.clock.now());
  }

  /**
   * Revokes everything `filter` selects and returns once nothing of it can be ACTIVE: repeats store
   * passes until one changes nothing (the contract of {@link TokenStore.revokeTokens} says why that
   * suffices). A rotation or redemption that was in flight during a pass is either failed by it or
   * waited for, and then its successors are caught by the next pass.
   */
  async revokeUntilSettled(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    const counts: RevocationCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
    for (let pass = 0; pass < MAX_REVOCATION_PASSES; pass++) {
      const changed = await this.#context.store.revokeTokens(filter, at);
      counts.accessToken += changed.accessToken;
      counts.refreshToken += changed.refreshToken;
      counts.authorizationCode += changed.authorizationCode;
      if (totalRevoked(changed) === 0) return counts;
    }
    throw new ConflictError(
      `revocation did not settle after ${MAX_REVOCATION_PASSES} passes: tokens of the set kept being rotated; retry (everything revoked so far stays revoked)`,
    );
  }

  /** A replayed code or a reused refresh token: revokes its whole grant and reports it as a `security` event. */
  async revokeAttackedGrant(kind: 'code-replay' | 'refresh-reuse', consumerKey: string, grantId: string, now: number): Promise<void> {
    const revoked = await this.revokeUntilSettled({ grantId }, now);
    this.#context.events.emit('security', { kind, consumerKey, grantId, revoked });
  }
}

function totalRevoked(counts: RevocationCounts): number {
  return counts.accessToken + counts.refreshToken + counts.authorizationCode;
}

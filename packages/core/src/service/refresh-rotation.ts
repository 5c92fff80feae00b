import { confirmationSatisfied, validateConfirmation } from '../confirmation.js';
import { ConflictError, ErrorCode, InvalidInputError, NotFoundError, TokenStoreError } from '../errors.js';
import { isExpired } from '../store.js';
import { TokenState } from '../types.js';
import { normalizeScopes, requireObject, validateIdentifier, validateTokenValue, validateValidity } from '../validation.js';
import type { Clients } from './clients.js';
import type { ServiceContext } from './context.js';
import type { Issuance } from './issuance.js';
import { toRefreshTokenInfo } from './records.js';
import type { IssuedTokens, RefreshAccessTokenRequest, RefreshTokenInfo } from './requests.js';
import type { Revocation } from './revocation.js';
import type { StoredRows } from './stored-rows.js';
import { computeReuseKey, generateTokenValue } from './token-values.js';

/** Refresh tokens: atomic rotation with reuse detection (and its grace window), and inspection. */
export class RefreshRotation {
  readonly #context: ServiceContext;
  readonly #rows: StoredRows;
  readonly #clients: Clients;
  readonly #issuance: Issuance;
  readonly #revocation: Revocation;

  constructor(context: ServiceContext, rows: StoredRows, clients: Clients, issuance: Issuance, revocation: Revocation) {
    this.#context = context;
    this.#rows = rows;
    this.#clients = clients;
    this.#issuance = issuance;
    this.#revocation = revocation;
  }

  async refreshAccessToken(request: RefreshAccessTokenRequest): Promise<IssuedTokens> {
    const { store, clock, options } = this.#context;
    const issuance = this.#issuance;
    const req = requireObject('request', request);
    const value = validateTokenValue('refreshToken', req.refreshToken);
    const consumerKey = validateIdentifier('consumerKey', req.consumerKey);
    const requested = req.scopes === undefined ? null : normalizeScopes('scopes', req.scopes);
    const validity = validateValidity('validitySeconds', req.validitySeconds);
    const presented = validateConfirmation('confirmation', req.confirmation);
    if (req.publicClient !== undefined && typeof req.publicClient !== 'boolean')
      throw new InvalidInputError('publicClient', 'must be a boolean');
    const row = await this.#rows.find('refreshToken', value);
    if (!row || row.consumerKey !== consumerKey) throw new NotFoundError('refresh token');
    if (req.publicClient === true && row.confirmation === undefined)
      throw new TokenStoreError(ErrorCode.InvalidClient, 'an unauthenticated client may only use a sender-constrained refresh token');
    const now = clock.now();
    if (row.state === TokenState.Revoked || row.state === TokenState.Expired)
      throw new TokenStoreError(ErrorCode.Revoked, 'refresh token was revoked');
    // A rotated token presented again is reuse even after it expired: it is retained for exactly that.
    const rotated = row.state === TokenState.Inactive;
    if (isExpired(row, now) && !rotated) throw new TokenStoreError(ErrorCode.Expired, 'refresh token has expired');
    // Before reuse detection: whoever cannot prove the bound key cannot revoke the grant either.
    if (!confirmationSatisfied(row.confirmation, presented))
      throw new TokenStoreError(
        ErrorCode.ConfirmationMismatch,
        'refresh token is sender-constrained and the request did not prove possession of its key or certificate',
        { field: 'confirmation' },
      );
    if (requested !== null && !requested.every((s) => row.scopes.includes(s)))
      throw new InvalidInputError('scopes', 'must be a subset of the scopes originally granted');
    if (rotated) {
      const { gracePeriodSeconds, maxReuseCount } = options.refresh;
      const inGrace =
        !isExpired(row, now) &&
        row.rotatedAt !== null &&
        now - row.rotatedAt <= gracePeriodSeconds * 1000 &&
        row.reuseCount < maxReuseCount;
      if (!inGrace) {
        await this.#revocation.revokeAttackedGrant('refresh-reuse', row.consumerKey, row.grantId, now);
        throw new TokenStoreError(ErrorCode.ReuseDetected, 'refresh token was already rotated; its grant was revoked');
      }
    }
    const client = await this.#clients.clientToIssueFor(consumerKey);
    const scopes = requested ?? row.scopes;
    const accessValue = generateTokenValue();
    const refreshValue = generateTokenValue();
    const access = issuance.newAccessRow({
      consumerKey,
      userId: row.userId,
      userType: row.userType,
      scopes,
      reuseKey: computeReuseKey(consumerKey, row.userId, row.userType, scopes, presented),
      grantType: 'refresh_token',
      value: accessValue,
      grantId: row.grantId,
      now,
      validity: validity ?? issuance.accessValidity(client?.validity, row.userType),
      exclusive: false,
      // What this request proved (for a bound refresh token: at least its binding).
      confirmation: presented,
    });
    const refresh = issuance.newRefreshRow(
      refreshValue,
      access,
      now,
      client?.validity.refreshTokenValidity ?? options.validity.refreshToken,
      row.confirmation, // a bound refresh token's successor keeps the binding; an unbound one stays unbound
    );
    refresh.scopes = row.scopes; // the family keeps its original grant; a narrower access token does not narrow it
    const won = await store.rotateRefreshToken({
      key: row.key,
      expected: { state: row.state === TokenState.Active ? 'ACTIVE' : 'INACTIVE', reuseCount: row.reuseCount },
      at: now,
      successor: { refreshToken: refresh, accessToken: access },
    });
    if (!won) throw new ConflictError('refresh token was rotated by a concurrent request');
    return issuance.issuedTokens(accessValue, access, now, { value: refreshValue, row: refresh });
  }

  async inspectRefreshToken(token: string): Promise<RefreshTokenInfo | null> {
    const value = validateTokenValue('refreshToken', token);
    const row = await this.#rows.find('refreshToken', value);
    return row ? toRefreshTokenInfo(row, this.#context.clock.now()) : null;
  }
}

import { type Confirmation, copyConfirmation, validateConfirmation } from '../confirmation.js';
import { InvalidInputError } from '../errors.js';
import { type StoredAccessToken, type StoredRefreshToken, TokenState, UserType, type ValidityOverrides } from '../types.js';
import type { ServiceContext } from './context.js';
import type { IssuedTokens } from './requests.js';
import { generateTokenValue } from './token-values.js';

/** What a new access token row is made of, besides what the service adds (protection, state, times). */
export interface AccessRowInput {
  consumerKey: string;
  userId: string;
  userType: UserType;
  scopes: string[];
  reuseKey: string;
  grantType: string;
  value: string;
  grantId: string;
  now: number;
  validity: number;
  exclusive: boolean;
  /** The sender constraint of a bound token. */
  confirmation?: Confirmation;
}

/** A request's sender constraint, validated: the confirmation (if any) and whether the refresh token is bound too. */
export interface CheckedSenderConstraint {
  confirmation: Confirmation | undefined;
  bindRefreshToken: boolean;
}

/** Validates the `confirmation` and `bindRefreshToken` fields of a token request. */
export function checkSenderConstraint(request: { confirmation?: unknown; bindRefreshToken?: unknown }): CheckedSenderConstraint {
  const confirmation = validateConfirmation('confirmation', request.confirmation);
  if (request.bindRefreshToken !== undefined && typeof request.bindRefreshToken !== 'boolean')
    throw new InvalidInputError('bindRefreshToken', 'must be a boolean');
  return { confirmation, bindRefreshToken: request.bindRefreshToken === true };
}

/** A refresh token written beside an access token: its plaintext value (handed out once) and its row. */
export interface IssuedRefreshToken {
  value: string;
  row: StoredRefreshToken;
}

/** The expiry of a row issued at `now`; `null` (never) for a negative validity. */
export function expiryFrom(now: number, validitySeconds: number): number | null {
  return validitySeconds < 0 ? null : now + validitySeconds * 1000;
}

/**
 * What every flow that hands out tokens shares — a token request, a code redemption, a refresh
 * rotation: the validity that applies, the new rows, and the response that carries them.
 */
export class Issuance {
  readonly #context: ServiceContext;

  constructor(context: ServiceContext) {
    this.#context = context;
  }

  /** The access token validity for `userType`: the client's override, else the service default. */
  accessValidity(overrides: ValidityOverrides | undefined, userType: UserType): number {
    const defaults = this.#context.options.validity;
    return userType === UserType.Application
      ? (overrides?.applicationAccessTokenValidity ?? defaults.applicationAccessToken)
      : (overrides?.userAccessTokenValidity ?? defaults.userAccessToken);
  }

  newAccessRow(input: AccessRowInput): StoredAccessToken {
    const row: StoredAccessToken = {
      ...this.#context.protector.protect(input.value),
      consumerKey: input.consumerKey,
      userId: input.userId,
      userType: input.userType,
      scopes: input.scopes,
      grantId: input.grantId,
      state: TokenState.Active,
      issuedAt: input.now,
      expiresAt: expiryFrom(input.now, input.validity),
      stateChangedAt: input.now,
      reuseKey: input.reuseKey,
      exclusive: input.exclusive,
      grantType: input.grantType,
    };
    if (input.confirmation !== undefined) row.confirmation = input.confirmation;
    return row;
  }

  /** A refresh token of the grant of `access`, for the same client, user and scopes; bound to `confirmation` when given. */
  newRefreshRow(
    value: string,
    access: StoredAccessToken,
    now: number,
    validity: number,
    confirmation: Confirmation | undefined,
  ): StoredRefreshToken {
    const row: StoredRefreshToken = {
      ...this.#context.protector.protect(value),
      consumerKey: access.consumerKey,
      userId: access.userId,
      userType: access.userType,
      scopes: access.scopes,
      grantId: access.grantId,
      state: TokenState.Active,
      issuedAt: now,
      expiresAt: expiryFrom(now, validity),
      stateChangedAt: now,
      rotatedAt: null,
      reuseCount: 0,
    };
    if (confirmation !== undefined) row.confirmation = confirmation;
    return row;
  }

  /**
   * Writes a refresh token beside `access` when one is `wanted`; its validity is `validity`, else the
   * client's, else the default. With `bind`, it carries the access token's confirmation too.
   */
  async insertRefreshTokenIfWanted(
    wanted: boolean | undefined,
    access: StoredAccessToken,
    validity: number | undefined,
    overrides: ValidityOverrides | undefined,
    bind = false,
  ): Promise<IssuedRefreshToken | undefined> {
    if (!wanted) return undefined;
    const value = generateTokenValue();
    const row = this.newRefreshRow(
      value,
      access,
      access.issuedAt,
      validity ?? overrides?.refreshTokenValidity ?? this.#context.options.validity.refreshToken,
      bind ? access.confirmation : undefined,
    );
    await this.#context.store.insert('refreshToken', row);
    return { value, row };
  }

  issuedTokens(value: string, row: StoredAccessToken, now: number, refresh: IssuedRefreshToken | undefined): IssuedTokens {
    const result: IssuedTokens = {
      accessToken: value,
      tokenType: row.confirmation?.jkt === undefined ? 'Bearer' : 'DPoP',
      expiresIn: row.expiresAt === null ? null : Math.max(0, Math.floor((row.expiresAt - now) / 1000)),
      expiresAt: row.expiresAt,
      // A copy: an in-memory store may hold this very row, and a caller must not be able to widen it.
      scopes: [...row.scopes],
      grantId: row.grantId,
      reused: false,
    };
    if (row.confirmation !== undefined) result.confirmation = copyConfirmation(row.confirmation);
    if (refresh) {
      result.refreshToken = refresh.value;
      result.refreshTokenExpiresAt = refresh.row.expiresAt;
    }
    return result;
  }

  /** The response for an existing ACTIVE token handed back by reuse (its value recovered from the row). */
  reusedTokens(row: StoredAccessToken, now: number): IssuedTokens {
    return { ...this.issuedTokens(this.#context.protector.reveal(row), row, now, undefined), reused: true };
  }
}

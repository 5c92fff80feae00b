import { ErrorCode, InvalidInputError, NotFoundError, TokenStoreError } from '../errors.js';
import { effectiveState, isExpired } from '../store.js';
import { type StoredAuthorizationCode, TokenState, UserType } from '../types.js';
import {
  normalizeScopes,
  optionalBoolean,
  requireObject,
  validateIdentifier,
  validateOptionalIdentifier,
  validateRedirectUri,
  validateTokenValue,
  validateValidity,
} from '../validation.js';
import type { Clients } from './clients.js';
import type { ServiceContext } from './context.js';
import { checkSenderConstraint, expiryFrom, type Issuance } from './issuance.js';
import { toAuthorizationCodeInfo } from './records.js';
import type {
  AuthorizationCodeInfo,
  AuthorizationCodeRecord,
  IssueAuthorizationCodeRequest,
  IssuedAuthorizationCode,
  IssuedTokens,
  RedeemAuthorizationCodeRequest,
} from './requests.js';
import type { Revocation } from './revocation.js';
import type { StoredRows } from './stored-rows.js';
import { computeReuseKey, constantTimeEqual, generateGrantId, generateTokenValue, PKCE_VERIFIER, pkceChallenge } from './token-values.js';

/** A code presentation: everything of a redemption but what the tokens it yields look like. */
export type AuthorizationCodePresentation = Omit<RedeemAuthorizationCodeRequest, 'issueRefreshToken' | 'validitySeconds'>;

/** Authorization codes: issue, inspect, and single use (consume or redeem), with replay detection and PKCE. */
export class AuthorizationCodes {
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

  async issueAuthorizationCode(request: IssueAuthorizationCodeRequest): Promise<IssuedAuthorizationCode> {
    const req = requireObject('request', request);
    const consumerKey = validateIdentifier('consumerKey', req.consumerKey);
    const userId = validateIdentifier('userId', req.userId);
    const scopes = normalizeScopes('scopes', req.scopes);
    const redirectUri = req.redirectUri === undefined ? null : validateRedirectUri('redirectUri', req.redirectUri);
    const validity = validateValidity('validitySeconds', req.validitySeconds);
    const nonce = validateOptionalIdentifier('nonce', req.nonce);
    const value = req.code === undefined ? generateTokenValue() : validateTokenValue('code', req.code);
    let codeChallenge: string | null = null;
    let codeChallengeMethod: 'S256' | 'plain' | null = null;
    if (req.codeChallenge !== undefined) {
      codeChallengeMethod = req.codeChallengeMethod ?? 'plain';
      if (codeChallengeMethod !== 'S256' && codeChallengeMethod !== 'plain')
        throw new InvalidInputError('codeChallengeMethod', 'must be "S256" or "plain"');
      if (typeof req.codeChallenge !== 'string' || !PKCE_VERIFIER.test(req.codeChallenge))
        throw new InvalidInputError('codeChallenge', 'must be 43..128 characters of [A-Za-z0-9-._~]');
      codeChallenge = req.codeChallenge;
    } else if (req.codeChallengeMethod !== undefined) {
      throw new InvalidInputError('codeChallenge', 'is required when codeChallengeMethod is given');
    }
    const client = await this.#clients.clientToIssueFor(consumerKey);
    if (redirectUri !== null && client && client.redirectUris.length > 0 && !client.redirectUris.includes(redirectUri))
      throw new InvalidInputError('redirectUri', 'is not registered for this client');
    const now = this.#context.clock.now();
    const codeValidity = validity ?? client?.validity.authorizationCodeValidity ?? this.#context.options.validity.authorizationCode;
    const grantId = generateGrantId();
    const row: StoredAuthorizationCode = {
      ...this.#context.protector.protect(value),
      consumerKey,
      userId,
      userType: UserType.ApplicationUser,
      scopes,
      grantId,
      state: TokenState.Active,
      issuedAt: now,
      expiresAt: expiryFrom(now, codeValidity),
      stateChangedAt: now,
      redirectUri,
      codeChallenge,
      codeChallengeMethod,
      nonce,
    };
    await this.#context.store.insert('authorizationCode', row);
    return { code: value, expiresAt: row.expiresAt, grantId };
  }

  async inspectAuthorizationCode(code: string): Promise<AuthorizationCodeRecord | null> {
    const value = validateTokenValue('code', code);
    const row = await this.#rows.find('authorizationCode', value);
    if (!row) return null;
    return { ...toAuthorizationCodeInfo(row), state: effectiveState(row, this.#context.clock.now()) };
  }

  async consumeAuthorizationCode(request: AuthorizationCodePresentation): Promise<AuthorizationCodeInfo> {
    const row = await this.#checkPresentation(request);
    await this.#consumeOnce(row, request.code);
    return toAuthorizationCodeInfo(row);
  }

  async redeemAuthorizationCode(request: RedeemAuthorizationCodeRequest): Promise<IssuedTokens> {
    const issuance = this.#issuance;
    const req = requireObject('request', request);
    const validity = validateValidity('validitySeconds', req.validitySeconds);
    if (req.issueRefreshToken !== undefined && typeof req.issueRefreshToken !== 'boolean')
      throw new InvalidInputError('issueRefreshToken', 'must be a boolean');
    const { confirmation, bindRefreshToken } = checkSenderConstraint(req);
    const code = await this.#checkPresentation(req);
    const client = await this.#clients.clientToIssueFor(code.consumerKey);
    const now = this.#context.clock.now();
    const value = generateTokenValue();
    const row = issuance.newAccessRow({
      consumerKey: code.consumerKey,
      userId: code.userId,
      userType: UserType.ApplicationUser,
      scopes: code.scopes,
      reuseKey: computeReuseKey(code.consumerKey, code.userId, UserType.ApplicationUser, code.scopes, confirmation),
      grantType: 'authorization_code',
      value,
      grantId: code.grantId,
      now,
      validity: validity ?? issuance.accessValidity(client?.validity, UserType.ApplicationUser),
      exclusive: false,
      confirmation,
    });
    await this.#context.store.insert('accessToken', row);
    const refresh = await issuance.insertRefreshTokenIfWanted(
      req.issueRefreshToken ?? true,
      row,
      undefined,
      client?.validity,
      bindRefreshToken,
    );
    // Lost the race: our own tokens are part of the family the replay revokes.
    await this.#consumeOnce(code, req.code);
    return issuance.issuedTokens(value, row, now, refresh);
  }

  /** Every check of a code presentation short of consuming it; a code that was already used is a replay. */
  async #checkPresentation(request: AuthorizationCodePresentation): Promise<StoredAuthorizationCode> {
    const req = requireObject('request', request);
    const value = validateTokenValue('code', req.code);
    const consumerKey = validateIdentifier('consumerKey', req.consumerKey);
    const verifiedByCaller = optionalBoolean('verifiedByCaller', req.verifiedByCaller) ?? false;
    const redirectUri = req.redirectUri === undefined ? null : validateRedirectUri('redirectUri', req.redirectUri);
    if (req.codeVerifier !== undefined && (typeof req.codeVerifier !== 'string' || !PKCE_VERIFIER.test(req.codeVerifier)))
      throw new InvalidInputError('codeVerifier', 'must be 43..128 characters of [A-Za-z0-9-._~]');
    const row = await this.#rows.find('authorizationCode', value);
    if (!row || row.consumerKey !== consumerKey) throw new NotFoundError('authorization code');
    const now = this.#context.clock.now();
    if (row.state === TokenState.Inactive) await this.#revokeAsReplay(row, now);
    if (row.state !== TokenState.Active) throw new TokenStoreError(ErrorCode.Revoked, 'authorization code was revoked');
    if (isExpired(row, now)) throw new TokenStoreError(ErrorCode.Expired, 'authorization code has expired');
    if (verifiedByCaller) return row;
    if (row.redirectUri !== null && redirectUri !== row.redirectUri)
      throw new InvalidInputError('redirectUri', 'does not match the redirect URI the code was issued for');
    if (row.codeChallenge !== null) {
      if (req.codeVerifier === undefined)
        throw new InvalidInputError('codeVerifier', 'is required: the code was issued with a PKCE challenge');
      const method = row.codeChallengeMethod ?? 'plain';
      if (!constantTimeEqual(pkceChallenge(req.codeVerifier, method), row.codeChallenge))
        throw new InvalidInputError('codeVerifier', 'does not match the code challenge');
    } else if (req.codeVerifier !== undefined) {
      // PKCE downgrade (RFC 9700 §2.1.1): a verifier is only accepted for a code issued with a challenge.
      throw new InvalidInputError('codeVerifier', 'was given, but the code was issued without a PKCE challenge');
    }
    return row;
  }

  /** The atomic single use: ACTIVE → INACTIVE. The loser of a race is a replay. */
  async #consumeOnce(code: StoredAuthorizationCode, value: string): Promise<void> {
    const now = this.#context.clock.now();
    const won = await this.#rows.changeState('authorizationCode', value, code, {
      from: TokenState.Active,
      to: TokenState.Inactive,
      at: now,
    });
    if (!won) await this.#revokeAsReplay(code, now);
  }

  /** A second use of `code`: revokes its grant, then fails with `REPLAY`. */
  async #revokeAsReplay(code: StoredAuthorizationCode, now: number): Promise<never> {
    await this.#revocation.revokeAttackedGrant('code-replay', code.consumerKey, code.grantId, now);
    throw new TokenStoreError(ErrorCode.Replay, 'authorization code was already used; tokens issued from it were revoked');
  }
}

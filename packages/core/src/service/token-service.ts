import { type Clock, systemClock } from '../clock.js';
import { ConflictError, ErrorCode, InvalidInputError, MisconfigurationError, NotFoundError, TokenStoreError } from '../errors.js';
import { TokenStoreEventEmitter } from '../events.js';
import { PlainProtector } from '../protection/plain-protector.js';
import type { Protector } from '../protection/protector.js';
import { schemeOf } from '../protection/scheme-tag.js';
import { Purger } from '../purge/purger.js';
import {
  effectiveState,
  isExpired,
  nextClientUpdatedAt,
  type RevocationCounts,
  type RevocationFilter,
  type StateChange,
  type TokenStore,
} from '../store.js';
import {
  type StoredAccessToken,
  type StoredAuthorizationCode,
  type StoredClient,
  type StoredRefreshToken,
  type StoredRowByKind,
  type TokenKind,
  TokenState,
  UserType,
  type ValidityOverrides,
} from '../types.js';
import {
  normalizeScopes,
  optionalBoolean,
  requireObject,
  validateClientSecret,
  validateIdentifier,
  validateOptionalIdentifier,
  validateRedirectUri,
  validateStringList,
  validateTokenValue,
  validateUserType,
  validateValidity,
  validateValidityOverrides,
} from '../validation.js';
import { type ResolvedServiceOptions, resolveServiceOptions, type TokenServiceOptions } from './options.js';
import { toAccessTokenInfo, toAuthorizationCodeInfo, toClientInfo, toRefreshTokenInfo } from './records.js';
import type {
  AccessTokenInfo,
  AuthorizationCodeInfo,
  AuthorizationCodeRecord,
  ClientInfo,
  IssueAccessTokenRequest,
  IssueAuthorizationCodeRequest,
  IssuedAuthorizationCode,
  IssuedTokens,
  RedeemAuthorizationCodeRequest,
  RefreshAccessTokenRequest,
  RefreshTokenInfo,
  RegisterClientRequest,
  RegisteredClient,
  UpdateClientRequest,
} from './requests.js';
import {
  computeReuseKey,
  constantTimeEqual,
  generateConsumerKey,
  generateGrantId,
  generateTokenValue,
  PKCE_VERIFIER,
  pkceChallenge,
} from './token-values.js';

const REUSE_ATTEMPTS = 8;
/** How often a state change follows its row to a new lookup key (a rewrap moving it meanwhile). */
const REKEY_ATTEMPTS = 4;
/**
 * Revocation passes before giving up. Each pass after the first exists only because an operation of
 * the set finished during the one before it, so two passes are the rule and more need a rotation
 * chain that keeps finishing faster than a pass runs.
 */
export const MAX_REVOCATION_PASSES = 16;
/** Compare-and-set attempts of one client update before it gives up with a `ConflictError`. */
export const CLIENT_UPDATE_ATTEMPTS = 8;

function expiryFrom(now: number, validitySeconds: number): number | null {
  return validitySeconds < 0 ? null : now + validitySeconds * 1000;
}

/**
 * Token policy on top of any {@link TokenStore}, written once: generation, validity, reuse, codes,
 * rotation, revocation, clients, protection at rest and purge scheduling.
 */
export class TokenService {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly protector: Protector;
  readonly events: TokenStoreEventEmitter;
  readonly options: ResolvedServiceOptions;
  readonly purger: Purger;

  constructor(options: TokenServiceOptions) {
    if (options === null || typeof options !== 'object') throw new MisconfigurationError('options', 'must be an object');
    if (!options.store || typeof options.store.insert !== 'function')
      throw new MisconfigurationError('store', 'must be a TokenStore (e.g. new MemoryStore())');
    if (options.clock !== undefined && typeof options.clock?.now !== 'function')
      throw new MisconfigurationError('clock', 'must be a Clock (an object with a now() method returning epoch milliseconds)');
    if (options.protector !== undefined && !isProtector(options.protector))
      throw new MisconfigurationError('protector', 'must be a Protector (built with createProtector())');
    if (options.events !== undefined && (typeof options.events?.emit !== 'function' || typeof options.events.on !== 'function'))
      throw new MisconfigurationError('events', 'must be a TokenStoreEventEmitter');
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.protector = options.protector ?? new PlainProtector();
    this.events = options.events ?? new TokenStoreEventEmitter();
    this.options = resolveServiceOptions(options);
    if (this.options.reuseTokens && !this.protector.recoverable)
      throw new MisconfigurationError(
        'reuseTokens',
        this.protector.mode === 'hash'
          ? `token reuse cannot be combined with protection mode "${this.protector.mode}": the store keeps only a one-way digest, so it cannot hand an existing token back. Turn reuseTokens off (every request then gets a new token) or use "encrypt".`
          : `token reuse needs every stored token back, but this "${this.protector.mode}" protector cannot recover them all (a "hash" mode in its fallback chain keeps only a one-way digest, or an RSA key lacks its private key). Turn reuseTokens off, finish the migration first, or configure the private key.`,
      );
    // The store fixes row lifetimes from the service's retention (memory, Cassandra); handed over once.
    this.store.useRetention?.(this.options.retention);
    this.purger = new Purger({
      store: this.store,
      clock: this.clock,
      events: this.events,
      purge: this.options.purge,
      retention: this.options.retention,
    });
    if (this.options.purge.intervalSeconds > 0) this.purger.start();
  }

  // ---------------------------------------------------------------- access tokens

  /**
   * Issues an access token (and optionally a refresh token). With `reuseTokens` on, an ACTIVE unexpired
   * token for the same client, user, user type and scope set is returned instead (`reused: true`,
   * without a refresh token), and at most one such token exists whatever the concurrency.
   */
  async issueAccessToken(request: IssueAccessTokenRequest): Promise<IssuedTokens> {
    const req = requireObject('request', request);
    const consumerKey = validateIdentifier('consumerKey', req.consumerKey);
    const explicitUser = validateOptionalIdentifier('userId', req.userId);
    const userType = validateUserType(req.userType ?? (explicitUser === null ? UserType.Application : UserType.ApplicationUser));
    const userId = explicitUser ?? consumerKey;
    const scopes = normalizeScopes('scopes', req.scopes);
    const validity = validateValidity('validitySeconds', req.validitySeconds);
    const refreshValidity = validateValidity('refreshTokenValiditySeconds', req.refreshTokenValiditySeconds);
    const grantType = validateIdentifier(
      'grantType',
      req.grantType ?? (userType === UserType.Application ? 'client_credentials' : 'password'),
    );
    const suppliedValue = req.accessToken === undefined ? null : validateTokenValue('accessToken', req.accessToken);
    if (req.issueRefreshToken !== undefined && typeof req.issueRefreshToken !== 'boolean')
      throw new InvalidInputError('issueRefreshToken', 'must be a boolean');
    const client = await this.#requireClient(consumerKey);

    const accessValidity = validity ?? this.#accessValidity(client?.validity, userType);
    const reuseKey = computeReuseKey(consumerKey, userId, userType, scopes);
    const base = { consumerKey, userId, userType, scopes, reuseKey, grantType };

    if (this.options.reuseTokens) {
      for (let attempt = 0; attempt < REUSE_ATTEMPTS; attempt++) {
        const now = this.clock.now();
        const active = await this.store.findActiveAccessToken(reuseKey);
        if (active && !isExpired(active, now)) return this.#reusedResult(active, now);
        if (active) {
          // Expired but still ACTIVE (not purged yet): retire it so a fresh token can take the slot.
          await this.store.compareAndSetState('accessToken', active.key, {
            from: TokenState.Active,
            to: TokenState.Expired,
            at: now,
          });
          continue;
        }
        const value = suppliedValue ?? generateTokenValue();
        const grantId = generateGrantId();
        const row = this.#accessRow({ ...base, value, grantId, now, validity: accessValidity, exclusive: true });
        const result = await this.store.insert('accessToken', row);
        if (!result.inserted) {
          if (!isExpired(result.active, now)) return this.#reusedResult(result.active, now);
          continue;
        }
        return this.#issuedResult(value, row, now, await this.#maybeRefresh(req.issueRefreshToken, row, refreshValidity, client?.validity));
      }
      throw new ConflictError('could not settle on one active token for this client, user and scope set; retry');
    }

    const now = this.clock.now();
    const value = suppliedValue ?? generateTokenValue();
    const row = this.#accessRow({ ...base, value, grantId: generateGrantId(), now, validity: accessValidity, exclusive: false });
    await this.store.insert('accessToken', row);
    return this.#issuedResult(value, row, now, await this.#maybeRefresh(req.issueRefreshToken, row, refreshValidity, client?.validity));
  }

  /**
   * The token's record when it is ACTIVE and unexpired, else `null`. The hot path of a gateway:
   * one lookup by key, no decryption.
   */
  validateAccessToken(token: string): Promise<AccessTokenInfo | null> {
    try {
      const value = validateTokenValue('accessToken', token);
      // Hot path: a store that can answer synchronously (in memory) costs one resolved promise, not three hops.
      if (this.store.peek !== undefined) {
        const keys = this.protector.lookupKeys(value);
        if (keys.length === 1) {
          const row = this.store.peek('accessToken', keys[0] as string);
          if (row !== undefined) return Promise.resolve(this.#validInfo(row));
        }
      }
      return this.#lookup('accessToken', value).then((row) => this.#validInfo(row));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #validInfo(row: StoredAccessToken | null): AccessTokenInfo | null {
    if (!row || row.state !== TokenState.Active) return null;
    const now = this.clock.now();
    return isExpired(row, now) ? null : toAccessTokenInfo(row, now);
  }

  /** The token's record in any state (effective state `EXPIRED` when past expiry), or `null` if unknown. */
  async inspectAccessToken(token: string): Promise<AccessTokenInfo | null> {
    const value = validateTokenValue('accessToken', token);
    const row = await this.#lookup('accessToken', value);
    return row ? toAccessTokenInfo(row, this.clock.now()) : null;
  }

  // ---------------------------------------------------------------- authorization codes

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
    const client = await this.#requireClient(consumerKey);
    if (redirectUri !== null && client && client.redirectUris.length > 0 && !client.redirectUris.includes(redirectUri))
      throw new InvalidInputError('redirectUri', 'is not registered for this client');
    const now = this.clock.now();
    const codeValidity = validity ?? client?.validity.authorizationCodeValidity ?? this.options.validity.authorizationCode;
    const grantId = generateGrantId();
    const row: StoredAuthorizationCode = {
      ...this.protector.protect(value),
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
    await this.store.insert('authorizationCode', row);
    return { code: value, expiresAt: row.expiresAt, grantId };
  }

  /**
   * The code's record in any state (effective state `EXPIRED` when past expiry, `INACTIVE` once
   * consumed), or `null` if unknown. Reads only: it neither consumes the code nor reacts to a replay,
   * so a framework can look a code up before it verifies PKCE and the redirect URI itself.
   */
  async inspectAuthorizationCode(code: string): Promise<AuthorizationCodeRecord | null> {
    const value = validateTokenValue('code', code);
    const row = await this.#lookup('authorizationCode', value);
    if (!row) return null;
    return { ...toAuthorizationCodeInfo(row), state: effectiveState(row, this.clock.now()) };
  }

  /**
   * Consumes a code: exactly one of any number of concurrent callers succeeds. A second use is a
   * replay: it fails with `REPLAY` and revokes every token issued from the code. Checks the client,
   * the redirect URI and PKCE before consuming (the latter two not when `verifiedByCaller` is set).
   */
  async consumeAuthorizationCode(
    request: Omit<RedeemAuthorizationCodeRequest, 'issueRefreshToken' | 'validitySeconds'>,
  ): Promise<AuthorizationCodeInfo> {
    const row = await this.#checkAuthorizationCode(request);
    await this.#consume(row, request.code);
    return toAuthorizationCodeInfo(row);
  }

  /**
   * Redeems a code for the tokens of its grant (an access token, and a refresh token by default).
   * Exactly one of any number of concurrent redemptions returns tokens; every other one is a replay.
   * A replay at any moment — before, during or after the winner's redemption — leaves no token of the
   * grant valid (RFC 6749 §4.1.2), because the tokens are written *before* the code is consumed: a
   * replay can only be detected after the consume, so it always finds the winner's tokens to revoke.
   */
  async redeemAuthorizationCode(request: RedeemAuthorizationCodeRequest): Promise<IssuedTokens> {
    const req = requireObject('request', request);
    const validity = validateValidity('validitySeconds', req.validitySeconds);
    if (req.issueRefreshToken !== undefined && typeof req.issueRefreshToken !== 'boolean')
      throw new InvalidInputError('issueRefreshToken', 'must be a boolean');
    const code = await this.#checkAuthorizationCode(req);
    const client = await this.#requireClient(code.consumerKey);
    const now = this.clock.now();
    const value = generateTokenValue();
    const row = this.#accessRow({
      consumerKey: code.consumerKey,
      userId: code.userId,
      userType: UserType.ApplicationUser,
      scopes: code.scopes,
      reuseKey: computeReuseKey(code.consumerKey, code.userId, UserType.ApplicationUser, code.scopes),
      grantType: 'authorization_code',
      value,
      grantId: code.grantId,
      now,
      validity: validity ?? this.#accessValidity(client?.validity, UserType.ApplicationUser),
      exclusive: false,
    });
    await this.store.insert('accessToken', row);
    const refresh = await this.#maybeRefresh(req.issueRefreshToken ?? true, row, undefined, client?.validity);
    // Lost the race: our own tokens are part of the family the replay revokes.
    await this.#consume(code, req.code);
    return this.#issuedResult(value, row, now, refresh);
  }

  /** Every check of a code presentation short of consuming it; a code that was already used is a replay. */
  async #checkAuthorizationCode(
    request: Omit<RedeemAuthorizationCodeRequest, 'issueRefreshToken' | 'validitySeconds'>,
  ): Promise<StoredAuthorizationCode> {
    const req = requireObject('request', request);
    const value = validateTokenValue('code', req.code);
    const consumerKey = validateIdentifier('consumerKey', req.consumerKey);
    const verifiedByCaller = optionalBoolean('verifiedByCaller', req.verifiedByCaller) ?? false;
    const redirectUri = req.redirectUri === undefined ? null : validateRedirectUri('redirectUri', req.redirectUri);
    if (req.codeVerifier !== undefined && (typeof req.codeVerifier !== 'string' || !PKCE_VERIFIER.test(req.codeVerifier)))
      throw new InvalidInputError('codeVerifier', 'must be 43..128 characters of [A-Za-z0-9-._~]');
    const row = await this.#lookup('authorizationCode', value);
    if (!row || row.consumerKey !== consumerKey) throw new NotFoundError('authorization code');
    const now = this.clock.now();
    if (row.state === TokenState.Inactive) await this.#replay(row, now);
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
  async #consume(code: StoredAuthorizationCode, value: string): Promise<void> {
    const now = this.clock.now();
    const won = await this.#changeState('authorizationCode', value, code, { from: TokenState.Active, to: TokenState.Inactive, at: now });
    if (!won) await this.#replay(code, now);
  }

  /**
   * Compare-and-set of the state of the row of `value`, read as `row`. If the row moved to another
   * lookup key meanwhile (the rewrap job re-keys rows while the service runs), the change follows it:
   * a failed change means another caller changed the state, never that the key changed.
   */
  async #changeState<K extends TokenKind>(kind: K, value: string, row: StoredRowByKind[K], change: StateChange): Promise<boolean> {
    let key = row.key;
    for (let attempt = 0; attempt < REKEY_ATTEMPTS; attempt++) {
      if (await this.store.compareAndSetState(kind, key, change)) return true;
      const again = await this.#lookup(kind, value);
      if (!again || again.key === key || again.state !== change.from) return false;
      key = again.key;
    }
    return false;
  }

  async #replay(code: StoredAuthorizationCode, now: number): Promise<never> {
    await this.#revokeFamily('code-replay', code.consumerKey, code.grantId, now);
    throw new TokenStoreError(ErrorCode.Replay, 'authorization code was already used; tokens issued from it were revoked');
  }

  // ---------------------------------------------------------------- refresh tokens

  /**
   * Rotates a refresh token: the old one stops working as the new pair starts; exactly one of any
   * number of concurrent callers wins (the others get `CONFLICT`). Presenting a rotated token again
   * outside the grace window is reuse: the grant family is revoked and `REUSE_DETECTED` is thrown.
   */
  async refreshAccessToken(request: RefreshAccessTokenRequest): Promise<IssuedTokens> {
    const req = requireObject('request', request);
    const value = validateTokenValue('refreshToken', req.refreshToken);
    const consumerKey = validateIdentifier('consumerKey', req.consumerKey);
    const requested = req.scopes === undefined ? null : normalizeScopes('scopes', req.scopes);
    const validity = validateValidity('validitySeconds', req.validitySeconds);
    const row = await this.#lookup('refreshToken', value);
    if (!row || row.consumerKey !== consumerKey) throw new NotFoundError('refresh token');
    const now = this.clock.now();
    if (row.state === TokenState.Revoked || row.state === TokenState.Expired)
      throw new TokenStoreError(ErrorCode.Revoked, 'refresh token was revoked');
    // A rotated token presented again is reuse even after it expired: it is retained for exactly that.
    const rotated = row.state === TokenState.Inactive;
    if (isExpired(row, now) && !rotated) throw new TokenStoreError(ErrorCode.Expired, 'refresh token has expired');
    if (requested !== null && !requested.every((s) => row.scopes.includes(s)))
      throw new InvalidInputError('scopes', 'must be a subset of the scopes originally granted');
    if (rotated) {
      const { gracePeriodSeconds, maxReuseCount } = this.options.refresh;
      const inGrace =
        !isExpired(row, now) &&
        row.rotatedAt !== null &&
        now - row.rotatedAt <= gracePeriodSeconds * 1000 &&
        row.reuseCount < maxReuseCount;
      if (!inGrace) {
        await this.#revokeFamily('refresh-reuse', row.consumerKey, row.grantId, now);
        throw new TokenStoreError(ErrorCode.ReuseDetected, 'refresh token was already rotated; its grant was revoked');
      }
    }
    const client = await this.#requireClient(consumerKey);
    const scopes = requested ?? row.scopes;
    const accessValue = generateTokenValue();
    const refreshValue = generateTokenValue();
    const access = this.#accessRow({
      consumerKey,
      userId: row.userId,
      userType: row.userType,
      scopes,
      reuseKey: computeReuseKey(consumerKey, row.userId, row.userType, scopes),
      grantType: 'refresh_token',
      value: accessValue,
      grantId: row.grantId,
      now,
      validity: validity ?? this.#accessValidity(client?.validity, row.userType),
      exclusive: false,
    });
    const refresh = this.#refreshRow(
      refreshValue,
      access,
      now,
      client?.validity.refreshTokenValidity ?? this.options.validity.refreshToken,
    );
    refresh.scopes = row.scopes; // the family keeps its original grant; a narrower access token does not narrow it
    const won = await this.store.rotateRefreshToken({
      key: row.key,
      expected: { state: row.state === TokenState.Active ? 'ACTIVE' : 'INACTIVE', reuseCount: row.reuseCount },
      at: now,
      successor: { refreshToken: refresh, accessToken: access },
    });
    if (!won) throw new ConflictError('refresh token was rotated by a concurrent request');
    return this.#issuedResult(accessValue, access, now, { value: refreshValue, row: refresh });
  }

  /**
   * The refresh token's record in any state (effective state `EXPIRED` when past expiry, `INACTIVE`
   * once rotated), or `null` if unknown. Reads only: presenting a rotated token here is not reuse
   * (only {@link refreshAccessToken} decides that), so a framework can look a token up before it
   * asks for the rotation.
   */
  async inspectRefreshToken(token: string): Promise<RefreshTokenInfo | null> {
    const value = validateTokenValue('refreshToken', token);
    const row = await this.#lookup('refreshToken', value);
    return row ? toRefreshTokenInfo(row, this.clock.now()) : null;
  }

  // ---------------------------------------------------------------- revocation

  /** Revokes one access token. `true` if it was ACTIVE. */
  async revokeAccessToken(token: string): Promise<boolean> {
    const value = validateTokenValue('accessToken', token);
    const row = await this.#lookup('accessToken', value);
    if (!row) return false;
    return this.#changeState('accessToken', value, row, { from: TokenState.Active, to: TokenState.Revoked, at: this.clock.now() });
  }

  /**
   * Revokes a refresh token and, as RFC 7009 recommends, every token of its grant. `true` if anything
   * was revoked.
   */
  async revokeRefreshToken(token: string): Promise<boolean> {
    const value = validateTokenValue('refreshToken', token);
    const row = await this.#lookup('refreshToken', value);
    if (!row) return false;
    const counts = await this.#revoke({ grantId: row.grantId }, this.clock.now());
    return total(counts) > 0;
  }

  /** RFC 7009 revocation: tries the hinted kind first, then the other. */
  async revokeToken(token: string, hint?: 'access_token' | 'refresh_token'): Promise<boolean> {
    validateTokenValue('token', token);
    if (hint === 'refresh_token') return (await this.revokeRefreshToken(token)) || this.revokeAccessToken(token);
    return (await this.revokeAccessToken(token)) || this.revokeRefreshToken(token);
  }

  /** Revokes every token and code of a user (the user was deleted or locked). */
  async revokeTokensOfUser(userId: string, options: { consumerKey?: string; userType?: UserType } = {}): Promise<RevocationCounts> {
    const filter: RevocationFilter = { userId: validateIdentifier('userId', userId) };
    requireObject('options', options);
    if (options.consumerKey !== undefined) filter.consumerKey = validateIdentifier('consumerKey', options.consumerKey);
    if (options.userType !== undefined) filter.userType = validateUserType(options.userType);
    return this.#revoke(filter, this.clock.now());
  }

  /** Revokes every token and code of a client (deleted, or its secret regenerated). */
  async revokeTokensOfClient(consumerKey: string): Promise<RevocationCounts> {
    return this.#revoke({ consumerKey: validateIdentifier('consumerKey', consumerKey) }, this.clock.now());
  }

  /** Revokes a grant family: everything that descends from one authorization code or first token. */
  async revokeGrant(grantId: string): Promise<RevocationCounts> {
    return this.#revoke({ grantId: validateIdentifier('grantId', grantId) }, this.clock.now());
  }

  // ---------------------------------------------------------------- clients

  async registerClient(request: RegisterClientRequest = {}): Promise<RegisteredClient> {
    const req = requireObject('request', request);
    const consumerKey = req.consumerKey === undefined ? generateConsumerKey() : validateIdentifier('consumerKey', req.consumerKey);
    const secret = req.consumerSecret === undefined ? generateTokenValue() : validateClientSecret(req.consumerSecret);
    const now = this.clock.now();
    const protectedSecret = this.protector.protect(secret);
    const client: StoredClient = {
      consumerKey,
      secretKey: protectedSecret.key,
      secretValue: protectedSecret.value,
      name: req.name === undefined ? null : validateIdentifier('name', req.name),
      grantTypes: validateStringList('grantTypes', req.grantTypes, validateIdentifier),
      redirectUris: validateStringList('redirectUris', req.redirectUris, validateRedirectUri),
      allowedScopes: normalizeScopes('allowedScopes', req.allowedScopes ?? []),
      resourceServer: optionalBoolean('resourceServer', req.resourceServer) ?? false,
      validity: validateValidityOverrides(req.validity),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.createClient(client);
    return { consumerKey, consumerSecret: secret };
  }

  async getClient(consumerKey: string): Promise<ClientInfo | null> {
    const row = await this.store.getClient(validateIdentifier('consumerKey', consumerKey));
    return row ? toClientInfo(row) : null;
  }

  async updateClient(consumerKey: string, patch: UpdateClientRequest): Promise<ClientInfo> {
    const key = validateIdentifier('consumerKey', consumerKey);
    const req = requireObject('patch', patch);
    const next: Partial<StoredClient> = {};
    if (req.name !== undefined) next.name = req.name === null ? null : validateIdentifier('name', req.name);
    if (req.grantTypes !== undefined) next.grantTypes = validateStringList('grantTypes', req.grantTypes, validateIdentifier);
    if (req.redirectUris !== undefined) next.redirectUris = validateStringList('redirectUris', req.redirectUris, validateRedirectUri);
    if (req.allowedScopes !== undefined) next.allowedScopes = normalizeScopes('allowedScopes', req.allowedScopes);
    if (req.resourceServer !== undefined) next.resourceServer = optionalBoolean('resourceServer', req.resourceServer) ?? false;
    if (req.validity !== undefined) next.validity = validateValidityOverrides(req.validity);
    return toClientInfo(await this.#changeClient(key, next));
  }

  /** Deletes a client; by default revokes its tokens first. `false` if it did not exist. */
  async deleteClient(consumerKey: string, options: { revokeTokens?: boolean } = {}): Promise<boolean> {
    const key = validateIdentifier('consumerKey', consumerKey);
    const revoke = optionalBoolean('revokeTokens', requireObject('options', options).revokeTokens) ?? true;
    if (revoke) await this.#revoke({ consumerKey: key }, this.clock.now());
    return this.store.deleteClient(key);
  }

  /** Constant-time check of a consumer secret, in every protection mode. Unknown clients are `false`. */
  async verifyClientSecret(consumerKey: string, secret: string): Promise<boolean> {
    const key = validateIdentifier('consumerKey', consumerKey);
    if (typeof secret !== 'string' || secret.length === 0) throw new InvalidInputError('consumerSecret', 'must be a non-empty string');
    const row = await this.store.getClient(key);
    const candidates = this.protector.lookupKeys(secret);
    let match = false;
    // Compare against every candidate, found or not, so timing does not depend on which one matched.
    for (const [index, candidate] of candidates.entries()) {
      const equal = constantTimeEqual(candidate, row?.secretKey ?? '\u0000');
      if (equal && index > 0 && !match) this.events.emit('protection:fallback', { kind: 'client', index, scheme: schemeOf(candidate) });
      match = match || equal;
    }
    return row !== null && match;
  }

  /** Replaces a client's secret; optionally (`revokeTokens: true`) revokes all its tokens. Returns the new secret. */
  async regenerateClientSecret(consumerKey: string, options: { revokeTokens?: boolean; consumerSecret?: string } = {}): Promise<string> {
    const key = validateIdentifier('consumerKey', consumerKey);
    const revoke = optionalBoolean('revokeTokens', requireObject('options', options).revokeTokens) ?? false;
    const secret = options.consumerSecret === undefined ? generateTokenValue() : validateClientSecret(options.consumerSecret);
    const protectedSecret = this.protector.protect(secret);
    await this.#changeClient(key, { secretKey: protectedSecret.key, secretValue: protectedSecret.value });
    if (revoke) await this.#revoke({ consumerKey: key }, this.clock.now());
    return secret;
  }

  // ---------------------------------------------------------------- purge & lifecycle

  /** One purge run now (the background purger, when enabled, does the same on its interval). */
  purgeExpired() {
    return this.purger.runOnce();
  }

  /** Stops the purger (waiting for its batch in flight) and closes the store. */
  async close(): Promise<void> {
    await this.purger.stop();
    await this.store.close();
  }

  // ---------------------------------------------------------------- internals

  #lookup<K extends TokenKind>(kind: K, value: string): Promise<StoredRowByKind[K] | null> {
    const keys = this.protector.lookupKeys(value);
    // The hot path (no migration under way): one key, so hand back the store's own promise.
    if (keys.length === 1) return this.store.get(kind, keys[0] as string);
    return this.#lookupWithFallback(kind, value, keys);
  }

  async #lookupWithFallback<K extends TokenKind>(kind: K, value: string, keys: string[]): Promise<StoredRowByKind[K] | null> {
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      const row = await this.store.get(kind, key);
      if (row) {
        if (index === 0) return row;
        const moved = this.protector.rehashOnRead ? await this.#rehash(kind, row, value) : null;
        this.events.emit('protection:fallback', {
          kind,
          index,
          scheme: schemeOf(key),
          ...(this.protector.rehashOnRead ? { rehashed: moved !== null } : {}),
        });
        return moved ?? row;
      }
    }
    return null;
  }

  /**
   * `rehashOnRead`: moves a row found through a fallback key to the primary form while the plaintext
   * is in hand (the only way to move hash-only rows to a new pepper). Best effort: on failure the
   * read still succeeds through the old key, and the fallback event says `rehashed: false`.
   */
  async #rehash<K extends TokenKind>(kind: K, row: StoredRowByKind[K], value: string): Promise<StoredRowByKind[K] | null> {
    const moved: StoredRowByKind[K] = { ...row, ...this.protector.protect(value) };
    try {
      if (await this.store.replaceKey(kind, row.key, moved)) return moved;
      // Another reader moved it first (or it was purged): use the row under its primary key, if any.
      return await this.store.get(kind, moved.key);
    } catch {
      return null;
    }
  }

  /**
   * Applies `change` to the client as it is stored now, by compare-and-set: when another writer
   * changed the client between our read and our write, re-reads and re-applies, so its change is
   * kept and ours is never written over a newer row. `NotFoundError` once the client is gone.
   */
  async #changeClient(consumerKey: string, change: Partial<StoredClient>): Promise<StoredClient> {
    for (let attempt = 0; attempt < CLIENT_UPDATE_ATTEMPTS; attempt++) {
      const row = await this.store.getClient(consumerKey);
      if (!row) throw new NotFoundError('client');
      const updated: StoredClient = { ...row, ...change, updatedAt: nextClientUpdatedAt(row, this.clock.now()) };
      if (await this.store.updateClient(updated, row.updatedAt)) return updated;
    }
    throw new ConflictError('the client kept changing while it was being updated; try again');
  }

  async #requireClient(consumerKey: string): Promise<StoredClient | null> {
    const client = await this.store.getClient(consumerKey);
    if (!client && this.options.requireRegisteredClient)
      throw new TokenStoreError(ErrorCode.InvalidClient, 'unknown client (consumer key is not registered)', { field: 'consumerKey' });
    return client;
  }

  /**
   * Revokes everything `filter` selects and returns once nothing of it can be ACTIVE: repeats store
   * passes until one changes nothing (the contract of {@link TokenStore.revokeTokens} says why that
   * suffices). A rotation or redemption that was in flight during a pass is either failed by it or
   * waited for, and then its successors are caught by the next pass.
   */
  async #revoke(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    const counts: RevocationCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
    for (let pass = 0; pass < MAX_REVOCATION_PASSES; pass++) {
      const changed = await this.store.revokeTokens(filter, at);
      counts.accessToken += changed.accessToken;
      counts.refreshToken += changed.refreshToken;
      counts.authorizationCode += changed.authorizationCode;
      if (total(changed) === 0) return counts;
    }
    throw new ConflictError(
      `revocation did not settle after ${MAX_REVOCATION_PASSES} passes: tokens of the set kept being rotated; retry (everything revoked so far stays revoked)`,
    );
  }

  async #revokeFamily(kind: 'code-replay' | 'refresh-reuse', consumerKey: string, grantId: string, now: number): Promise<void> {
    const revoked = await this.#revoke({ grantId }, now);
    this.events.emit('security', { kind, consumerKey, grantId, revoked });
  }

  #accessValidity(overrides: ValidityOverrides | undefined, userType: UserType): number {
    return userType === UserType.Application
      ? (overrides?.applicationAccessTokenValidity ?? this.options.validity.applicationAccessToken)
      : (overrides?.userAccessTokenValidity ?? this.options.validity.userAccessToken);
  }

  #accessRow(input: {
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
  }): StoredAccessToken {
    return {
      ...this.protector.protect(input.value),
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
  }

  #refreshRow(value: string, access: StoredAccessToken, now: number, validity: number): StoredRefreshToken {
    return {
      ...this.protector.protect(value),
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
  }

  async #maybeRefresh(
    wanted: boolean | undefined,
    access: StoredAccessToken,
    validity: number | undefined,
    overrides: ValidityOverrides | undefined,
  ): Promise<{ value: string; row: StoredRefreshToken } | undefined> {
    if (!wanted) return undefined;
    const value = generateTokenValue();
    const row = this.#refreshRow(
      value,
      access,
      access.issuedAt,
      validity ?? overrides?.refreshTokenValidity ?? this.options.validity.refreshToken,
    );
    await this.store.insert('refreshToken', row);
    return { value, row };
  }

  #issuedResult(
    value: string,
    row: StoredAccessToken,
    now: number,
    refresh: { value: string; row: StoredRefreshToken } | undefined,
  ): IssuedTokens {
    const result: IssuedTokens = {
      accessToken: value,
      tokenType: 'Bearer',
      expiresIn: row.expiresAt === null ? null : Math.max(0, Math.floor((row.expiresAt - now) / 1000)),
      expiresAt: row.expiresAt,
      // A copy: an in-memory store may hold this very row, and a caller must not be able to widen it.
      scopes: [...row.scopes],
      grantId: row.grantId,
      reused: false,
    };
    if (refresh) {
      result.refreshToken = refresh.value;
      result.refreshTokenExpiresAt = refresh.row.expiresAt;
    }
    return result;
  }

  #reusedResult(row: StoredAccessToken, now: number): IssuedTokens {
    return { ...this.#issuedResult(this.protector.reveal(row), row, now, undefined), reused: true };
  }
}

function total(counts: RevocationCounts): number {
  return counts.accessToken + counts.refreshToken + counts.authorizationCode;
}

function isProtector(value: unknown): value is Protector {
  const p = value as Partial<Protector> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.protect === 'function' &&
    typeof p.lookupKeys === 'function' &&
    typeof p.reveal === 'function' &&
    typeof p.recoverable === 'boolean'
  );
}

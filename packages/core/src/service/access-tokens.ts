import { ConflictError, InvalidInputError } from '../errors.js';
import { isExpired } from '../store.js';
import { type StoredAccessToken, TokenState, UserType } from '../types.js';
import {
  normalizeScopes,
  requireObject,
  validateIdentifier,
  validateOptionalIdentifier,
  validateTokenValue,
  validateUserType,
  validateValidity,
} from '../validation.js';
import type { Clients } from './clients.js';
import type { ServiceContext } from './context.js';
import { checkSenderConstraint, type Issuance } from './issuance.js';
import { toAccessTokenInfo } from './records.js';
import type { AccessTokenInfo, IssueAccessTokenRequest, IssuedTokens } from './requests.js';
import type { StoredRows } from './stored-rows.js';
import { computeReuseKey, generateGrantId, generateTokenValue } from './token-values.js';

/** Rounds of find-or-insert a reusing token request runs before it gives up with a `ConflictError`. */
const REUSE_ATTEMPTS = 8;

/** Access tokens: issue (with reuse), validate (the hot path) and inspect. */
export class AccessTokens {
  readonly #context: ServiceContext;
  readonly #rows: StoredRows;
  readonly #clients: Clients;
  readonly #issuance: Issuance;

  constructor(context: ServiceContext, rows: StoredRows, clients: Clients, issuance: Issuance) {
    this.#context = context;
    this.#rows = rows;
    this.#clients = clients;
    this.#issuance = issuance;
  }

  async issueAccessToken(request: IssueAccessTokenRequest): Promise<IssuedTokens> {
    const { store, clock, options } = this.#context;
    const issuance = this.#issuance;
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
    const { confirmation, bindRefreshToken } = checkSenderConstraint(req);
    const client = await this.#clients.clientToIssueFor(consumerKey);

    const accessValidity = validity ?? issuance.accessValidity(client?.validity, userType);
    // A bound token has a reuse key of its own: reuse never hands it to a request proving another key.
    const reuseKey = computeReuseKey(consumerKey, userId, userType, scopes, confirmation);
    const base = { consumerKey, userId, userType, scopes, reuseKey, grantType, ...(confirmation ? { confirmation } : {}) };

    if (options.reuseTokens) {
      for (let attempt = 0; attempt < REUSE_ATTEMPTS; attempt++) {
        const now = clock.now();
        const active = await store.findActiveAccessToken(reuseKey);
        if (active && !isExpired(active, now)) return issuance.reusedTokens(active, now);
        if (active) {
          // Expired but still ACTIVE (not purged yet): retire it so a fresh token can take the slot.
          await store.compareAndSetState('accessToken', active.key, {
            from: TokenState.Active,
            to: TokenState.Expired,
            at: now,
          });
          continue;
        }
        const value = suppliedValue ?? generateTokenValue();
        const grantId = generateGrantId();
        const row = issuance.newAccessRow({ ...base, value, grantId, now, validity: accessValidity, exclusive: true });
        const result = await store.insert('accessToken', row);
        if (!result.inserted) {
          if (!isExpired(result.active, now)) return issuance.reusedTokens(result.active, now);
          continue;
        }
        return issuance.issuedTokens(
          value,
          row,
          now,
          await issuance.insertRefreshTokenIfWanted(req.issueRefreshToken, row, refreshValidity, client?.validity, bindRefreshToken),
        );
      }
      throw new ConflictError('could not settle on one active token for this client, user and scope set; retry');
    }

    const now = clock.now();
    const value = suppliedValue ?? generateTokenValue();
    const row = issuance.newAccessRow({ ...base, value, grantId: generateGrantId(), now, validity: accessValidity, exclusive: false });
    await store.insert('accessToken', row);
    return issuance.issuedTokens(
      value,
      row,
      now,
      await issuance.insertRefreshTokenIfWanted(req.issueRefreshToken, row, refreshValidity, client?.validity, bindRefreshToken),
    );
  }

  validateAccessToken(token: string): Promise<AccessTokenInfo | null> {
    try {
      const value = validateTokenValue('accessToken', token);
      const store = this.#context.store;
      // Hot path: a store that can answer synchronously (in memory) costs one resolved promise, not three hops.
      if (store.peek !== undefined) {
        const keys = this.#context.protector.lookupKeys(value);
        if (keys.length === 1) {
          const row = store.peek('accessToken', keys[0] as string);
          if (row !== undefined) return Promise.resolve(this.#infoIfValid(row));
        }
      }
      return this.#rows.find('accessToken', value).then((row) => this.#infoIfValid(row));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The record of an ACTIVE unexpired token; `null` for anything else. */
  #infoIfValid(row: StoredAccessToken | null): AccessTokenInfo | null {
    if (!row || row.state !== TokenState.Active) return null;
    const now = this.#context.clock.now();
    return isExpired(row, now) ? null : toAccessTokenInfo(row, now);
  }

  async inspectAccessToken(token: string): Promise<AccessTokenInfo | null> {
    const value = validateTokenValue('accessToken', token);
    const row = await this.#rows.find('accessToken', value);
    return row ? toAccessTokenInfo(row, this.#context.clock.now()) : null;
  }
}

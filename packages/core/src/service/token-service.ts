import { ArtifactService } from '../artifacts/artifact-service.js';
import { type Clock, systemClock } from '../clock.js';
import { MisconfigurationError } from '../errors.js';
import { TokenStoreEventEmitter } from '../events.js';
import { PlainProtector } from '../protection/plain-protector.js';
import type { Protector } from '../protection/protector.js';
import { Purger } from '../purge/purger.js';
import type { RevocationCounts, TokenStore } from '../store.js';
import type { UserType } from '../types.js';
import { validateTokenValue } from '../validation.js';
import { AccessTokens } from './access-tokens.js';
import { AuthorizationCodes } from './authorization-codes.js';
import { Clients } from './clients.js';
import type { ServiceContext } from './context.js';
import { Issuance } from './issuance.js';
import { type ResolvedServiceOptions, resolveServiceOptions, type TokenServiceOptions } from './options.js';
import { RefreshRotation } from './refresh-rotation.js';
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
import { Revocation } from './revocation.js';
import { StoredRows } from './stored-rows.js';

/**
 * Token policy on top of any {@link TokenStore}, written once: generation, validity, reuse, codes,
 * rotation, revocation, clients, protection at rest and purge scheduling.
 *
 * The public face of the service. Each flow is its own collaborator (`access-tokens.ts`,
 * `authorization-codes.ts`, `refresh-rotation.ts`, `revocation.ts`, `clients.ts`), all sharing one
 * {@link ServiceContext}; the service checks its options, wires the flows and runs the purger.
 */
export class TokenService {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly protector: Protector;
  readonly events: TokenStoreEventEmitter;
  readonly options: ResolvedServiceOptions;
  readonly purger: Purger;
  readonly #accessTokens: AccessTokens;
  readonly #authorizationCodes: AuthorizationCodes;
  readonly #refreshRotation: RefreshRotation;
  readonly #revocation: Revocation;
  readonly #clients: Clients;
  #artifacts: ArtifactService | undefined;

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

    const context: ServiceContext = {
      store: this.store,
      clock: this.clock,
      protector: this.protector,
      events: this.events,
      options: this.options,
    };
    const rows = new StoredRows(context);
    const issuance = new Issuance(context);
    this.#revocation = new Revocation(context, rows);
    this.#clients = new Clients(context, this.#revocation);
    this.#accessTokens = new AccessTokens(context, rows, this.#clients, issuance);
    this.#authorizationCodes = new AuthorizationCodes(context, rows, this.#clients, issuance, this.#revocation);
    this.#refreshRotation = new RefreshRotation(context, rows, this.#clients, issuance, this.#revocation);

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
  issueAccessToken(request: IssueAccessTokenRequest): Promise<IssuedTokens> {
    return this.#accessTokens.issueAccessToken(request);
  }

  /**
   * The token's record when it is ACTIVE and unexpired, else `null`. The hot path of a gateway:
   * one lookup by key, no decryption.
   */
  validateAccessToken(token: string): Promise<AccessTokenInfo | null> {
    return this.#accessTokens.validateAccessToken(token);
  }

  /** The token's record in any state (effective state `EXPIRED` when past expiry), or `null` if unknown. */
  inspectAccessToken(token: string): Promise<AccessTokenInfo | null> {
    return this.#accessTokens.inspectAccessToken(token);
  }

  // ---------------------------------------------------------------- authorization codes

  issueAuthorizationCode(request: IssueAuthorizationCodeRequest): Promise<IssuedAuthorizationCode> {
    return this.#authorizationCodes.issueAuthorizationCode(request);
  }

  /**
   * The code's record in any state (effective state `EXPIRED` when past expiry, `INACTIVE` once
   * consumed), or `null` if unknown. Reads only: it neither consumes the code nor reacts to a replay,
   * so a framework can look a code up before it verifies PKCE and the redirect URI itself.
   */
  inspectAuthorizationCode(code: string): Promise<AuthorizationCodeRecord | null> {
    return this.#authorizationCodes.inspectAuthorizationCode(code);
  }

  /**
   * Consumes a code: exactly one of any number of concurrent callers succeeds. A second use is a
   * replay: it fails with `REPLAY` and revokes every token issued from the code. Checks the client,
   * the redirect URI and PKCE before consuming (the latter two not when `verifiedByCaller` is set).
   */
  consumeAuthorizationCode(
    request: Omit<RedeemAuthorizationCodeRequest, 'issueRefreshToken' | 'validitySeconds'>,
  ): Promise<AuthorizationCodeInfo> {
    return this.#authorizationCodes.consumeAuthorizationCode(request);
  }

  /**
   * Redeems a code for the tokens of its grant (an access token, and a refresh token by default).
   * Exactly one of any number of concurrent redemptions returns tokens; every other one is a replay.
   * A replay at any moment — before, during or after the winner's redemption — leaves no token of the
   * grant valid (RFC 6749 §4.1.2), because the tokens are written *before* the code is consumed: a
   * replay can only be detected after the consume, so it always finds the winner's tokens to revoke.
   */
  redeemAuthorizationCode(request: RedeemAuthorizationCodeRequest): Promise<IssuedTokens> {
    return this.#authorizationCodes.redeemAuthorizationCode(request);
  }

  // ---------------------------------------------------------------- refresh tokens

  /**
   * Rotates a refresh token: the old one stops working as the new pair starts; exactly one of any
   * number of concurrent callers wins (the others get `CONFLICT`). Presenting a rotated token again
   * outside the grace window is reuse: the grant family is revoked and `REUSE_DETECTED` is thrown.
   */
  refreshAccessToken(request: RefreshAccessTokenRequest): Promise<IssuedTokens> {
    return this.#refreshRotation.refreshAccessToken(request);
  }

  /**
   * The refresh token's record in any state (effective state `EXPIRED` when past expiry, `INACTIVE`
   * once rotated), or `null` if unknown. Reads only: presenting a rotated token here is not reuse
   * (only {@link refreshAccessToken} decides that), so a framework can look a token up before it
   * asks for the rotation.
   */
  inspectRefreshToken(token: string): Promise<RefreshTokenInfo | null> {
    return this.#refreshRotation.inspectRefreshToken(token);
  }

  // ---------------------------------------------------------------- revocation

  /** Revokes one access token. `true` if it was ACTIVE. */
  revokeAccessToken(token: string): Promise<boolean> {
    return this.#revocation.revokeAccessToken(token);
  }

  /**
   * Revokes a refresh token and, as RFC 7009 recommends, every token of its grant. `true` if anything
   * was revoked.
   */
  revokeRefreshToken(token: string): Promise<boolean> {
    return this.#revocation.revokeRefreshToken(token);
  }

  /** RFC 7009 revocation: tries the hinted kind first, then the other. */
  async revokeToken(token: string, hint?: 'access_token' | 'refresh_token'): Promise<boolean> {
    validateTokenValue('token', token);
    // Through the service's own methods, so an instrumented service counts both attempts.
    if (hint === 'refresh_token') return (await this.revokeRefreshToken(token)) || this.revokeAccessToken(token);
    return (await this.revokeAccessToken(token)) || this.revokeRefreshToken(token);
  }

  /** Revokes every token and code of a user (the user was deleted or locked). */
  revokeTokensOfUser(userId: string, options: { consumerKey?: string; userType?: UserType } = {}): Promise<RevocationCounts> {
    return this.#revocation.revokeTokensOfUser(userId, options);
  }

  /** Revokes every token and code of a client (deleted, or its secret regenerated). */
  revokeTokensOfClient(consumerKey: string): Promise<RevocationCounts> {
    return this.#revocation.revokeTokensOfClient(consumerKey);
  }

  /** Revokes a grant family: everything that descends from one authorization code or first token. */
  revokeGrant(grantId: string): Promise<RevocationCounts> {
    return this.#revocation.revokeGrant(grantId);
  }

  // ---------------------------------------------------------------- clients

  registerClient(request: RegisterClientRequest = {}): Promise<RegisteredClient> {
    return this.#clients.registerClient(request);
  }

  getClient(consumerKey: string): Promise<ClientInfo | null> {
    return this.#clients.getClient(consumerKey);
  }

  updateClient(consumerKey: string, patch: UpdateClientRequest): Promise<ClientInfo> {
    return this.#clients.updateClient(consumerKey, patch);
  }

  /** Deletes a client; by default revokes its tokens first. `false` if it did not exist. */
  deleteClient(consumerKey: string, options: { revokeTokens?: boolean } = {}): Promise<boolean> {
    return this.#clients.deleteClient(consumerKey, options);
  }

  /** Constant-time check of a consumer secret, in every protection mode. Unknown clients are `false`. */
  verifyClientSecret(consumerKey: string, secret: string): Promise<boolean> {
    return this.#clients.verifyClientSecret(consumerKey, secret);
  }

  /**
   * The client when `secret` is its consumer secret (the same constant-time check as
   * {@link verifyClientSecret}), else `null` (unknown client or wrong secret): client authentication in
   * one store read, for a token or introspection endpoint.
   */
  authenticateClient(consumerKey: string, secret: string): Promise<ClientInfo | null> {
    return this.#clients.authenticateClient(consumerKey, secret);
  }

  /** Replaces a client's secret; optionally (`revokeTokens: true`) revokes all its tokens. Returns the new secret. */
  regenerateClientSecret(consumerKey: string, options: { revokeTokens?: boolean; consumerSecret?: string } = {}): Promise<string> {
    return this.#clients.regenerateClientSecret(consumerKey, options);
  }

  // ---------------------------------------------------------------- provider artifacts (issue 14)

  /**
   * Provider artifacts (oidc-provider's models) on this service's store, protector and clock, purged
   * by this service's purger. Throws `MISCONFIGURATION` when the store does not store artifacts.
   */
  get artifacts(): ArtifactService {
    this.#artifacts ??= new ArtifactService({ store: this.store, protector: this.protector, clock: this.clock });
    return this.#artifacts;
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

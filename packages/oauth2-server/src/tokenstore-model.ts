// One file past ~400 lines: it is the one model class the framework calls, and its methods share the
// per-request grant context (which user object belongs to which grant), so splitting it would only
// spread that context over several files.
import { AsyncLocalStorage } from 'node:async_hooks';
import type OAuth2Server from '@node-oauth/oauth2-server';
import {
  type ClientInfo,
  type IssuedTokens,
  isDeviceScope,
  isScopeAllowed,
  normalizeScopes,
  type SenderConstraint,
  type TokenService,
  TokenState,
  UserType,
  unlessInvalidInput,
} from '@tokenstore/core';
import { toOAuthError } from './errors.js';
import { type ResolvedModelOptions, resolveModelOptions, type TokenStoreModelOptions, type TokenStoreUser } from './options.js';
import { isAllowedRedirectUri } from './redirect-uris.js';

type Client = OAuth2Server.Client;

/** What a token request proved besides the framework's checks: see {@link TokenStoreModel.withSenderConstraint}. */
export interface TokenRequestConstraint {
  /** The DPoP key / TLS certificate thumbprints the request proved. */
  confirmation?: SenderConstraint['confirmation'];
  /** The client presented no secret (a public client, `allowPublicClients`). */
  publicClient?: boolean;
}
type User = OAuth2Server.User;

/**
 * What the model learnt about a user object earlier in the same token request. The framework hands
 * the very user object it got from `getUser`, `getUserFromClient`, `getAuthorizationCode` or
 * `getRefreshToken` back to `saveToken`, which is how `saveToken` knows which grant it finishes.
 */
type GrantContext =
  | { grant: 'client_credentials' }
  | { grant: 'password' }
  | { grant: 'authorization_code'; code: string; state: TokenState }
  | { grant: 'refresh_token'; refreshToken: string };

/** Date for "never expires" (a negative validity): the framework insists on a Date. */
const NEVER = new Date(8.64e15);

function toDate(epochMs: number | null): Date {
  return epochMs === null ? NEVER : new Date(epochMs);
}

/**
 * The model of `@node-oauth/oauth2-server` (v5) on a tokenstore {@link TokenService}, for every grant
 * the framework implements. All policy stays in the service: token values (the framework's generated
 * values are discarded; `saveToken` returns the values the service issued, and the framework answers
 * with those), validity, reuse, single-use codes with replay revocation, refresh rotation with reuse
 * detection, protection at rest.
 *
 * ```ts
 * const oauth = new OAuth2Server({ model: new TokenStoreModel({ service }) });
 * ```
 */
export class TokenStoreModel
  implements
    OAuth2Server.AuthorizationCodeModel,
    OAuth2Server.PasswordModel,
    OAuth2Server.RefreshTokenModel,
    OAuth2Server.ClientCredentialsModel
{
  readonly service: TokenService;
  readonly options: ResolvedModelOptions;
  readonly #contexts = new WeakMap<object, GrantContext>();
  /** The sender constraint of the token request in progress (see {@link withSenderConstraint}). */
  readonly #senderConstraint = new AsyncLocalStorage<TokenRequestConstraint>();

  constructor(options: TokenStoreModelOptions) {
    this.options = resolveModelOptions(options);
    this.service = this.options.service;
  }

  /**
   * Runs `work` (typically `oauth.token(request, response)`) with the tokens it issues bound to
   * `constraint.confirmation` (a DPoP key's or a TLS certificate's thumbprint, which the framework
   * knows nothing of): `saveToken` hands it to the service for every grant, and for the refresh grant
   * as what the request proved, so a bound refresh token is refused without it (`invalid_grant`).
   * For a `publicClient` (no secret presented) the refresh token is bound too, and refreshing
   * accepts only a bound refresh token (`invalid_client` otherwise).
   */
  withSenderConstraint<T>(constraint: TokenRequestConstraint, work: () => Promise<T>): Promise<T> {
    return this.#senderConstraint.run(constraint, work);
  }

  // ---------------------------------------------------------------- clients and users

  /**
   * The client, when `clientSecret` matches (constant time, through `TokenService.verifyClientSecret`).
   * The framework passes `null` at the authorization endpoint (no secret is involved there) and
   * `undefined` at the token endpoint when a PKCE request carries no secret: that is refused unless
   * `allowPublicClients` is on.
   */
  async getClient(clientId: string, clientSecret: string | null | undefined): Promise<Client | false> {
    return this.#translate(async () => {
      if (typeof clientId !== 'string' || clientId.length === 0) return false;
      let info: ClientInfo | null;
      if (typeof clientSecret === 'string' && clientSecret.length > 0) {
        // The secret check and the client in one store read.
        info = await this.#authenticate(clientId, clientSecret);
      } else if (clientSecret !== null && !this.options.allowPublicClients) {
        return false;
      } else {
        info = await this.#clientInfo(clientId);
      }
      if (!info) return false;
      return {
        id: info.consumerKey,
        name: info.name,
        grants: info.grantTypes.length > 0 ? info.grantTypes : [...this.options.defaultGrants],
        redirectUris: info.redirectUris,
        allowedScopes: info.allowedScopes,
        resourceServer: info.resourceServer,
      };
    });
  }

  #authenticate(clientId: string, secret: string): Promise<ClientInfo | null> {
    return unlessInvalidInput(this.service.authenticateClient(clientId, secret), null);
  }

  #clientInfo(clientId: string) {
    return unlessInvalidInput(this.service.getClient(clientId), null);
  }

  /** Client credentials: the user is the application itself. */
  async getUserFromClient(client: Client): Promise<TokenStoreUser> {
    return this.#remember({ id: client.id, type: UserType.Application }, { grant: 'client_credentials' });
  }

  /** Password grant: asks the `authenticateUser` option; without it every user is refused. */
  async getUser(username: string, password: string, client: Client): Promise<TokenStoreUser | false> {
    return this.#translate(async () => {
      const authenticate = this.options.authenticateUser;
      if (!authenticate) return false;
      const result = await authenticate(username, password, client);
      if (!result) return false;
      const id = typeof result === 'string' ? result : result.id;
      if (typeof id !== 'string' || id.length === 0) return false;
      return this.#remember({ id, type: UserType.ApplicationUser }, { grant: 'password' });
    });
  }

  // ---------------------------------------------------------------- tokens

  /**
   * Issues the tokens through the service and returns *its* values: the framework builds its response
   * from what this returns, so the values it generated itself are never stored. Which service call
   * runs depends on the grant that produced `user`: issue (client credentials, password, extension
   * grants), redeem the code (authorization code: tokens join the code's grant, so a replay revokes
   * them) or rotate (refresh token: reuse of a rotated token revokes the family).
   */
  async saveToken(token: OAuth2Server.Token, client: Client, user: User): Promise<OAuth2Server.Token> {
    return this.#translate(async () => {
      const context = this.#contexts.get(user);
      const scopes = token.scope ?? [];
      const constraint = this.#senderConstraint.getStore();
      const bound: SenderConstraint = constraint?.confirmation
        ? { confirmation: constraint.confirmation, bindRefreshToken: constraint.publicClient === true }
        : {};
      let issued: IssuedTokens;
      if (context?.grant === 'refresh_token') {
        issued = await this.service.refreshAccessToken({
          refreshToken: context.refreshToken,
          consumerKey: client.id,
          scopes,
          ...(bound.confirmation ? { confirmation: bound.confirmation } : {}),
          ...(constraint?.publicClient ? { publicClient: true } : {}),
        });
      } else if (context?.grant === 'authorization_code' || typeof token.authorizationCode === 'string') {
        issued = await this.service.redeemAuthorizationCode({
          code: context?.grant === 'authorization_code' ? context.code : (token.authorizationCode as string),
          consumerKey: client.id,
          verifiedByCaller: true,
          issueRefreshToken: this.options.refreshTokenOnCodeGrant,
          ...bound,
        });
      } else if (context?.grant === 'client_credentials') {
        issued = await this.service.issueAccessToken({ consumerKey: client.id, scopes, grantType: 'client_credentials', ...bound });
      } else {
        const application = (user as Partial<TokenStoreUser>).type === UserType.Application;
        issued = await this.service.issueAccessToken({
          consumerKey: client.id,
          ...(application ? {} : { userId: userIdOf(user) }),
          scopes,
          grantType: context?.grant ?? 'extension',
          issueRefreshToken: context?.grant === 'password' ? this.options.refreshTokenOnPasswordGrant : token.refreshToken !== undefined,
          ...bound,
        });
      }
      const saved: OAuth2Server.Token = {
        accessToken: issued.accessToken,
        client,
        user,
      };
      // Omitted for a token that never expires, so the response carries no expires_in.
      if (issued.expiresAt !== null) saved.accessTokenExpiresAt = new Date(issued.expiresAt);
      if (issued.refreshToken !== undefined) {
        saved.refreshToken = issued.refreshToken;
        if (issued.refreshTokenExpiresAt != null) saved.refreshTokenExpiresAt = new Date(issued.refreshTokenExpiresAt);
      }
      if (issued.scopes.length > 0) saved.scope = issued.scopes;
      return saved;
    });
  }

  /** An ACTIVE, unexpired access token (resource requests); `false` for anything else, malformed values included. */
  async getAccessToken(accessToken: string): Promise<OAuth2Server.Token | false> {
    return this.#translate(async () => {
      const info = await unlessInvalidInput(this.service.validateAccessToken(accessToken), null);
      if (!info) return false;
      return {
        accessToken,
        accessTokenExpiresAt: toDate(info.expiresAt),
        scope: info.scopes,
        client: { id: info.consumerKey, grants: [] },
        user: { id: info.userId, type: info.userType },
      };
    });
  }

  /** True when the token carries every scope in `scope`. */
  async verifyScope(token: OAuth2Server.Token, scope: string[] | string): Promise<boolean> {
    const required = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : (scope ?? []);
    const granted = token.scope ?? [];
    return required.every((s) => granted.includes(s));
  }

  /**
   * A refresh token that may still be presented: ACTIVE, and also INACTIVE (already rotated), because
   * only the rotation in `saveToken` (TokenService.refreshAccessToken) decides whether that is a reuse
   * inside the grace period or a reuse that revokes the whole grant. Revoked, expired and unknown
   * tokens are `false`.
   */
  async getRefreshToken(refreshToken: string): Promise<OAuth2Server.RefreshToken | false> {
    return this.#translate(async () => {
      const info = await this.service.inspectRefreshToken(refreshToken);
      if (!info || (info.state !== TokenState.Active && info.state !== TokenState.Inactive)) return false;
      const user = this.#remember({ id: info.userId, type: info.userType }, { grant: 'refresh_token', refreshToken });
      return {
        refreshToken,
        refreshTokenExpiresAt: toDate(info.expiresAt),
        scope: info.scopes,
        client: { id: info.consumerKey, grants: [] },
        user,
      };
    });
  }

  /**
   * In the refresh grant the framework calls this before `saveToken`; the rotation itself happens in
   * `saveToken` (atomically, old token retired as the new pair starts), so for a token this model has
   * just returned this only answers `true`. Called directly with another token object, it revokes the
   * refresh token and its grant (RFC 7009).
   */
  async revokeToken(token: OAuth2Server.RefreshToken | OAuth2Server.Token): Promise<boolean> {
    return this.#translate(async () => {
      const context = this.#contexts.get(token.user);
      if (context?.grant === 'refresh_token' && context.refreshToken === token.refreshToken) return true;
      if (typeof token.refreshToken !== 'string') return false;
      return unlessInvalidInput(this.service.revokeRefreshToken(token.refreshToken), false);
    });
  }

  // ---------------------------------------------------------------- authorization codes

  /** Stores the code through the service and returns the value the service generated (the framework redirects with it). */
  async saveAuthorizationCode(
    code: Pick<
      OAuth2Server.AuthorizationCode,
      'authorizationCode' | 'expiresAt' | 'redirectUri' | 'scope' | 'codeChallenge' | 'codeChallengeMethod'
    >,
    client: Client,
    user: User,
  ): Promise<OAuth2Server.AuthorizationCode> {
    return this.#translate(async () => {
      const method = code.codeChallengeMethod;
      if (method !== undefined && method !== 'S256' && method !== 'plain') throw toOAuthError(new Error('unsupported PKCE method'));
      const issued = await this.service.issueAuthorizationCode({
        consumerKey: client.id,
        userId: userIdOf(user),
        ...(code.redirectUri ? { redirectUri: code.redirectUri } : {}),
        scopes: code.scope ?? [],
        ...(code.codeChallenge ? { codeChallenge: code.codeChallenge, codeChallengeMethod: method ?? 'plain' } : {}),
      });
      const saved: OAuth2Server.AuthorizationCode = {
        authorizationCode: issued.code,
        expiresAt: toDate(issued.expiresAt),
        redirectUri: code.redirectUri,
        client,
        user,
      };
      if (code.scope !== undefined) saved.scope = code.scope;
      if (code.codeChallenge) {
        saved.codeChallenge = code.codeChallenge;
        saved.codeChallengeMethod = method ?? 'plain';
      }
      return saved;
    });
  }

  /**
   * An unused code, and also a used one: the framework checks the client before it calls
   * `revokeAuthorizationCode`, which then treats the second use as a replay (its grant is revoked).
   */
  async getAuthorizationCode(authorizationCode: string): Promise<OAuth2Server.AuthorizationCode | false> {
    return this.#translate(async () => {
      const record = await this.service.inspectAuthorizationCode(authorizationCode);
      if (!record || (record.state !== TokenState.Active && record.state !== TokenState.Inactive)) return false;
      const user = this.#remember(
        { id: record.userId, type: UserType.ApplicationUser },
        { grant: 'authorization_code', code: authorizationCode, state: record.state },
      );
      const code: OAuth2Server.AuthorizationCode = {
        authorizationCode,
        expiresAt: toDate(record.expiresAt),
        redirectUri: record.redirectUri ?? '',
        scope: record.scopes,
        client: { id: record.consumerKey, grants: [] },
        user,
      };
      if (record.codeChallenge !== null) {
        code.codeChallenge = record.codeChallenge;
        code.codeChallengeMethod = record.codeChallengeMethod ?? 'plain';
      }
      return code;
    });
  }

  /**
   * Single use. A code already used is a replay: the service revokes every token issued from it and
   * the request fails with `invalid_grant`. For an unused code the consumption is deferred to
   * `saveToken`, which writes the tokens first and then consumes the code atomically (exactly one
   * winner; a loser is a replay that also revokes the winner's tokens), so the framework's PKCE and
   * redirect-URI checks run in between. Called directly with another code object, it consumes the code.
   */
  async revokeAuthorizationCode(code: OAuth2Server.AuthorizationCode): Promise<boolean> {
    return this.#translate(async () => {
      const context = this.#contexts.get(code.user);
      if (context?.grant === 'authorization_code' && context.code === code.authorizationCode && context.state === TokenState.Active)
        return true;
      // A replay (context state INACTIVE) throws REPLAY after revoking the grant; a direct call consumes.
      await this.service.consumeAuthorizationCode({ code: code.authorizationCode, consumerKey: code.client.id, verifiedByCaller: true });
      return true;
    });
  }

  // ---------------------------------------------------------------- scopes and redirect URIs

  /**
   * The requested scopes (or `scopes.defaults` when none was requested) when every one is allowed;
   * `false` otherwise (the framework answers `invalid_scope`). Denied unless allowed: a scope must be
   * in the client's registered `allowedScopes` (where `device_*` allows every `device_<id>`), or in
   * the global `scopes.allowed` list or function, or be a `device_<id>` scope while
   * `scopes.deviceScopes` is on. With nothing configured no scope is granted.
   */
  async validateScope(user: User, client: Client, scope?: string[] | string): Promise<string[] | false> {
    const requested = scope === undefined || scope === null || scope.length === 0 ? this.options.defaultScopes : scope;
    let scopes: string[];
    try {
      scopes = normalizeScopes('scopes', requested);
    } catch {
      return false;
    }
    if (scopes.length === 0) return scopes;
    const own = await this.#allowedScopesOf(client);
    const allowed = this.options.allowedScopes;
    const ok = scopes.every((s) => {
      if (isScopeAllowed(s, own)) return true;
      if (this.options.deviceScopes && isDeviceScope(s)) return true;
      if (allowed === undefined) return false;
      return typeof allowed === 'function' ? allowed(s, client, user) === true : isScopeAllowed(s, allowed);
    });
    return ok ? scopes : false;
  }

  /** The client's registered allow-list: from the object `getClient` built, else from the service. */
  async #allowedScopesOf(client: Client): Promise<readonly string[]> {
    if (Array.isArray(client?.allowedScopes)) return client.allowedScopes as string[];
    if (typeof client?.id !== 'string') return [];
    const info = await this.#translate(() => this.#clientInfo(client.id));
    return info?.allowedScopes ?? [];
  }

  /**
   * Exact match against the client's registered redirect URIs; a client registered without any may
   * use a loopback URI when `loopbackRedirectUris` is on (RFC 8252 §7.3).
   */
  async validateRedirectUri(redirectUri: string, client: Client): Promise<boolean> {
    const registered = await this.#registeredRedirectUris(client);
    return isAllowedRedirectUri(redirectUri, registered, this.options.loopbackRedirectUris);
  }

  async #registeredRedirectUris(client: Client): Promise<string[]> {
    const info = await this.#translate(() => this.#clientInfo(client.id));
    return info?.redirectUris ?? [];
  }

  // ---------------------------------------------------------------- internals

  #remember(user: TokenStoreUser, context: GrantContext): TokenStoreUser {
    this.#contexts.set(user, context);
    return user;
  }

  async #translate<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toOAuthError(error);
    }
  }
}

/** The user id of a framework user object: its `id`, else its `username`. */
function userIdOf(user: User): string {
  const id = user?.id ?? user?.username;
  if (typeof id !== 'string' || id.length === 0) throw toOAuthError(new Error('user object without an id'));
  return id;
}

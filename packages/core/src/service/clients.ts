import { ConflictError, ErrorCode, InvalidInputError, NotFoundError, TokenStoreError } from '../errors.js';
import { schemeOf } from '../protection/scheme-tag.js';
import { nextClientUpdatedAt } from '../store.js';
import type { StoredClient } from '../types.js';
import {
  normalizeScopes,
  optionalBoolean,
  requireObject,
  validateClientSecret,
  validateIdentifier,
  validateRedirectUri,
  validateStringList,
  validateValidityOverrides,
} from '../validation.js';
import type { ServiceContext } from './context.js';
import { toClientInfo } from './records.js';
import type { ClientInfo, RegisterClientRequest, RegisteredClient, UpdateClientRequest } from './requests.js';
import type { Revocation } from './revocation.js';
import { constantTimeEqual, generateConsumerKey, generateTokenValue } from './token-values.js';

/** Compare-and-set attempts of one client update before it gives up with a `ConflictError`. */
export const CLIENT_UPDATE_ATTEMPTS = 8;

/** Registered clients: registration, updates by compare-and-set, deletion and their secrets. */
export class Clients {
  readonly #context: ServiceContext;
  readonly #revocation: Revocation;

  constructor(context: ServiceContext, revocation: Revocation) {
    this.#context = context;
    this.#revocation = revocation;
  }

  async registerClient(request: RegisterClientRequest): Promise<RegisteredClient> {
    const req = requireObject('request', request);
    const consumerKey = req.consumerKey === undefined ? generateConsumerKey() : validateIdentifier('consumerKey', req.consumerKey);
    const secret = req.consumerSecret === undefined ? generateTokenValue() : validateClientSecret(req.consumerSecret);
    const now = this.#context.clock.now();
    const protectedSecret = this.#context.protector.protect(secret);
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
    await this.#context.store.createClient(client);
    return { consumerKey, consumerSecret: secret };
  }

  async getClient(consumerKey: string): Promise<ClientInfo | null> {
    const row = await this.#context.store.getClient(validateIdentifier('consumerKey', consumerKey));
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
    return toClientInfo(await this.#applyChange(key, next));
  }

  async deleteClient(consumerKey: string, options: { revokeTokens?: boolean }): Promise<boolean> {
    const key = validateIdentifier('consumerKey', consumerKey);
    const revoke = optionalBoolean('revokeTokens', requireObject('options', options).revokeTokens) ?? true;
    if (revoke) await this.#revocation.revokeUntilSettled({ consumerKey: key }, this.#context.clock.now());
    return this.#context.store.deleteClient(key);
  }

  async verifyClientSecret(consumerKey: string, secret: string): Promise<boolean> {
    const { row, match } = await this.#checkSecret(consumerKey, secret);
    return row !== null && match;
  }

  /** {@link verifyClientSecret} and {@link getClient} in one store read: the client when the secret matches, else `null`. */
  async authenticateClient(consumerKey: string, secret: string): Promise<ClientInfo | null> {
    const { row, match } = await this.#checkSecret(consumerKey, secret);
    return row !== null && match ? toClientInfo(row) : null;
  }

  async #checkSecret(consumerKey: string, secret: string): Promise<{ row: StoredClient | null; match: boolean }> {
    const key = validateIdentifier('consumerKey', consumerKey);
    if (typeof secret !== 'string' || secret.length === 0) throw new InvalidInputError('consumerSecret', 'must be a non-empty string');
    const row = await this.#context.store.getClient(key);
    const candidates = this.#context.protector.lookupKeys(secret);
    let match = false;
    // Compare against every candidate, found or not, so timing does not depend on which one matched.
    for (const [index, candidate] of candidates.entries()) {
      const equal = constantTimeEqual(candidate, row?.secretKey ?? '\u0000');
      if (equal && index > 0 && !match)
        this.#context.events.emit('protection:fallback', { kind: 'client', index, scheme: schemeOf(candidate) });
      match = match || equal;
    }
    return { row, match };
  }

  async regenerateClientSecret(consumerKey: string, options: { revokeTokens?: boolean; consumerSecret?: string }): Promise<string> {
    const key = validateIdentifier('consumerKey', consumerKey);
    const revoke = optionalBoolean('revokeTokens', requireObject('options', options).revokeTokens) ?? false;
    const secret = options.consumerSecret === undefined ? generateTokenValue() : validateClientSecret(options.consumerSecret);
    const protectedSecret = this.#context.protector.protect(secret);
    await this.#applyChange(key, { secretKey: protectedSecret.key, secretValue: protectedSecret.value });
    if (revoke) await this.#revocation.revokeUntilSettled({ consumerKey: key }, this.#context.clock.now());
    return secret;
  }

  /**
   * The client a token or code is issued for. An unknown consumer key is an `INVALID_CLIENT` error
   * when registration is required, else `null` (the service defaults then apply).
   */
  async clientToIssueFor(consumerKey: string): Promise<StoredClient | null> {
    const client = await this.#context.store.getClient(consumerKey);
    if (!client && this.#context.options.requireRegisteredClient)
      throw new TokenStoreError(ErrorCode.InvalidClient, 'unknown client (consumer key is not registered)', { field: 'consumerKey' });
    return client;
  }

  /**
   * Applies `change` to the client as it is stored now, by compare-and-set: when another writer
   * changed the client between our read and our write, re-reads and re-applies, so its change is
   * kept and ours is never written over a newer row. `NotFoundError` once the client is gone.
   */
  async #applyChange(consumerKey: string, change: Partial<StoredClient>): Promise<StoredClient> {
    for (let attempt = 0; attempt < CLIENT_UPDATE_ATTEMPTS; attempt++) {
      const row = await this.#context.store.getClient(consumerKey);
      if (!row) throw new NotFoundError('client');
      const updated: StoredClient = { ...row, ...change, updatedAt: nextClientUpdatedAt(row, this.#context.clock.now()) };
      if (await this.#context.store.updateClient(updated, row.updatedAt)) return updated;
    }
    throw new ConflictError('the client kept changing while it was being updated; try again');
  }
}

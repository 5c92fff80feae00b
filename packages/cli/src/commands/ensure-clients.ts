import { ErrorCode, isTokenStoreError, type TokenService } from '@tokenstore/core';
import type { ClientConfig } from '../config.js';

/** What start-up did to one configured client. */
export type ClientOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Registers the configured clients, or brings existing ones in line with the configuration, so a
 * restart against a persistent store never fails: grants, redirect URIs, allowed scopes, the resource-server flag and name are updated when they
 * differ, and the secret is replaced (`regenerateClientSecret` with the configured value, tokens kept)
 * when it no longer verifies. Two nodes starting at once are fine: the loser of the registration race
 * updates instead.
 */
export async function ensureClients(service: TokenService, clients: readonly ClientConfig[]): Promise<Map<string, ClientOutcome>> {
  const outcomes = new Map<string, ClientOutcome>();
  for (const client of clients) outcomes.set(client.clientId, await ensureClient(service, client));
  return outcomes;
}

async function ensureClient(service: TokenService, client: ClientConfig): Promise<ClientOutcome> {
  let existing = await service.getClient(client.clientId);
  if (existing === null) {
    try {
      await service.registerClient({
        consumerKey: client.clientId,
        consumerSecret: client.clientSecret,
        grantTypes: client.grants,
        redirectUris: client.redirectUris,
        allowedScopes: client.scopes,
        resourceServer: client.resourceServer,
        ...(client.name === undefined ? {} : { name: client.name }),
      });
      return 'created';
    } catch (error) {
      if (!isTokenStoreError(error, ErrorCode.Conflict)) throw error;
      existing = await service.getClient(client.clientId);
      if (existing === null) throw error;
    }
  }
  let changed = false;
  const nameDiffers = client.name !== undefined && client.name !== existing.name;
  if (
    nameDiffers ||
    !sameSet(existing.grantTypes, client.grants) ||
    !sameSet(existing.redirectUris, client.redirectUris) ||
    !sameSet(existing.allowedScopes, client.scopes) ||
    existing.resourceServer !== client.resourceServer
  ) {
    await service.updateClient(client.clientId, {
      grantTypes: client.grants,
      redirectUris: client.redirectUris,
      allowedScopes: client.scopes,
      resourceServer: client.resourceServer,
      ...(client.name === undefined ? {} : { name: client.name }),
    });
    changed = true;
  }
  if (!(await service.verifyClientSecret(client.clientId, client.clientSecret))) {
    await service.regenerateClientSecret(client.clientId, { consumerSecret: client.clientSecret, revokeTokens: false });
    changed = true;
  }
  return changed ? 'updated' : 'unchanged';
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
}

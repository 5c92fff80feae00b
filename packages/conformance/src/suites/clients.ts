import { ErrorCode } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { randomValue } from './fixtures.js';

export function clientTests(ctx: ConformanceContext): void {
  describe('clients', () => {
    it('registers a client, returns its secret once, and never exposes the secret afterwards', async () => {
      const registered = await ctx.service.registerClient({
        name: 'Shop',
        grantTypes: ['client_credentials'],
        redirectUris: ['https://shop.example/cb'],
      });
      expect(registered.consumerSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const info = await ctx.service.getClient(registered.consumerKey);
      expect(info).toEqual({
        consumerKey: registered.consumerKey,
        name: 'Shop',
        grantTypes: ['client_credentials'],
        redirectUris: ['https://shop.example/cb'],
        allowedScopes: [],
        resourceServer: false,
        validity: {},
        createdAt: ctx.clock.now(),
        updatedAt: ctx.clock.now(),
      });
      expect(JSON.stringify(info)).not.toContain(registered.consumerSecret);
    });

    it('keeps the scopes a client may request and its resource-server flag, registered and updated', async () => {
      const registered = await ctx.service.registerClient({ allowedScopes: ['write', 'read', 'device_*'], resourceServer: true });
      expect(await ctx.service.getClient(registered.consumerKey)).toMatchObject({
        allowedScopes: ['device_*', 'read', 'write'],
        resourceServer: true,
      });
      ctx.clock.advanceSeconds(1);
      await ctx.service.updateClient(registered.consumerKey, { allowedScopes: [], resourceServer: false });
      expect(await ctx.service.getClient(registered.consumerKey)).toMatchObject({ allowedScopes: [], resourceServer: false });
    });

    it('registers a client under a chosen consumer key and secret', async () => {
      const secret = randomValue(40);
      const registered = await ctx.service.registerClient({ consumerKey: 'partner-app', consumerSecret: secret });
      expect(registered).toEqual({ consumerKey: 'partner-app', consumerSecret: secret });
      expect(await ctx.service.verifyClientSecret('partner-app', secret)).toBe(true);
    });

    it('refuses a second client with the same consumer key and keeps the first one', async () => {
      const first = await ctx.service.registerClient({ consumerKey: 'partner-app' });
      await expectTokenStoreError(ctx.service.registerClient({ consumerKey: 'partner-app' }), ErrorCode.Conflict);
      expect(await ctx.service.verifyClientSecret('partner-app', first.consumerSecret)).toBe(true);
    });

    it('returns null for a client that does not exist', async () => {
      expect(await ctx.service.getClient('no-such-client')).toBeNull();
    });

    it('updates name, grant types, redirect URIs and validity overrides', async () => {
      const created = ctx.clock.now();
      ctx.clock.advanceSeconds(60);
      const updated = await ctx.service.updateClient(ctx.client.consumerKey, {
        name: 'Renamed',
        grantTypes: ['client_credentials'],
        redirectUris: ['https://new.example/cb'],
        validity: { applicationAccessTokenValidity: 120 },
      });
      expect(updated).toMatchObject({ name: 'Renamed', createdAt: created, updatedAt: ctx.clock.now() });
      expect(await ctx.service.getClient(ctx.client.consumerKey)).toEqual(updated);
      const now = ctx.clock.now();
      const token = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      expect(token.expiresAt).toBe(now + 120_000);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, ctx.client.consumerSecret)).toBe(true);
    });

    it('reports NOT_FOUND when updating a client that does not exist', async () => {
      await expectTokenStoreError(ctx.service.updateClient('no-such-client', { name: 'x' }), ErrorCode.NotFound);
      expect(await ctx.service.getClient('no-such-client')).toBeNull();
    });

    it('verifies the right secret and refuses a wrong one or an unknown client', async () => {
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, ctx.client.consumerSecret)).toBe(true);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, randomValue(43))).toBe(false);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, `${ctx.client.consumerSecret}x`)).toBe(false);
      expect(await ctx.service.verifyClientSecret('no-such-client', ctx.client.consumerSecret)).toBe(false);
    });

    it('authenticates a client in one call: its record for the right secret, null for a wrong one or an unknown client', async () => {
      const { consumerKey, consumerSecret } = ctx.client;
      expect(await ctx.service.authenticateClient(consumerKey, consumerSecret)).toEqual(await ctx.service.getClient(consumerKey));
      expect(await ctx.service.authenticateClient(consumerKey, `${consumerSecret}x`)).toBeNull();
      expect(await ctx.service.authenticateClient('no-such-client', consumerSecret)).toBeNull();
      await expectTokenStoreError(ctx.service.authenticateClient(consumerKey, ''), ErrorCode.InvalidInput);
      const secret = await ctx.service.regenerateClientSecret(consumerKey);
      expect(await ctx.service.authenticateClient(consumerKey, consumerSecret), 'the old secret').toBeNull();
      expect((await ctx.service.authenticateClient(consumerKey, secret))?.consumerKey).toBe(consumerKey);
    });

    it("regenerates a secret: the old one stops verifying, the client's tokens survive unless asked otherwise", async () => {
      const token = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey });
      const secret = await ctx.service.regenerateClientSecret(ctx.client.consumerKey);
      expect(secret).not.toBe(ctx.client.consumerSecret);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, ctx.client.consumerSecret)).toBe(false);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, secret)).toBe(true);
      expect(await ctx.service.validateAccessToken(token.accessToken)).not.toBeNull();
    });

    it("regenerates a secret and revokes the client's tokens when asked", async () => {
      const token = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, issueRefreshToken: true });
      const chosen = randomValue(48);
      const secret = await ctx.service.regenerateClientSecret(ctx.client.consumerKey, { revokeTokens: true, consumerSecret: chosen });
      expect(secret).toBe(chosen);
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, chosen)).toBe(true);
      expect(await ctx.service.validateAccessToken(token.accessToken)).toBeNull();
    });

    it('reports NOT_FOUND when regenerating the secret of a client that does not exist', async () => {
      await expectTokenStoreError(ctx.service.regenerateClientSecret('no-such-client'), ErrorCode.NotFound);
    });

    it('deletes a client and, by default, its tokens', async () => {
      const token = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(await ctx.service.deleteClient(ctx.client.consumerKey)).toBe(true);
      expect(await ctx.service.getClient(ctx.client.consumerKey)).toBeNull();
      expect(await ctx.service.validateAccessToken(token.accessToken)).toBeNull();
      expect(await ctx.service.verifyClientSecret(ctx.client.consumerKey, ctx.client.consumerSecret)).toBe(false);
      await expectTokenStoreError(ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey }), ErrorCode.InvalidClient);
      expect(await ctx.service.deleteClient(ctx.client.consumerKey)).toBe(false);
    });

    it('deletes a client but keeps its tokens when asked to', async () => {
      const token = await ctx.service.issueAccessToken({ consumerKey: ctx.client.consumerKey, userId: 'alice' });
      expect(await ctx.service.deleteClient(ctx.client.consumerKey, { revokeTokens: false })).toBe(true);
      expect(await ctx.service.validateAccessToken(token.accessToken)).not.toBeNull();
    });

    it('issues tokens to unregistered consumer keys only when requireRegisteredClient is off', async () => {
      await expectTokenStoreError(ctx.service.issueAccessToken({ consumerKey: 'unregistered' }), ErrorCode.InvalidClient);
      const lenient = ctx.createService({ requireRegisteredClient: false });
      const token = await lenient.issueAccessToken({ consumerKey: 'unregistered' });
      expect(await lenient.validateAccessToken(token.accessToken)).toMatchObject({ consumerKey: 'unregistered' });
    });
  });
}

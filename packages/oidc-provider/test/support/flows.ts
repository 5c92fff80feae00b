import { findPlaintextsAtRest } from '@tokenstore/conformance';
import { createProtector, RewrapJob, TokenService } from '@tokenstore/core';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { E2E_PROTECTION } from './modes.js';
import { authorize, CLIENT_ID, CLIENT_SECRET, discover, insecure, type ProviderHarness, REDIRECT_URI } from './provider-harness.js';

export interface FlowSetup {
  /** A harness on a fresh, empty store in the mode under test (started). */
  open: () => Promise<ProviderHarness>;
  /** Everything the backend holds, as stored. */
  inspect: () => Promise<Array<Record<string, unknown>>>;
  mode: 'plain' | 'hash' | 'encrypt';
}

const client: oauth.Client = { client_id: CLIENT_ID };
const clientAuth = oauth.ClientSecretBasic(CLIENT_SECRET);

async function codeFlow(as: oauth.AuthorizationServer, scope = 'openid offline_access') {
  const verifier = oauth.generateRandomCodeVerifier();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint as string);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    nonce,
    prompt: 'consent',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const callback = await authorize(url);
  const params = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
  return { params, verifier, nonce };
}

async function redeem(as: oauth.AuthorizationServer, flow: Awaited<ReturnType<typeof codeFlow>>) {
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, flow.params, REDIRECT_URI, flow.verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: flow.nonce, requireIdToken: true });
}

async function introspect(as: oauth.AuthorizationServer, token: string) {
  return oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, clientAuth, token, insecure));
}

async function oauthError(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) return error.error;
    throw error;
  }
  throw new Error('expected an OAuth error response');
}

/** The end-to-end flows of issue 14 against a real Provider and oauth4webapi; `setup` picks backend and mode. */
export function providerFlows(name: string, setup: FlowSetup): void {
  describe(`oidc-provider on ${name} [${setup.mode}]`, () => {
    it('authorization code with PKCE through login and consent, across a provider restart, then refresh with rotation', async () => {
      const harness = await setup.open();
      try {
        const as = await discover(harness);
        const flow = await codeFlow(as);
        harness.restart(); // the code issued by the first instance is redeemed by the second
        const tokens = await redeem(as, flow);
        expect(tokens.access_token).toEqual(expect.any(String));
        expect(tokens.refresh_token).toEqual(expect.any(String));
        expect(await introspect(as, tokens.access_token)).toMatchObject({ active: true, sub: 'alice', client_id: CLIENT_ID });

        harness.restart();
        const refreshed = await oauth.processRefreshTokenResponse(
          as,
          client,
          await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token as string, insecure),
        );
        expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
        expect(await introspect(as, refreshed.access_token)).toMatchObject({ active: true });
        // Presenting the rotated refresh token again is reuse: the provider revokes the grant.
        expect(
          await oauthError(
            oauth.processRefreshTokenResponse(
              as,
              client,
              await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token as string, insecure),
            ),
          ),
        ).toBe('invalid_grant');
        expect(await introspect(as, refreshed.access_token)).toMatchObject({ active: false });
        expect(await introspect(as, refreshed.refresh_token as string)).toMatchObject({ active: false });
        for (const call of [
          'Session.upsert',
          'Session.findByUid',
          'Interaction.upsert',
          'Interaction.find',
          'Grant.upsert',
          'AuthorizationCode.consume',
          'RefreshToken.consume',
          'AccessToken.revokeByGrantId',
        ])
          expect(harness.calls.get(call), call).toBeGreaterThan(0);
      } finally {
        await harness.stop();
      }
    });

    it('revokes the grant on an authorization code replay (revokeByGrantId)', async () => {
      const harness = await setup.open();
      try {
        const as = await discover(harness);
        const flow = await codeFlow(as);
        const tokens = await redeem(as, flow);
        expect(await oauthError(redeem(as, flow))).toBe('invalid_grant');
        expect(await introspect(as, tokens.access_token)).toMatchObject({ active: false });
        expect(await introspect(as, tokens.refresh_token as string)).toMatchObject({ active: false });
        expect(harness.calls.get('AuthorizationCode.revokeByGrantId')).toBeGreaterThan(0);
      } finally {
        await harness.stop();
      }
    });

    it('client credentials, introspection and revocation', async () => {
      const harness = await setup.open();
      try {
        const as = await discover(harness);
        const tokens = await oauth.processClientCredentialsResponse(
          as,
          client,
          await oauth.clientCredentialsGrantRequest(as, client, clientAuth, new URLSearchParams({ scope: 'api' }), insecure),
        );
        harness.restart();
        expect(await introspect(as, tokens.access_token)).toMatchObject({ active: true, client_id: CLIENT_ID });
        await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, tokens.access_token, insecure));
        expect(await introspect(as, tokens.access_token)).toMatchObject({ active: false });
        expect(harness.calls.get('ClientCredentials.upsert')).toBe(1);
        expect(harness.calls.get('ClientCredentials.destroy')).toBe(1);
      } finally {
        await harness.stop();
      }
    });

    it('the device authorization grant: pending, approval found by user code, tokens, then the code is spent', async () => {
      const harness = await setup.open();
      try {
        const as = await discover(harness);
        const device = await oauth.processDeviceAuthorizationResponse(
          as,
          client,
          await oauth.deviceAuthorizationRequest(as, client, clientAuth, new URLSearchParams({ scope: 'openid offline_access' }), insecure),
        );
        const poll = async () =>
          oauth.processDeviceCodeResponse(
            as,
            client,
            await oauth.deviceCodeGrantRequest(as, client, clientAuth, device.device_code, insecure),
          );
        expect(await oauthError(poll())).toBe('authorization_pending');

        // The user enters the code on another device: what the provider's verification page does once logged in.
        harness.restart();
        const { provider } = harness;
        const code = await provider.DeviceCode.findByUserCode(device.user_code.replace(/-/g, ''));
        expect(code).toBeDefined();
        const grant = new provider.Grant({ accountId: 'alice', clientId: CLIENT_ID });
        grant.addOIDCScope('openid offline_access');
        const found = code as InstanceType<typeof provider.DeviceCode>;
        found.grantId = await grant.save();
        found.accountId = 'alice';
        found.authTime = Math.floor(Date.now() / 1000);
        found.scope = 'openid offline_access';
        await found.save();

        harness.restart();
        const tokens = await poll();
        expect(await introspect(as, tokens.access_token)).toMatchObject({ active: true, sub: 'alice' });
        expect(await oauthError(poll())).toBe('invalid_grant');
        expect(harness.calls.get('DeviceCode.findByUserCode')).toBeGreaterThan(0);
        expect(harness.calls.get('DeviceCode.consume')).toBe(1);
      } finally {
        await harness.stop();
      }
    });

    // Plain is where a migration starts from, so this flow is defined for the protected modes only.
    if (setup.mode !== 'plain')
      it('a provider that ran in plain mode moves here with a rewrap: its tokens keep working, none is left in plaintext', async () => {
        const harness = await setup.open();
        const current = harness.service;
        try {
          const as = await discover(harness);
          // The earlier deployment: plain.
          harness.restart(new TokenService({ store: current.store, protector: createProtector(E2E_PROTECTION.plain) }));
          const tokens = await redeem(as, await codeFlow(as));
          const pending = await codeFlow(as);
          expect(await introspect(as, tokens.access_token)).toMatchObject({ active: true });
          expect(findPlaintextsAtRest(await setup.inspect(), new Map([[tokens.access_token, 'access token']]))).toEqual(['access token']);

          // The migration: rewrap with the plain fallback, then this mode alone.
          const summary = await new RewrapJob({
            store: current.store,
            protector: createProtector({ ...E2E_PROTECTION[setup.mode], fallback: [E2E_PROTECTION.plain] }),
          }).run();
          expect(summary.completed).toBe(true);
          expect(summary.counts.artifact.converted).toBeGreaterThan(5);
          expect(summary.counts.artifact).toMatchObject({ failed: 0, unconvertible: 0 });
          harness.restart(current);

          expect(await introspect(as, tokens.access_token)).toMatchObject({ active: true, sub: 'alice' });
          const refreshed = await oauth.processRefreshTokenResponse(
            as,
            client,
            await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token as string, insecure),
          );
          expect(await introspect(as, refreshed.access_token)).toMatchObject({ active: true });
          // A code issued before the migration is redeemed after it, once.
          const late = await redeem(as, pending);
          expect(await introspect(as, late.access_token)).toMatchObject({ active: true });
          expect(await oauthError(redeem(as, pending))).toBe('invalid_grant');
          const secrets = new Map([
            [tokens.access_token, 'access token'],
            [tokens.refresh_token as string, 'refresh token'],
            [pending.params.get('code') as string, 'authorization code'],
          ]);
          expect(findPlaintextsAtRest(await setup.inspect(), secrets)).toEqual([]);
        } finally {
          await harness.stop();
        }
      });

    it('leaves no token, code or user code in plaintext at rest outside plain mode', async () => {
      const harness = await setup.open();
      try {
        const as = await discover(harness);
        const flow = await codeFlow(as);
        const tokens = await redeem(as, flow);
        const code = flow.params.get('code') as string;
        const rows = await setup.inspect();
        expect(rows.length).toBeGreaterThan(0);
        const secrets = new Map([
          [tokens.access_token, 'access token'],
          [tokens.refresh_token as string, 'refresh token'],
          [code, 'authorization code'],
        ]);
        const found = findPlaintextsAtRest(rows, secrets);
        if (setup.mode === 'plain') expect(found.length).toBeGreaterThan(0);
        else expect(found).toEqual([]);
      } finally {
        await harness.stop();
      }
    });
  });
}

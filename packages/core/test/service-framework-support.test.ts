import { ErrorCode, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { rejection } from './support/caught.js';
import { CLIENT, serviceFixture, T0 } from './support/service-fixture.js';

// What frameworks that verify PKCE and redirect URIs themselves (e.g. @node-oauth/oauth2-server) need.
const SECOND = 1000;
// RFC 7636 appendix B.
const PKCE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const loose = <T>(value: unknown) => value as T;

describe('inspectAuthorizationCode', () => {
  it('returns the record of an unused code without consuming it', async () => {
    const { store, service } = await serviceFixture({}, { redirectUris: ['https://app.example/cb'] });
    const issued = await service.issueAuthorizationCode({
      consumerKey: CLIENT,
      userId: 'alice',
      scopes: 'read',
      redirectUri: 'https://app.example/cb',
      codeChallenge: PKCE_CHALLENGE,
      codeChallengeMethod: 'S256',
    });
    store.clearCalls();
    const record = await service.inspectAuthorizationCode(issued.code);
    expect(record).toMatchObject({
      consumerKey: CLIENT,
      userId: 'alice',
      scopes: ['read'],
      redirectUri: 'https://app.example/cb',
      codeChallenge: PKCE_CHALLENGE,
      codeChallengeMethod: 'S256',
      grantId: issued.grantId,
      state: TokenState.Active,
      expiresAt: T0 + 300 * SECOND,
    });
    expect(store.writes).toEqual([]);
  });

  it('shows a consumed code as INACTIVE and an expired one as EXPIRED, without reacting to either', async () => {
    const { store, clock, service, events } = await serviceFixture();
    const used = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    const tokens = await service.redeemAuthorizationCode({ code: used.code, consumerKey: CLIENT });
    const stale = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'bob' });
    clock.advance(301 * SECOND);
    store.clearCalls();
    expect(await service.inspectAuthorizationCode(used.code)).toMatchObject({ state: TokenState.Inactive });
    expect(await service.inspectAuthorizationCode(stale.code)).toMatchObject({ state: TokenState.Expired });
    expect(store.writes).toEqual([]);
    expect(events).toEqual([]);
    expect(await service.inspectAccessToken(tokens.accessToken)).toMatchObject({ state: TokenState.Active });
  });

  it('answers null for an unknown code and refuses a malformed one', async () => {
    const { service } = await serviceFixture();
    expect(await service.inspectAuthorizationCode('no-such-code')).toBeNull();
    await expect(service.inspectAuthorizationCode(loose(42))).rejects.toMatchObject({ code: ErrorCode.InvalidInput, field: 'code' });
  });
});

describe('redeeming a code the caller has verified (verifiedByCaller)', () => {
  async function pkceCode() {
    const fixture = await serviceFixture({}, { redirectUris: ['https://app.example/cb'] });
    const issued = await fixture.service.issueAuthorizationCode({
      consumerKey: CLIENT,
      userId: 'alice',
      redirectUri: 'https://app.example/cb',
      codeChallenge: PKCE_CHALLENGE,
      codeChallengeMethod: 'S256',
    });
    fixture.store.clearCalls();
    return { ...fixture, issued };
  }

  it('skips the redirect URI and PKCE checks, and issues tokens of the code’s grant', async () => {
    const { service, issued } = await pkceCode();
    const tokens = await service.redeemAuthorizationCode({ code: issued.code, consumerKey: CLIENT, verifiedByCaller: true });
    expect(tokens.grantId).toBe(issued.grantId);
    expect(await service.inspectAuthorizationCode(issued.code)).toMatchObject({ state: TokenState.Inactive });
  });

  it('still checks them without the flag', async () => {
    const { service, issued } = await pkceCode();
    const error = await rejection(service.redeemAuthorizationCode({ code: issued.code, consumerKey: CLIENT }));
    expect(error).toMatchObject({ code: ErrorCode.InvalidInput, field: 'redirectUri' });
  });

  it('still refuses another client, an expired code, and treats a second use as a replay that revokes the grant', async () => {
    const { clock, service, issued } = await pkceCode();
    await expect(
      service.redeemAuthorizationCode({ code: issued.code, consumerKey: 'other-client', verifiedByCaller: true }),
    ).rejects.toMatchObject({ code: ErrorCode.NotFound });
    const tokens = await service.redeemAuthorizationCode({ code: issued.code, consumerKey: CLIENT, verifiedByCaller: true });
    await expect(service.redeemAuthorizationCode({ code: issued.code, consumerKey: CLIENT, verifiedByCaller: true })).rejects.toMatchObject(
      { code: ErrorCode.Replay },
    );
    expect(await service.validateAccessToken(tokens.accessToken)).toBeNull();

    const late = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'bob' });
    clock.advance(301 * SECOND);
    await expect(service.redeemAuthorizationCode({ code: late.code, consumerKey: CLIENT, verifiedByCaller: true })).rejects.toMatchObject({
      code: ErrorCode.Expired,
    });
  });

  it('refuses a non-boolean flag before touching the store', async () => {
    const { store, service, issued } = await pkceCode();
    await expect(
      service.redeemAuthorizationCode({ code: issued.code, consumerKey: CLIENT, verifiedByCaller: loose('yes') }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidInput, field: 'verifiedByCaller' });
    expect(store.calls).toEqual([]);
  });
});

describe('inspectRefreshToken', () => {
  it('returns the record of an active refresh token, then INACTIVE once rotated, without treating the read as reuse', async () => {
    const { store, clock, service, events } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice', scopes: 'read write', issueRefreshToken: true });
    const refreshToken = issued.refreshToken!;
    expect(await service.inspectRefreshToken(refreshToken)).toMatchObject({
      consumerKey: CLIENT,
      userId: 'alice',
      scopes: ['read', 'write'],
      grantId: issued.grantId,
      state: TokenState.Active,
      rotatedAt: null,
    });
    clock.advance(SECOND);
    const rotated = await service.refreshAccessToken({ refreshToken, consumerKey: CLIENT });
    store.clearCalls();
    expect(await service.inspectRefreshToken(refreshToken)).toMatchObject({ state: TokenState.Inactive, rotatedAt: T0 + SECOND });
    expect(store.writes).toEqual([]);
    expect(events).toEqual([]);
    expect(await service.validateAccessToken(rotated.accessToken)).not.toBeNull();
  });

  it('shows an expired refresh token as EXPIRED, answers null for an unknown one and refuses a malformed one', async () => {
    const { clock, service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice', issueRefreshToken: true });
    clock.advance(86401 * SECOND);
    expect(await service.inspectRefreshToken(issued.refreshToken!)).toMatchObject({ state: TokenState.Expired });
    expect(await service.inspectRefreshToken('no-such-token')).toBeNull();
    await expect(service.inspectRefreshToken('')).rejects.toMatchObject({ code: ErrorCode.InvalidInput, field: 'refreshToken' });
  });
});

import {
  ErrorCode,
  type InsertResult,
  type RefreshRotation,
  type RevocationFilter,
  type StateChange,
  type StoredAccessToken,
  TokenService,
  TokenState,
  UserType,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { rejection } from './support/caught.js';
import { RecordingStore } from './support/recording-store.js';
import { CLIENT, CLIENT_SECRET, recordEvents, serviceFixture, T0 } from './support/service-fixture.js';
import { FallbackStubProtector } from './support/stub-protectors.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
/** Appears in every rejected value below, so a message that echoes the value is caught. */
const MARK = 'Xq9MARKofTheOffendingValue';
// RFC 7636 appendix B.
const PKCE_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const PKCE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** Bad input as a JavaScript caller might send it; the compiler would refuse most of it. */
const loose = <T>(value: unknown) => value as T;

describe('bad input is refused with a typed error before the store is touched', () => {
  type Case = [string, (service: TokenService) => Promise<unknown>, string];
  const cases: Case[] = [
    ['issueAccessToken without a request', (s) => s.issueAccessToken(loose(null)), 'request'],
    ['issueAccessToken with an empty consumer key', (s) => s.issueAccessToken({ consumerKey: '' }), 'consumerKey'],
    [
      'issueAccessToken with a control character in the consumer key',
      (s) => s.issueAccessToken({ consumerKey: `${MARK}\n` }),
      'consumerKey',
    ],
    ['issueAccessToken with a padded user id', (s) => s.issueAccessToken({ consumerKey: CLIENT, userId: ` ${MARK}` }), 'userId'],
    [
      'issueAccessToken with an unknown user type',
      (s) => s.issueAccessToken({ consumerKey: CLIENT, userType: loose('ADMIN') }),
      'userType',
    ],
    ['issueAccessToken with a quoted scope', (s) => s.issueAccessToken({ consumerKey: CLIENT, scopes: `read "${MARK}"` }), 'scopes'],
    ['issueAccessToken with validity 0', (s) => s.issueAccessToken({ consumerKey: CLIENT, validitySeconds: 0 }), 'validitySeconds'],
    [
      'issueAccessToken with a fractional refresh validity',
      (s) => s.issueAccessToken({ consumerKey: CLIENT, refreshTokenValiditySeconds: 1.5 }),
      'refreshTokenValiditySeconds',
    ],
    ['issueAccessToken with an empty grant type', (s) => s.issueAccessToken({ consumerKey: CLIENT, grantType: '' }), 'grantType'],
    [
      'issueAccessToken with a space in a supplied token',
      (s) => s.issueAccessToken({ consumerKey: CLIENT, accessToken: `${MARK} x` }),
      'accessToken',
    ],
    [
      'issueAccessToken with a supplied token over 8 KiB',
      (s) => s.issueAccessToken({ consumerKey: CLIENT, accessToken: MARK.padEnd(8193, 'a') }),
      'accessToken',
    ],
    [
      'issueAccessToken with a non-boolean issueRefreshToken',
      (s) => s.issueAccessToken({ consumerKey: CLIENT, issueRefreshToken: loose('yes') }),
      'issueRefreshToken',
    ],
    ['validateAccessToken with an empty token', (s) => s.validateAccessToken(''), 'accessToken'],
    ['validateAccessToken with a tab', (s) => s.validateAccessToken(`${MARK}\t`), 'accessToken'],
    ['inspectAccessToken with a number', (s) => s.inspectAccessToken(loose(42)), 'accessToken'],
    ['issueAuthorizationCode without a user', (s) => s.issueAuthorizationCode(loose({ consumerKey: CLIENT })), 'userId'],
    [
      'issueAuthorizationCode with a relative redirect URI',
      (s) => s.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', redirectUri: `/cb/${MARK}` }),
      'redirectUri',
    ],
    [
      'issueAuthorizationCode with a fragment in the redirect URI',
      (s) => s.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', redirectUri: `https://app.example/${MARK}#` }),
      'redirectUri',
    ],
    [
      'issueAuthorizationCode with a control character in the nonce',
      (s) => s.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', nonce: `${MARK}\u0000` }),
      'nonce',
    ],
    [
      'issueAuthorizationCode with a space in a supplied code',
      (s) => s.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', code: `${MARK} ` }),
      'code',
    ],
    [
      'issueAuthorizationCode with a short PKCE challenge',
      (s) => s.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', codeChallenge: MARK, codeChallengeMethod: 'S256' }),
      'codeChallenge',
    ],
    [
      'issueAuthorizationCode with an unknown PKCE method',
      (s) =>
        s.issueAuthorizationCode({
          consumerKey: CLIENT,
          userId: 'alice',
          codeChallenge: PKCE_CHALLENGE,
          codeChallengeMethod: loose('S512'),
        }),
      'codeChallengeMethod',
    ],
    [
      'issueAuthorizationCode with a PKCE method but no challenge',
      (s) => s.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', codeChallengeMethod: 'S256' }),
      'codeChallenge',
    ],
    [
      'issueAuthorizationCode with a NaN validity',
      (s) => s.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', validitySeconds: Number.NaN }),
      'validitySeconds',
    ],
    [
      'issueAuthorizationCode with an empty scope',
      (s) => s.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', scopes: [MARK, ''] }),
      'scopes',
    ],
    ['consumeAuthorizationCode with an empty code', (s) => s.consumeAuthorizationCode({ code: '', consumerKey: CLIENT }), 'code'],
    [
      'consumeAuthorizationCode with a malformed verifier',
      (s) => s.consumeAuthorizationCode({ code: 'abc', consumerKey: CLIENT, codeVerifier: `${MARK}!` }),
      'codeVerifier',
    ],
    [
      'consumeAuthorizationCode with a relative redirect URI',
      (s) => s.consumeAuthorizationCode({ code: 'abc', consumerKey: CLIENT, redirectUri: MARK }),
      'redirectUri',
    ],
    [
      'consumeAuthorizationCode with a numeric consumer key',
      (s) => s.consumeAuthorizationCode({ code: 'abc', consumerKey: loose(5) }),
      'consumerKey',
    ],
    [
      'redeemAuthorizationCode with an infinite validity',
      (s) => s.redeemAuthorizationCode({ code: 'abc', consumerKey: CLIENT, validitySeconds: Number.POSITIVE_INFINITY }),
      'validitySeconds',
    ],
    [
      'redeemAuthorizationCode with a non-boolean issueRefreshToken',
      (s) => s.redeemAuthorizationCode({ code: 'abc', consumerKey: CLIENT, issueRefreshToken: loose(1) }),
      'issueRefreshToken',
    ],
    [
      'redeemAuthorizationCode with a space in the code',
      (s) => s.redeemAuthorizationCode({ code: `${MARK} x`, consumerKey: CLIENT }),
      'code',
    ],
    ['refreshAccessToken with an empty token', (s) => s.refreshAccessToken({ refreshToken: '', consumerKey: CLIENT }), 'refreshToken'],
    [
      'refreshAccessToken with a padded consumer key',
      (s) => s.refreshAccessToken({ refreshToken: 'abc', consumerKey: ` ${MARK}` }),
      'consumerKey',
    ],
    [
      'refreshAccessToken with a space inside a scope',
      (s) => s.refreshAccessToken({ refreshToken: 'abc', consumerKey: CLIENT, scopes: [`${MARK} read`] }),
      'scopes',
    ],
    [
      'refreshAccessToken with validity 0',
      (s) => s.refreshAccessToken({ refreshToken: 'abc', consumerKey: CLIENT, validitySeconds: 0 }),
      'validitySeconds',
    ],
    ['revokeAccessToken with an empty token', (s) => s.revokeAccessToken(''), 'accessToken'],
    ['revokeRefreshToken with a space', (s) => s.revokeRefreshToken(`${MARK} x`), 'refreshToken'],
    ['revokeToken with a NUL', (s) => s.revokeToken(`${MARK}\u0000`), 'token'],
    ['revokeTokensOfUser with an empty user', (s) => s.revokeTokensOfUser(''), 'userId'],
    ['revokeTokensOfUser with an empty consumer key', (s) => s.revokeTokensOfUser('alice', { consumerKey: '' }), 'consumerKey'],
    ['revokeTokensOfUser with an unknown user type', (s) => s.revokeTokensOfUser('alice', { userType: loose(MARK) }), 'userType'],
    ['revokeTokensOfUser with null options', (s) => s.revokeTokensOfUser('alice', loose(null)), 'options'],
    ['revokeTokensOfClient with an empty consumer key', (s) => s.revokeTokensOfClient(''), 'consumerKey'],
    ['revokeGrant with a newline', (s) => s.revokeGrant(`${MARK}\n`), 'grantId'],
    ['registerClient with null', (s) => s.registerClient(loose(null)), 'request'],
    ['registerClient with a 31-character secret', (s) => s.registerClient({ consumerSecret: MARK.padEnd(31, 'x') }), 'consumerSecret'],
    ['registerClient with a space in the secret', (s) => s.registerClient({ consumerSecret: `${MARK} ${MARK}` }), 'consumerSecret'],
    ['registerClient with an empty consumer key', (s) => s.registerClient({ consumerKey: '' }), 'consumerKey'],
    ['registerClient with a newline in the name', (s) => s.registerClient({ name: `${MARK}\n` }), 'name'],
    ['registerClient with grant types as a string', (s) => s.registerClient({ grantTypes: loose('authorization_code') }), 'grantTypes'],
    ['registerClient with a relative redirect URI', (s) => s.registerClient({ redirectUris: [`/${MARK}`] }), 'redirectUris[0]'],
    [
      'registerClient with a zero validity override',
      (s) => s.registerClient({ validity: { refreshTokenValidity: 0 } }),
      'validity.refreshTokenValidity',
    ],
    [
      'registerClient with an unknown validity override',
      (s) => s.registerClient({ validity: loose({ accessTokenValidity: 60 }) }),
      'validity',
    ],
    ['getClient with an empty consumer key', (s) => s.getClient(''), 'consumerKey'],
    ['updateClient with an empty consumer key', (s) => s.updateClient('', {}), 'consumerKey'],
    ['updateClient without a patch', (s) => s.updateClient(CLIENT, loose(null)), 'patch'],
    [
      'updateClient with a fragment in a redirect URI',
      (s) => s.updateClient(CLIENT, { redirectUris: [`https://app.example/${MARK}#x`] }),
      'redirectUris[0]',
    ],
    ['updateClient with an empty grant type', (s) => s.updateClient(CLIENT, { grantTypes: [''] }), 'grantTypes[0]'],
    ['deleteClient with an empty consumer key', (s) => s.deleteClient(''), 'consumerKey'],
    ['deleteClient with a non-boolean revokeTokens', (s) => s.deleteClient(CLIENT, { revokeTokens: loose('no') }), 'revokeTokens'],
    ['deleteClient with null options', (s) => s.deleteClient(CLIENT, loose(null)), 'options'],
    ['verifyClientSecret with an empty secret', (s) => s.verifyClientSecret(CLIENT, ''), 'consumerSecret'],
    ['verifyClientSecret with a numeric secret', (s) => s.verifyClientSecret(CLIENT, loose(5)), 'consumerSecret'],
    ['verifyClientSecret with an empty consumer key', (s) => s.verifyClientSecret('', MARK), 'consumerKey'],
    ['regenerateClientSecret with a short secret', (s) => s.regenerateClientSecret(CLIENT, { consumerSecret: MARK }), 'consumerSecret'],
    [
      'regenerateClientSecret with a non-boolean revokeTokens',
      (s) => s.regenerateClientSecret(CLIENT, { revokeTokens: loose('yes') }),
      'revokeTokens',
    ],
    ['regenerateClientSecret with an empty consumer key', (s) => s.regenerateClientSecret(''), 'consumerKey'],
  ];

  it.each(cases)('%s', async (_, call, field) => {
    const { store, service } = await serviceFixture();
    const error = await rejection(call(service));
    expect(error.code).toBe(ErrorCode.InvalidInput);
    expect(error.field).toBe(field);
    expect(error.message).not.toContain(MARK);
    expect(store.calls).toEqual([]);
  });
});

describe('input checks that need the stored record write nothing', () => {
  it('refuses a redirect URI the client did not register', async () => {
    const { store, service } = await serviceFixture({}, { redirectUris: ['https://app.example/cb'] });
    const error = await rejection(
      service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', redirectUri: 'https://evil.example/cb' }),
    );
    expect(error).toMatchObject({ code: ErrorCode.InvalidInput, field: 'redirectUri' });
    expect(store.writes).toEqual([]);
  });

  it('refuses to widen scopes on refresh', async () => {
    const { store, service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice', scopes: 'read', issueRefreshToken: true });
    store.clearCalls();
    const error = await rejection(
      service.refreshAccessToken({ refreshToken: issued.refreshToken!, consumerKey: CLIENT, scopes: 'read admin' }),
    );
    expect(error).toMatchObject({ code: ErrorCode.InvalidInput, field: 'scopes' });
    expect(store.writes).toEqual([]);
  });
});

describe('clients', () => {
  it('refuses tokens and codes for an unknown client with INVALID_CLIENT, writing nothing', async () => {
    const { store, service } = await serviceFixture();
    const tokenError = await rejection(service.issueAccessToken({ consumerKey: 'unknown-client' }));
    expect(tokenError).toMatchObject({ code: ErrorCode.InvalidClient, field: 'consumerKey' });
    const codeError = await rejection(service.issueAuthorizationCode({ consumerKey: 'unknown-client', userId: 'alice' }));
    expect(codeError.code).toBe(ErrorCode.InvalidClient);
    expect(store.writes).toEqual([]);
  });

  it('issues for unregistered clients, with the service defaults, when requireRegisteredClient is off', async () => {
    const { service } = await serviceFixture({ requireRegisteredClient: false });
    const issued = await service.issueAccessToken({ consumerKey: 'unregistered' });
    expect(issued.expiresAt).toBe(T0 + HOUR);
  });

  it('registers a client with a generated 128-bit key and 256-bit secret', async () => {
    const { store, service } = await serviceFixture();
    const client = await service.registerClient({ name: 'Billing', grantTypes: ['client_credentials', 'client_credentials'] });
    expect(client.consumerKey).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(client.consumerSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await service.getClient(client.consumerKey)).toEqual({
      consumerKey: client.consumerKey,
      name: 'Billing',
      grantTypes: ['client_credentials'],
      redirectUris: [],
      // Scopes are denied unless allowed; introspection of other clients' tokens only when asked for.
      allowedScopes: [],
      resourceServer: false,
      validity: {},
      createdAt: T0,
      updatedAt: T0,
    });
    expect(store.argsOf('createClient')).toHaveLength(1);
  });

  it('verifies the consumer secret: right, wrong, and unknown client', async () => {
    const { service } = await serviceFixture();
    expect(await service.verifyClientSecret(CLIENT, CLIENT_SECRET)).toBe(true);
    expect(await service.verifyClientSecret(CLIENT, `${CLIENT_SECRET}x`)).toBe(false);
    expect(await service.verifyClientSecret('unknown-client', CLIENT_SECRET)).toBe(false);
  });

  it('updates only the fields in the patch and stamps updatedAt', async () => {
    const { clock, service } = await serviceFixture({}, { name: 'Old', grantTypes: ['password'] });
    clock.advance(5 * SECOND);
    const updated = await service.updateClient(CLIENT, { name: 'New', validity: { userAccessTokenValidity: 60 } });
    expect(updated).toMatchObject({
      name: 'New',
      grantTypes: ['password'],
      validity: { userAccessTokenValidity: 60 },
      updatedAt: T0 + 5 * SECOND,
    });
    await expect(service.updateClient('unknown-client', { name: 'x' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('regenerates a secret: the old one stops verifying, tokens survive unless revocation is asked for', async () => {
    const { store, clock, service } = await serviceFixture();
    const newSecret = await service.regenerateClientSecret(CLIENT);
    expect(await service.verifyClientSecret(CLIENT, CLIENT_SECRET)).toBe(false);
    expect(await service.verifyClientSecret(CLIENT, newSecret)).toBe(true);
    expect(store.argsOf('revokeTokens')).toEqual([]);
    clock.advance(SECOND);
    await service.regenerateClientSecret(CLIENT, { revokeTokens: true });
    expect(store.argsOf('revokeTokens')).toEqual([[{ consumerKey: CLIENT }, T0 + SECOND]]);
  });
});

describe('expiry', () => {
  it('expires an access token validity seconds after issue', async () => {
    const { store, service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, validitySeconds: 90 });
    expect(issued).toMatchObject({ tokenType: 'Bearer', expiresAt: T0 + 90 * SECOND, expiresIn: 90, reused: false });
    const row = store.rowByValue('accessToken', issued.accessToken);
    expect(row).toMatchObject({ issuedAt: T0, expiresAt: T0 + 90 * SECOND, stateChangedAt: T0, state: TokenState.Active });
  });

  it('is valid until the last millisecond before expiresAt, and never after', async () => {
    const { clock, service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, validitySeconds: 60 });
    clock.set(T0 + 60 * SECOND - 1);
    expect(await service.validateAccessToken(issued.accessToken)).toMatchObject({ state: TokenState.Active, expiresAt: T0 + 60 * SECOND });
    clock.set(T0 + 60 * SECOND);
    expect(await service.validateAccessToken(issued.accessToken)).toBeNull();
    expect(await service.inspectAccessToken(issued.accessToken)).toMatchObject({ state: TokenState.Expired });
  });

  it('never expires a token issued with a negative validity', async () => {
    const { store, clock, service } = await serviceFixture();
    const issued = await service.issueAccessToken({
      consumerKey: CLIENT,
      validitySeconds: -1,
      issueRefreshToken: true,
      refreshTokenValiditySeconds: -1,
    });
    expect(issued.expiresAt).toBeNull();
    expect(issued.expiresIn).toBeNull();
    expect(issued.refreshTokenExpiresAt).toBeNull();
    expect(store.rowByValue('accessToken', issued.accessToken).expiresAt).toBeNull();
    clock.set(Date.UTC(2130, 0, 1));
    expect(await service.validateAccessToken(issued.accessToken)).toMatchObject({ expiresAt: null, state: TokenState.Active });
  });

  it('gives refresh tokens 1 day and codes 5 minutes by default', async () => {
    const { service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, issueRefreshToken: true });
    expect(issued.refreshTokenExpiresAt).toBe(T0 + 24 * HOUR);
    const code = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    expect(code.expiresAt).toBe(T0 + 300 * SECOND);
  });

  it('takes the refresh token validity from the request when given', async () => {
    const { service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, issueRefreshToken: true, refreshTokenValiditySeconds: 600 });
    expect(issued.refreshTokenExpiresAt).toBe(T0 + 600 * SECOND);
  });

  it('refuses an expired authorization code without consuming it', async () => {
    const { store, clock, service } = await serviceFixture();
    const { code } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', validitySeconds: 60 });
    clock.set(T0 + 60 * SECOND);
    store.clearCalls();
    await expect(service.redeemAuthorizationCode({ code, consumerKey: CLIENT })).rejects.toMatchObject({ code: ErrorCode.Expired });
    expect(store.writes).toEqual([]);
  });
});

describe('application and user tokens', () => {
  it('issues an application token when no user is given: the user is the client itself', async () => {
    const { store, service } = await serviceFixture({ validity: { applicationAccessToken: 100, userAccessToken: 200 } });
    const issued = await service.issueAccessToken({ consumerKey: CLIENT });
    expect(issued.expiresAt).toBe(T0 + 100 * SECOND);
    expect(store.rowByValue('accessToken', issued.accessToken)).toMatchObject({
      userId: CLIENT,
      userType: UserType.Application,
      grantType: 'client_credentials',
    });
  });

  it('issues a user token with the user token default', async () => {
    const { store, service } = await serviceFixture({ validity: { applicationAccessToken: 100, userAccessToken: 200 } });
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice' });
    expect(issued.expiresAt).toBe(T0 + 200 * SECOND);
    expect(store.rowByValue('accessToken', issued.accessToken)).toMatchObject({
      userId: 'alice',
      userType: UserType.ApplicationUser,
      grantType: 'password',
    });
  });

  it('prefers the client’s validity overrides to the service defaults', async () => {
    const overrides = {
      applicationAccessTokenValidity: 10,
      userAccessTokenValidity: 20,
      refreshTokenValidity: 30,
      authorizationCodeValidity: 40,
    };
    const { service } = await serviceFixture({}, { validity: overrides });
    expect((await service.issueAccessToken({ consumerKey: CLIENT })).expiresAt).toBe(T0 + 10 * SECOND);
    const user = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice', issueRefreshToken: true });
    expect(user.expiresAt).toBe(T0 + 20 * SECOND);
    expect(user.refreshTokenExpiresAt).toBe(T0 + 30 * SECOND);
    const { code } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    const redeemed = await service.redeemAuthorizationCode({ code, consumerKey: CLIENT });
    expect(redeemed.expiresAt).toBe(T0 + 20 * SECOND);
    expect(redeemed.refreshTokenExpiresAt).toBe(T0 + 30 * SECOND);
    const rotated = await service.refreshAccessToken({ refreshToken: redeemed.refreshToken!, consumerKey: CLIENT });
    expect(rotated.expiresAt).toBe(T0 + 20 * SECOND);
    expect(rotated.refreshTokenExpiresAt).toBe(T0 + 30 * SECOND);
  });

  it('prefers the request’s validity to the client’s override', async () => {
    const { service } = await serviceFixture({}, { validity: { applicationAccessTokenValidity: 10, authorizationCodeValidity: 40 } });
    const issued = await service.issueAccessToken({
      consumerKey: CLIENT,
      validitySeconds: 5,
      issueRefreshToken: true,
      refreshTokenValiditySeconds: 7,
    });
    expect(issued.expiresAt).toBe(T0 + 5 * SECOND);
    expect(issued.refreshTokenExpiresAt).toBe(T0 + 7 * SECOND);
    const code = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', validitySeconds: 15 });
    expect(code.expiresAt).toBe(T0 + 15 * SECOND);
  });

  it('hands the caller its own copy of the scopes, so changing it cannot widen the stored token', async () => {
    const { service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, scopes: 'read' });
    issued.scopes.push('admin');
    expect((await service.validateAccessToken(issued.accessToken))?.scopes).toEqual(['read']);
  });
});

describe('token reuse', () => {
  it('returns the active token to a second request for the same client, user and scope set', async () => {
    const { store, clock, service } = await serviceFixture({ reuseTokens: true });
    const first = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice', scopes: 'write read', issueRefreshToken: true });
    clock.advance(100 * SECOND);
    const second = await service.issueAccessToken({
      consumerKey: CLIENT,
      userId: 'alice',
      scopes: ['read', 'write', 'read'],
      issueRefreshToken: true,
    });
    expect(second).toEqual({
      accessToken: first.accessToken,
      tokenType: 'Bearer',
      expiresIn: 3500,
      expiresAt: first.expiresAt,
      scopes: ['read', 'write'],
      grantId: first.grantId,
      reused: true,
    });
    expect(store.argsOf('insert').filter(([kind]) => kind === 'accessToken')).toHaveLength(1);
    expect(store.rowByValue('accessToken', first.accessToken).exclusive).toBe(true);
  });

  it('gives each device_ scope, user and user type its own token', async () => {
    const { service } = await serviceFixture({ reuseTokens: true });
    const phone = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice', scopes: 'read device_phone' });
    const tablet = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice', scopes: 'read device_tablet' });
    const bob = await service.issueAccessToken({ consumerKey: CLIENT, userId: 'bob', scopes: 'read device_phone' });
    const asApp = await service.issueAccessToken({
      consumerKey: CLIENT,
      userId: 'alice',
      userType: UserType.Application,
      scopes: 'read device_phone',
    });
    expect(new Set([phone, tablet, bob, asApp].map((issued) => issued.accessToken)).size).toBe(4);
    expect([phone, tablet, bob, asApp].every((issued) => !issued.reused)).toBe(true);
  });

  it('retires an expired active token (ACTIVE → EXPIRED) and issues a new one', async () => {
    const { store, clock, service } = await serviceFixture({ reuseTokens: true });
    const first = await service.issueAccessToken({ consumerKey: CLIENT, validitySeconds: 60 });
    clock.set(T0 + 60 * SECOND);
    store.clearCalls();
    const second = await service.issueAccessToken({ consumerKey: CLIENT, validitySeconds: 60 });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.reused).toBe(false);
    const firstKey = store.rowByValue('accessToken', first.accessToken).key;
    expect(store.argsOf('compareAndSetState')).toEqual([
      ['accessToken', firstKey, { from: TokenState.Active, to: TokenState.Expired, at: T0 + 60 * SECOND } satisfies StateChange],
    ]);
  });

  it('returns the token a concurrent request inserted first', async () => {
    const { store, service } = await serviceFixture({ reuseTokens: true });
    const winner = await service.issueAccessToken({ consumerKey: CLIENT, accessToken: 'winner-token-value' });
    const winnerRow = store.rowByValue('accessToken', winner.accessToken);
    store.tables.accessToken.clear(); // the loser's lookup runs before the winner's insert lands…
    store.hooks.insert = async (): Promise<InsertResult> => {
      store.tables.accessToken.set(winnerRow.key, winnerRow); // …and its insert finds the winner's row
      return { inserted: false, active: winnerRow };
    };
    const loser = await service.issueAccessToken({ consumerKey: CLIENT });
    expect(loser).toMatchObject({ accessToken: 'winner-token-value', reused: true });
  });

  it('issues a new, non-exclusive token every time when reuse is off', async () => {
    const { store, service } = await serviceFixture();
    const a = await service.issueAccessToken({ consumerKey: CLIENT, scopes: 'read' });
    const b = await service.issueAccessToken({ consumerKey: CLIENT, scopes: 'read' });
    expect(a.accessToken).not.toBe(b.accessToken);
    expect(store.argsOf('findActiveAccessToken')).toEqual([]);
    expect(store.rowByValue('accessToken', a.accessToken).exclusive).toBe(false);
    expect(store.rowByValue('accessToken', a.accessToken).reuseKey).toBe(store.rowByValue('accessToken', b.accessToken).reuseKey);
  });
});

describe('authorization codes', () => {
  it('redeems a code once, for tokens of the code’s grant', async () => {
    const { store, clock, service } = await serviceFixture();
    const issued = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', scopes: 'openid', nonce: 'n-0S6' });
    clock.advance(10 * SECOND);
    store.clearCalls();
    const tokens = await service.redeemAuthorizationCode({ code: issued.code, consumerKey: CLIENT });
    const codeKey = store.rowByValue('authorizationCode', issued.code).key;
    expect(store.argsOf('compareAndSetState')).toEqual([
      ['authorizationCode', codeKey, { from: TokenState.Active, to: TokenState.Inactive, at: T0 + 10 * SECOND }],
    ]);
    expect(tokens).toMatchObject({ grantId: issued.grantId, scopes: ['openid'], expiresAt: T0 + 10 * SECOND + HOUR });
    expect(tokens.refreshToken).toBeDefined();
    expect(store.rowByValue('accessToken', tokens.accessToken)).toMatchObject({ grantType: 'authorization_code', userId: 'alice' });
  });

  it('treats a second use as a replay: refuses it, revokes the grant and reports a security event without values', async () => {
    const { store, clock, service, events } = await serviceFixture();
    const { code, grantId } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    const tokens = await service.redeemAuthorizationCode({ code, consumerKey: CLIENT });
    clock.advance(SECOND);
    store.clearCalls();
    const error = await rejection(service.redeemAuthorizationCode({ code, consumerKey: CLIENT }));
    expect(error.code).toBe(ErrorCode.Replay);
    // Two passes: the one that revoked, and the one that found nothing left (the revocation has settled).
    expect(store.argsOf('revokeTokens')).toEqual([
      [{ grantId } satisfies RevocationFilter, T0 + SECOND],
      [{ grantId } satisfies RevocationFilter, T0 + SECOND],
    ]);
    expect(await service.validateAccessToken(tokens.accessToken)).toBeNull();
    await expect(service.refreshAccessToken({ refreshToken: tokens.refreshToken!, consumerKey: CLIENT })).rejects.toMatchObject({
      code: ErrorCode.Revoked,
    });
    expect(events).toEqual([
      {
        name: 'security',
        payload: { kind: 'code-replay', consumerKey: CLIENT, grantId, revoked: { accessToken: 1, refreshToken: 1, authorizationCode: 1 } },
      },
    ]);
    for (const value of [code, tokens.accessToken, tokens.refreshToken!]) {
      expect(JSON.stringify(events)).not.toContain(value);
      expect(error.message).not.toContain(value);
    }
  });

  it('refuses the loser of a concurrent consumption as a replay', async () => {
    const { store, service } = await serviceFixture();
    const { code } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    store.hooks.compareAndSetState = () => false; // another request consumed it between lookup and update
    await expect(service.redeemAuthorizationCode({ code, consumerKey: CLIENT })).rejects.toMatchObject({ code: ErrorCode.Replay });
    // Tokens are written before the consume, so the loser's own tokens fall to the family revocation.
    const inserted = store.argsOf('insert').filter(([kind]) => kind === 'accessToken');
    expect(inserted).toHaveLength(1);
    const revocations = store.argsOf('revokeTokens').map(([filter]) => filter);
    const grantId = (inserted[0]![1] as { grantId: string }).grantId;
    expect(revocations).toEqual([{ grantId }, { grantId }]);
    const order = store.calls.map((call) => call.method);
    expect(order.lastIndexOf('revokeTokens')).toBeGreaterThan(order.lastIndexOf('insert'));
  });

  it('does not reveal a code to another client', async () => {
    const { store, service } = await serviceFixture();
    const { code } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    store.clearCalls();
    await expect(service.redeemAuthorizationCode({ code, consumerKey: 'other-client' })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    expect(store.writes).toEqual([]);
  });

  it('refuses a revoked code', async () => {
    const { service } = await serviceFixture();
    const { code, grantId } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    await service.revokeGrant(grantId);
    await expect(service.redeemAuthorizationCode({ code, consumerKey: CLIENT })).rejects.toMatchObject({ code: ErrorCode.Revoked });
  });

  it('requires the exact redirect URI the code was issued for, and consumes nothing otherwise', async () => {
    const { store, service } = await serviceFixture({}, { redirectUris: ['https://app.example/cb'] });
    const { code } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', redirectUri: 'https://app.example/cb' });
    store.clearCalls();
    for (const redirectUri of [undefined, 'https://app.example/cb/', 'https://app.example/cb?x=1']) {
      const error = await rejection(service.redeemAuthorizationCode({ code, consumerKey: CLIENT, redirectUri }));
      expect(error).toMatchObject({ code: ErrorCode.InvalidInput, field: 'redirectUri' });
    }
    expect(store.writes).toEqual([]);
    await expect(
      service.redeemAuthorizationCode({ code, consumerKey: CLIENT, redirectUri: 'https://app.example/cb' }),
    ).resolves.toBeDefined();
  });

  it('checks an S256 PKCE verifier (RFC 7636 appendix B) before consuming the code', async () => {
    const { store, service } = await serviceFixture();
    const { code } = await service.issueAuthorizationCode({
      consumerKey: CLIENT,
      userId: 'alice',
      codeChallenge: PKCE_CHALLENGE,
      codeChallengeMethod: 'S256',
    });
    store.clearCalls();
    const missing = await rejection(service.consumeAuthorizationCode({ code, consumerKey: CLIENT }));
    expect(missing).toMatchObject({ code: ErrorCode.InvalidInput, field: 'codeVerifier' });
    const wrong = await rejection(service.consumeAuthorizationCode({ code, consumerKey: CLIENT, codeVerifier: 'x'.repeat(43) }));
    expect(wrong).toMatchObject({ code: ErrorCode.InvalidInput, field: 'codeVerifier' });
    expect(store.writes).toEqual([]);
    const info = await service.consumeAuthorizationCode({ code, consumerKey: CLIENT, codeVerifier: PKCE_VERIFIER });
    expect(info).toMatchObject({ codeChallenge: PKCE_CHALLENGE, codeChallengeMethod: 'S256', userId: 'alice' });
  });

  it('refuses a verifier for a code issued without a challenge (PKCE downgrade), consuming nothing', async () => {
    const { store, service } = await serviceFixture();
    const { code } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    store.clearCalls();
    const error = await rejection(service.redeemAuthorizationCode({ code, consumerKey: CLIENT, codeVerifier: PKCE_VERIFIER }));
    expect(error).toMatchObject({ code: ErrorCode.InvalidInput, field: 'codeVerifier' });
    expect(store.writes).toEqual([]);
  });

  it('defaults the PKCE method to plain, comparing the verifier itself', async () => {
    const { service } = await serviceFixture();
    const { code } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice', codeChallenge: PKCE_VERIFIER });
    await expect(service.consumeAuthorizationCode({ code, consumerKey: CLIENT, codeVerifier: PKCE_VERIFIER })).resolves.toMatchObject({
      codeChallengeMethod: 'plain',
    });
  });
});

describe('refresh tokens', () => {
  async function issuedWithRefresh(options: Parameters<typeof serviceFixture>[0] = {}) {
    const fixture = await serviceFixture(options);
    const issued = await fixture.service.issueAccessToken({
      consumerKey: CLIENT,
      userId: 'alice',
      scopes: 'read write',
      issueRefreshToken: true,
    });
    fixture.store.clearCalls();
    return { ...fixture, issued, refreshToken: issued.refreshToken! };
  }

  it('rotates atomically: the old refresh token is retired as the new pair of the same grant starts', async () => {
    const { store, clock, service, issued, refreshToken } = await issuedWithRefresh();
    clock.advance(10 * SECOND);
    const rotated = await service.refreshAccessToken({ refreshToken, consumerKey: CLIENT });
    const [[rotation]] = store.argsOf('rotateRefreshToken') as [[RefreshRotation]];
    expect(rotation).toMatchObject({
      key: refreshToken,
      expected: { state: 'ACTIVE', reuseCount: 0 },
      at: T0 + 10 * SECOND,
      successor: {
        refreshToken: { grantId: issued.grantId, state: TokenState.Active, issuedAt: T0 + 10 * SECOND, reuseCount: 0, rotatedAt: null },
        accessToken: { grantId: issued.grantId, grantType: 'refresh_token', issuedAt: T0 + 10 * SECOND },
      },
    });
    expect(rotated).toMatchObject({ grantId: issued.grantId, expiresAt: T0 + 10 * SECOND + HOUR });
    expect(rotated.refreshToken).not.toBe(refreshToken);
    expect(store.rowByValue('refreshToken', refreshToken)).toMatchObject({ state: TokenState.Inactive, rotatedAt: T0 + 10 * SECOND });
  });

  it('lets a narrower access token be asked for while the family keeps its original scopes', async () => {
    const { store, service, refreshToken } = await issuedWithRefresh();
    const rotated = await service.refreshAccessToken({ refreshToken, consumerKey: CLIENT, scopes: 'read' });
    expect(rotated.scopes).toEqual(['read']);
    expect(store.rowByValue('refreshToken', rotated.refreshToken!).scopes).toEqual(['read', 'write']);
  });

  it('treats a rotated token presented again as reuse by default: revokes the grant and reports it', async () => {
    const { store, service, events, issued, refreshToken } = await issuedWithRefresh();
    const rotated = await service.refreshAccessToken({ refreshToken, consumerKey: CLIENT });
    store.clearCalls();
    const error = await rejection(service.refreshAccessToken({ refreshToken, consumerKey: CLIENT }));
    expect(error.code).toBe(ErrorCode.ReuseDetected);
    expect(store.argsOf('revokeTokens')).toEqual([
      [{ grantId: issued.grantId }, T0],
      [{ grantId: issued.grantId }, T0],
    ]);
    expect(store.argsOf('rotateRefreshToken')).toEqual([]);
    expect(await service.validateAccessToken(rotated.accessToken)).toBeNull();
    expect(events).toEqual([
      {
        name: 'security',
        payload: {
          kind: 'refresh-reuse',
          consumerKey: CLIENT,
          grantId: issued.grantId,
          revoked: { accessToken: 2, refreshToken: 2, authorizationCode: 0 },
        },
      },
    ]);
    for (const value of [refreshToken, rotated.refreshToken!, rotated.accessToken, issued.accessToken])
      expect(JSON.stringify(events) + error.message).not.toContain(value);
  });

  it('accepts a rotated token again inside the grace period, up to the reuse count', async () => {
    const { store, clock, service, refreshToken } = await issuedWithRefresh({ refresh: { gracePeriodSeconds: 30, maxReuseCount: 1 } });
    clock.advance(10 * SECOND);
    await service.refreshAccessToken({ refreshToken, consumerKey: CLIENT });
    const rotatedAt = T0 + 10 * SECOND;
    clock.set(rotatedAt + 30 * SECOND); // the last millisecond of the grace period
    store.clearCalls();
    const again = await service.refreshAccessToken({ refreshToken, consumerKey: CLIENT });
    expect(again.refreshToken).toBeDefined();
    expect(store.argsOf('rotateRefreshToken')[0]?.[0]).toMatchObject({ expected: { state: 'INACTIVE', reuseCount: 0 } });
    expect(store.argsOf('revokeTokens')).toEqual([]);
    // The reuse count is spent: the next presentation is reuse, even inside the window.
    await expect(service.refreshAccessToken({ refreshToken, consumerKey: CLIENT })).rejects.toMatchObject({
      code: ErrorCode.ReuseDetected,
    });
  });

  it('treats a rotated token as reuse one millisecond after the grace period', async () => {
    const { store, clock, service, issued, refreshToken } = await issuedWithRefresh({
      refresh: { gracePeriodSeconds: 30, maxReuseCount: 5 },
    });
    await service.refreshAccessToken({ refreshToken, consumerKey: CLIENT });
    clock.set(T0 + 30 * SECOND + 1);
    store.clearCalls();
    await expect(service.refreshAccessToken({ refreshToken, consumerKey: CLIENT })).rejects.toMatchObject({
      code: ErrorCode.ReuseDetected,
    });
    expect(store.argsOf('revokeTokens')).toEqual([
      [{ grantId: issued.grantId }, T0 + 30 * SECOND + 1],
      [{ grantId: issued.grantId }, T0 + 30 * SECOND + 1],
    ]);
  });

  it('refuses the loser of a concurrent rotation with CONFLICT, revoking nothing', async () => {
    const { store, service, refreshToken } = await issuedWithRefresh();
    store.hooks.rotateRefreshToken = () => false;
    await expect(service.refreshAccessToken({ refreshToken, consumerKey: CLIENT })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    expect(store.argsOf('revokeTokens')).toEqual([]);
  });

  it('refuses expired, revoked, unknown and other clients’ refresh tokens, writing nothing', async () => {
    const { store, clock, service, issued, refreshToken } = await issuedWithRefresh();
    await expect(service.refreshAccessToken({ refreshToken: 'unknown-refresh-token', consumerKey: CLIENT })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    await expect(service.refreshAccessToken({ refreshToken, consumerKey: 'other-client' })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    clock.set(issued.refreshTokenExpiresAt!);
    await expect(service.refreshAccessToken({ refreshToken, consumerKey: CLIENT })).rejects.toMatchObject({ code: ErrorCode.Expired });
    expect(store.writes).toEqual([]);
    clock.set(T0);
    await service.revokeRefreshToken(refreshToken);
    store.clearCalls();
    await expect(service.refreshAccessToken({ refreshToken, consumerKey: CLIENT })).rejects.toMatchObject({ code: ErrorCode.Revoked });
    expect(store.writes).toEqual([]);
  });
});

describe('revocation', () => {
  it('revokes one access token by compare-and-set from ACTIVE to REVOKED', async () => {
    const { store, clock, service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT });
    clock.advance(SECOND);
    store.clearCalls();
    expect(await service.revokeAccessToken(issued.accessToken)).toBe(true);
    expect(store.argsOf('compareAndSetState')).toEqual([
      ['accessToken', issued.accessToken, { from: TokenState.Active, to: TokenState.Revoked, at: T0 + SECOND }],
    ]);
    expect(await service.validateAccessToken(issued.accessToken)).toBeNull();
    expect(await service.revokeAccessToken(issued.accessToken)).toBe(false);
  });

  it('answers false for an unknown token, writing nothing', async () => {
    const { store, service } = await serviceFixture();
    expect(await service.revokeAccessToken('unknown-access-token')).toBe(false);
    expect(await service.revokeRefreshToken('unknown-refresh-token')).toBe(false);
    expect(await service.revokeToken('unknown-token')).toBe(false);
    expect(store.writes).toEqual([]);
  });

  it('revokes a refresh token with its whole grant (RFC 7009)', async () => {
    const { store, service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT, issueRefreshToken: true });
    store.clearCalls();
    expect(await service.revokeRefreshToken(issued.refreshToken!)).toBe(true);
    expect(store.argsOf('revokeTokens')).toEqual([
      [{ grantId: issued.grantId }, T0],
      [{ grantId: issued.grantId }, T0],
    ]);
    expect(await service.validateAccessToken(issued.accessToken)).toBeNull();
  });

  it('tries the hinted kind first (RFC 7009), then the other', async () => {
    const { store, service } = await serviceFixture();
    const issued = await service.issueAccessToken({ consumerKey: CLIENT });
    store.clearCalls();
    expect(await service.revokeToken(issued.accessToken, 'refresh_token')).toBe(true);
    expect(store.argsOf('get').map(([kind]) => kind)).toEqual(['refreshToken', 'accessToken']);
    store.clearCalls();
    const other = await service.issueAccessToken({ consumerKey: CLIENT });
    store.clearCalls();
    expect(await service.revokeToken(other.accessToken)).toBe(true);
    expect(store.argsOf('get').map(([kind]) => kind)).toEqual(['accessToken']);
  });

  it.each<[string, (service: TokenService) => Promise<unknown>, RevocationFilter]>([
    ['all tokens of a user', (s) => s.revokeTokensOfUser('alice'), { userId: 'alice' }],
    [
      'a user’s tokens at one client, of one user type',
      (s) => s.revokeTokensOfUser('alice', { consumerKey: CLIENT, userType: UserType.ApplicationUser }),
      { userId: 'alice', consumerKey: CLIENT, userType: UserType.ApplicationUser },
    ],
    ['all tokens of a client', (s) => s.revokeTokensOfClient(CLIENT), { consumerKey: CLIENT }],
    ['a grant family', (s) => s.revokeGrant('grant-1'), { grantId: 'grant-1' }],
  ])('revokes %s through revokeTokens with the matching filter', async (_, revoke, filter) => {
    const { store, clock, service } = await serviceFixture();
    clock.advance(7 * SECOND);
    await revoke(service);
    expect(store.writes).toEqual([{ method: 'revokeTokens', args: [filter, T0 + 7 * SECOND] }]);
  });

  it('passes the store’s counts back', async () => {
    const { service } = await serviceFixture();
    await service.issueAccessToken({ consumerKey: CLIENT, userId: 'alice', issueRefreshToken: true });
    await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    await service.issueAccessToken({ consumerKey: CLIENT, userId: 'bob' });
    expect(await service.revokeTokensOfUser('alice')).toEqual({ accessToken: 1, refreshToken: 1, authorizationCode: 1 });
  });

  it('deletes a client after revoking its tokens, unless told not to', async () => {
    const { store, service } = await serviceFixture();
    expect(await service.deleteClient(CLIENT)).toBe(true);
    expect(store.writes.map((call) => call.method)).toEqual(['revokeTokens', 'deleteClient']);
    expect(store.argsOf('revokeTokens')).toEqual([[{ consumerKey: CLIENT }, T0]]);
    await service.registerClient({ consumerKey: CLIENT });
    store.clearCalls();
    expect(await service.deleteClient(CLIENT, { revokeTokens: false })).toBe(true);
    expect(store.writes.map((call) => call.method)).toEqual(['deleteClient']);
    expect(await service.deleteClient(CLIENT, { revokeTokens: false })).toBe(false);
  });
});

describe('events', () => {
  it('never carry a token, code or secret through a whole token lifecycle', async () => {
    const { store, clock, service, events } = await serviceFixture({ retention: { inactiveSeconds: 0 } });
    const values: string[] = [CLIENT_SECRET];
    const client = await service.registerClient();
    values.push(client.consumerSecret);
    const app = await service.issueAccessToken({ consumerKey: CLIENT, issueRefreshToken: true });
    values.push(app.accessToken, app.refreshToken!);
    const { code } = await service.issueAuthorizationCode({ consumerKey: CLIENT, userId: 'alice' });
    values.push(code);
    const redeemed = await service.redeemAuthorizationCode({ code, consumerKey: CLIENT });
    values.push(redeemed.accessToken, redeemed.refreshToken!);
    await expect(service.redeemAuthorizationCode({ code, consumerKey: CLIENT })).rejects.toMatchObject({ code: ErrorCode.Replay });
    const rotated = await service.refreshAccessToken({ refreshToken: app.refreshToken!, consumerKey: CLIENT });
    values.push(rotated.accessToken, rotated.refreshToken!);
    await expect(service.refreshAccessToken({ refreshToken: app.refreshToken!, consumerKey: CLIENT })).rejects.toMatchObject({
      code: ErrorCode.ReuseDetected,
    });
    // Past every expiry: retired rows wait for their expired retention too.
    clock.advance(2 * 24 * HOUR);
    const purged = await service.purgeExpired();
    expect(purged.removed.accessToken + purged.removed.refreshToken + purged.removed.authorizationCode).toBeGreaterThan(0);
    expect(events.map((event) => event.name)).toEqual(['security', 'security', 'purge']);
    const serialized = JSON.stringify(events);
    for (const value of values) expect(serialized).not.toContain(value);
    expect(store.writes.length).toBeGreaterThan(0);
  });

  it('report a lookup found through the migration fallback chain by scheme tag only', async () => {
    const store = new RecordingStore();
    const protector = new FallbackStubProtector();
    const service = new TokenService({ store, protector, requireRegisteredClient: false });
    const events = recordEvents(service.events);
    const issued = await service.issueAccessToken({ consumerKey: CLIENT });
    // Re-key the row as it was stored before the migration.
    const row = store.rowByValue('accessToken', issued.accessToken);
    store.tables.accessToken.delete(row.key);
    const legacy: StoredAccessToken = { ...row, key: protector.legacyKey(issued.accessToken) };
    store.tables.accessToken.set(legacy.key, legacy);
    expect(await service.validateAccessToken(issued.accessToken)).toMatchObject({ consumerKey: CLIENT });
    expect(events).toEqual([{ name: 'protection:fallback', payload: { kind: 'accessToken', index: 1, scheme: 'stub-old' } }]);
    expect(JSON.stringify(events)).not.toContain(legacy.key);
  });
});

describe('purge and lifecycle', () => {
  it('purges on demand with the configured retention', async () => {
    const { store, clock, service } = await serviceFixture({
      retention: { inactiveSeconds: 600, expiredSeconds: 60 },
      purge: { batchSize: 10 },
    });
    clock.advance(HOUR);
    const event = await service.purgeExpired();
    expect(event.batches).toBe(3);
    expect(store.argsOf('purge')[0]).toEqual([
      'accessToken',
      { now: T0 + HOUR, expiredBefore: T0 + HOUR - 60 * SECOND, inactiveBefore: T0 + HOUR - 600 * SECOND, limit: 10 },
    ]);
  });

  it('close() stops the purger and closes the store', async () => {
    const { store, service } = await serviceFixture();
    await service.close();
    expect(store.closed).toBe(true);
    expect(store.calls.map((call) => call.method)).toEqual(['releasePurgeLease', 'close']);
  });
});

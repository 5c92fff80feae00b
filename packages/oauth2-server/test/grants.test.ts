import { TokenState, UserType } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { countRows, frameworkFixture, pkcePair, REDIRECT_URI, SECRET } from './support/framework.js';

const SECOND = 1000;

describe('client credentials through the real framework', () => {
  it('issues an application token the service validates, with no-store headers and no refresh token', async () => {
    const f = await frameworkFixture();
    const answer = await f.token({ grant_type: 'client_credentials', scope: 'read write' });
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
    // expires_in is the framework's: from the service's expiry to its own Date.now().
    expect(answer.body.expires_in).toBeGreaterThan(3500);
    expect(answer.body.expires_in).toBeLessThanOrEqual(3600);
    expect(answer.body.refresh_token).toBeUndefined();
    const info = await f.service.validateAccessToken(answer.body.access_token as string);
    expect(info?.expiresAt).toBe(f.clock.now() + 3600 * SECOND);
    expect(info).toMatchObject({
      consumerKey: f.clientId,
      userId: f.clientId,
      userType: UserType.Application,
      scopes: ['read', 'write'],
      grantType: 'client_credentials',
    });
  });

  it('authenticates the client by HTTP Basic as well as by form fields', async () => {
    const f = await frameworkFixture();
    const answer = await f.token({ grant_type: 'client_credentials' }, { basic: [f.clientId, SECRET] });
    expect(answer.status).toBe(200);
    expect(await f.service.validateAccessToken(answer.body.access_token as string)).not.toBeNull();
  });

  it('answers invalid_client for a wrong secret (401 with WWW-Authenticate when Basic was used) and stores nothing', async () => {
    const f = await frameworkFixture();
    const before = await countRows(f.store);
    const form = await f.token({ grant_type: 'client_credentials' }, { form: [f.clientId, `${SECRET}x`] });
    expect(form).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    const basic = await f.token({ grant_type: 'client_credentials' }, { basic: [f.clientId, 'wrong-secret'] });
    expect(basic).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(basic.headers['www-authenticate']).toMatch(/^Basic/);
    const unknown = await f.token({ grant_type: 'client_credentials' }, { form: ['no-such-client', SECRET] });
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    expect(await countRows(f.store)).toBe(before);
  });

  it('refuses a grant type the client is not registered for (unauthorized_client)', async () => {
    const f = await frameworkFixture({ client: { grantTypes: ['client_credentials'] } });
    const answer = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland' });
    expect(answer).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
  });
});

describe('token reuse and device_ scopes (TokenService policy through the framework)', () => {
  it('hands the same active token back to a second request for the same client, user and scope set', async () => {
    const f = await frameworkFixture({ service: { reuseTokens: true } });
    const first = await f.token({ grant_type: 'client_credentials', scope: 'read write' });
    const second = await f.token({ grant_type: 'client_credentials', scope: 'write read' });
    expect(second.body.access_token).toBe(first.body.access_token);
  });

  it('gives each device its own token through device_ scopes', async () => {
    const f = await frameworkFixture({ service: { reuseTokens: true }, client: { allowedScopes: ['read', 'device_*'] } });
    const ipad = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland', scope: 'read device_ipad' });
    const phone = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland', scope: 'read device_phone' });
    const ipadAgain = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland', scope: 'device_ipad read' });
    expect(ipad.status).toBe(200);
    expect(phone.body.access_token).not.toBe(ipad.body.access_token);
    expect(ipadAgain.body.access_token).toBe(ipad.body.access_token);
    // A reused token comes back without a refresh token (WSO2 semantics).
    expect(ipad.body.refresh_token).toBeDefined();
    expect(ipadAgain.body.refresh_token).toBeUndefined();
  });

  it('issues a new token per request when reuse is off', async () => {
    const f = await frameworkFixture();
    const first = await f.token({ grant_type: 'client_credentials', scope: 'read' });
    const second = await f.token({ grant_type: 'client_credentials', scope: 'read' });
    expect(second.body.access_token).not.toBe(first.body.access_token);
  });
});

describe('password grant', () => {
  it('issues a user token and a refresh token for the right password', async () => {
    const f = await frameworkFixture();
    const answer = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland', scope: 'profile' });
    expect(answer.status).toBe(200);
    expect(answer.body.refresh_token).toEqual(expect.any(String));
    expect(await f.service.validateAccessToken(answer.body.access_token as string)).toMatchObject({
      userId: 'alice',
      userType: UserType.ApplicationUser,
      grantType: 'password',
      scopes: ['profile'],
    });
  });

  it('answers invalid_grant for a wrong password, and when no authenticateUser is configured, storing nothing', async () => {
    const f = await frameworkFixture();
    const before = await countRows(f.store);
    const wrong = await f.token({ grant_type: 'password', username: 'alice', password: 'builder' });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const bare = await frameworkFixture({ model: { authenticateUser: undefined } });
    const refused = await bare.token({ grant_type: 'password', username: 'alice', password: 'wonderland' });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await countRows(f.store)).toBe(before);
  });

  it('can leave the refresh token out (refreshTokenOnPasswordGrant: false)', async () => {
    const f = await frameworkFixture({ model: { refreshTokenOnPasswordGrant: false } });
    const answer = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland' });
    expect(answer.status).toBe(200);
    expect(answer.body.refresh_token).toBeUndefined();
  });
});

describe('authorization code with PKCE', () => {
  async function codeFor(f: Awaited<ReturnType<typeof frameworkFixture>>, challenge: string, extra: Record<string, string> = {}) {
    const answer = await f.authorize({
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile',
      state: 'xyz',
      code_challenge: challenge,
      ...extra,
    });
    expect(answer.status).toBe(302);
    expect(answer.location?.searchParams.get('state')).toBe('xyz');
    return answer.location!.searchParams.get('code')!;
  }

  it('issues a code the service stored (not the framework’s value) and redeems it for tokens of the code’s grant', async () => {
    const f = await frameworkFixture();
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(f, challenge);
    const record = await f.service.inspectAuthorizationCode(code);
    expect(record).toMatchObject({
      userId: 'alice',
      scopes: ['openid', 'profile'],
      codeChallengeMethod: 'S256',
      redirectUri: REDIRECT_URI,
    });
    const answer = await f.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile' });
    const info = await f.service.validateAccessToken(answer.body.access_token as string);
    expect(info).toMatchObject({ userId: 'alice', grantId: record!.grantId, grantType: 'authorization_code' });
    expect(await f.service.inspectRefreshToken(answer.body.refresh_token as string)).toMatchObject({ grantId: record!.grantId });
    expect(await f.service.inspectAuthorizationCode(code)).toMatchObject({ state: TokenState.Inactive });
  });

  it('treats a replayed code as invalid_grant and revokes every token issued from it', async () => {
    const f = await frameworkFixture();
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(f, challenge);
    const params = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    const first = await f.token(params);
    expect(first.status).toBe(200);
    const replay = await f.token(params);
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(String(replay.body.error_description)).toMatch(/already used/);
    expect(await f.service.validateAccessToken(first.body.access_token as string)).toBeNull();
    expect(await f.service.inspectRefreshToken(first.body.refresh_token as string)).toMatchObject({ state: TokenState.Revoked });
    const refreshed = await f.token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string });
    expect(refreshed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('lets exactly one of two concurrent redemptions win, and leaves no token of the grant valid', async () => {
    const f = await frameworkFixture();
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(f, challenge);
    const params = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    const answers = await Promise.all([f.token(params), f.token(params)]);
    const winners = answers.filter((a) => a.status === 200);
    expect(answers.filter((a) => a.body.error === 'invalid_grant')).toHaveLength(answers.length - winners.length);
    expect(winners.length).toBeLessThanOrEqual(1);
    for (const winner of winners) expect(await f.service.validateAccessToken(winner.body.access_token as string)).toBeNull();
  });

  it('refuses a wrong verifier or a missing one (invalid_grant) and a different redirect URI (invalid_request)', async () => {
    const f = await frameworkFixture();
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(f, challenge);
    const wrong = await f.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: pkcePair().verifier });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const redirect = await f.token({ grant_type: 'authorization_code', code, redirect_uri: `${REDIRECT_URI}/x`, code_verifier: verifier });
    expect(redirect).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // Compromise (see README): the code is consumed only when tokens are issued, as in TokenService.
    const right = await f.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(right.status).toBe(200);
  });

  it('refuses a code presented by another client, without revoking anything', async () => {
    const f = await frameworkFixture();
    const other = await f.service.registerClient({
      consumerSecret: SECRET,
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code'],
    });
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(f, challenge);
    const stolen = await f.token(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      { form: [other.consumerKey, SECRET] },
    );
    expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await f.service.inspectAuthorizationCode(code)).toMatchObject({ state: TokenState.Active });
  });

  it('refuses an expired code (service clock)', async () => {
    const f = await frameworkFixture();
    const { verifier, challenge } = pkcePair();
    const code = await codeFor(f, challenge);
    f.clock.advance(301 * SECOND);
    const answer = await f.token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses the plain PKCE method (the framework’s default) and an unregistered redirect URI', async () => {
    const f = await frameworkFixture();
    const plain = await f.authorize({ redirect_uri: REDIRECT_URI, code_challenge: pkcePair().verifier, code_challenge_method: 'plain' });
    expect(plain.location?.searchParams.get('error')).toBe('invalid_request');
    const before = await countRows(f.store);
    const unregistered = await f.authorize({ redirect_uri: 'https://evil.example/cb', code_challenge: pkcePair().challenge });
    expect(unregistered.location).toBeUndefined();
    expect(await countRows(f.store)).toBe(before);
  });

  it('refuses a token request with PKCE but without the client secret, unless public clients are allowed', async () => {
    for (const allowPublicClients of [false, true]) {
      const f = await frameworkFixture({ model: { allowPublicClients } });
      const { verifier, challenge } = pkcePair();
      const code = await codeFor(f, challenge);
      const answer = await f.token(
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: f.clientId },
        { form: null },
      );
      expect(answer.status).toBe(allowPublicClients ? 200 : 400);
      if (!allowPublicClients) expect(answer.body.error).toBe('invalid_client');
    }
  });
});

describe('refresh tokens: rotation and reuse detection', () => {
  async function passwordTokens(options: Parameters<typeof frameworkFixture>[0] = {}) {
    const f = await frameworkFixture(options);
    const first = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland', scope: 'read write' });
    return { f, first, refreshToken: first.body.refresh_token as string };
  }

  it('rotates: a new pair of the same grant, the old refresh token retired', async () => {
    const { f, first, refreshToken } = await passwordTokens();
    const grantId = (await f.service.inspectRefreshToken(refreshToken))!.grantId;
    const rotated = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(refreshToken);
    expect(rotated.body.scope).toBe('read write');
    expect(await f.service.inspectRefreshToken(refreshToken)).toMatchObject({ state: TokenState.Inactive });
    expect(await f.service.validateAccessToken(rotated.body.access_token as string)).toMatchObject({ grantId, grantType: 'refresh_token' });
    expect(await f.service.validateAccessToken(first.body.access_token as string)).not.toBeNull();
  });

  it('revokes the whole family when a rotated refresh token is presented again', async () => {
    const { f, refreshToken } = await passwordTokens();
    const rotated = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    const reuse = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(String(reuse.body.error_description)).toMatch(/already used/);
    expect(await f.service.validateAccessToken(rotated.body.access_token as string)).toBeNull();
    const next = await f.token({ grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token as string });
    expect(next).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('tolerates a reuse inside the grace period (refresh.gracePeriodSeconds / maxReuseCount), then detects the next', async () => {
    const { f, refreshToken } = await passwordTokens({ service: { refresh: { gracePeriodSeconds: 30, maxReuseCount: 1 } } });
    const rotated = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    f.clock.advance(5 * SECOND);
    const retry = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(retry.status).toBe(200);
    expect(await f.service.validateAccessToken(rotated.body.access_token as string)).not.toBeNull();
    const third = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(third).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await f.service.validateAccessToken(retry.body.access_token as string)).toBeNull();
  });

  it('narrows scopes on request but refuses extra ones (invalid_scope), rotating nothing', async () => {
    const { f, refreshToken } = await passwordTokens();
    const wider = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'read admin' });
    expect(wider).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(await f.service.inspectRefreshToken(refreshToken)).toMatchObject({ state: TokenState.Active });
    const narrower = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'read' });
    expect(narrower).toMatchObject({ status: 200, body: { scope: 'read' } });
  });

  it('refuses another client’s refresh token, an expired one and a revoked one', async () => {
    const { f, refreshToken } = await passwordTokens();
    const other = await f.service.registerClient({ consumerSecret: SECRET, grantTypes: ['refresh_token'] });
    const stolen = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, { form: [other.consumerKey, SECRET] });
    expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await f.service.inspectRefreshToken(refreshToken)).toMatchObject({ state: TokenState.Active });
    f.clock.advance(86401 * SECOND);
    const expired = await f.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(expired).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const again = await passwordTokens();
    await again.f.service.revokeRefreshToken(again.refreshToken);
    const revoked = await again.f.token({ grant_type: 'refresh_token', refresh_token: again.refreshToken });
    expect(revoked).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});

describe('protected resources (authenticate) and revocation', () => {
  it('accepts an active token with its scopes, refuses a missing scope and a revoked token', async () => {
    const f = await frameworkFixture();
    const issued = await f.token({ grant_type: 'client_credentials', scope: 'read' });
    const token = issued.body.access_token as string;
    const ok = await f.authenticate(token, ['read']);
    expect(ok.status).toBe(200);
    expect(ok.token).toMatchObject({ scope: ['read'], client: { id: f.clientId } });
    expect((await f.authenticate(token, ['write'])).body.error).toBe('insufficient_scope');
    await f.service.revokeAccessToken(token);
    expect(await f.authenticate(token)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect((await f.authenticate('x'.repeat(9000))).status).toBe(401);
  });

  it('revokeToken called directly on a refresh token revokes it and its grant', async () => {
    const f = await frameworkFixture();
    const issued = await f.token({ grant_type: 'password', username: 'alice', password: 'wonderland' });
    const refreshToken = issued.body.refresh_token as string;
    const revoked = await f.model.revokeToken({ refreshToken, client: { id: f.clientId, grants: [] }, user: { id: 'alice' } });
    expect(revoked).toBe(true);
    expect(await f.service.validateAccessToken(issued.body.access_token as string)).toBeNull();
  });
});

import { ErrorCode, pkceChallenge, type TokenService } from '@tokenstore/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_REDIRECT_URIS, type ConformanceContext } from '../context.js';
import { expectTokenStoreError } from '../expect-error.js';
import { snapshotRows } from '../storage-search.js';
import { randomValue, randomVerifier } from './fixtures.js';

/** What each case may use: the seeded tokens, code and verifier. */
interface Seed {
  service: TokenService;
  consumerKey: string;
  accessToken: string;
  refreshToken: string;
  code: string;
  verifier: string;
}

interface BadInputCase {
  name: string;
  code: ErrorCode;
  call: (seed: Seed) => Promise<unknown>;
}

// Deliberately wrong arguments: the type system would refuse them, callers in JavaScript will not.
// biome-ignore lint/suspicious/noExplicitAny: see above
const loose = (value: unknown): any => value;

const INVALID_TOKENS: Array<[string, unknown]> = [
  ['an empty token', ''],
  ['a token of 8193 characters', 'a'.repeat(8193)],
  ['a token with a space', 'abc def'],
  ['a token with a tab', 'abc\tdef'],
  ['a token with a newline', 'abc\ndef'],
  ['a token with a NUL character', 'abc\u0000def'],
  ['a token with a non-ASCII character', 'abcdéf'],
  ['a token that is not a string', 42],
  ['a token that is null', null],
];

const INVALID_SCOPES: Array<[string, unknown]> = [
  ['a scope with a space inside', ['read write']],
  ['a scope with a double quote', ['read"']],
  ['a scope with a backslash', ['read\\write']],
  ['a scope with a control character', ['read\u0007']],
  ['an empty scope', ['']],
  ['a scope that is not a string', [7]],
  ['scopes that are neither a list nor a string', { read: true }],
];

const INVALID_VALIDITIES: Array<[string, unknown]> = [
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['1.5', 1.5],
  ['0', 0],
  ['more than 100 years', 100 * 365 * 24 * 3600 + 1],
  ['a string', '3600'],
];

function cases(): BadInputCase[] {
  const list: BadInputCase[] = [];
  const invalid = (name: string, call: BadInputCase['call'], code: ErrorCode = ErrorCode.InvalidInput) => list.push({ name, code, call });

  for (const [what, token] of INVALID_TOKENS) {
    invalid(`validateAccessToken with ${what}`, (s) => s.service.validateAccessToken(loose(token)));
    invalid(`revokeAccessToken with ${what}`, (s) => s.service.revokeAccessToken(loose(token)));
    invalid(`refreshAccessToken with ${what}`, (s) =>
      s.service.refreshAccessToken({ refreshToken: loose(token), consumerKey: s.consumerKey }),
    );
    invalid(`redeemAuthorizationCode with ${what}`, (s) =>
      s.service.redeemAuthorizationCode({ code: loose(token), consumerKey: s.consumerKey }),
    );
    invalid(`issueAccessToken supplying ${what}`, (s) =>
      s.service.issueAccessToken({ consumerKey: s.consumerKey, accessToken: loose(token) }),
    );
  }
  for (const [what, scopes] of INVALID_SCOPES) {
    invalid(`issueAccessToken with ${what}`, (s) => s.service.issueAccessToken({ consumerKey: s.consumerKey, scopes: loose(scopes) }));
    invalid(`issueAuthorizationCode with ${what}`, (s) =>
      s.service.issueAuthorizationCode({ consumerKey: s.consumerKey, userId: 'alice', scopes: loose(scopes) }),
    );
  }
  invalid('issueAccessToken with a scope string holding a control character', (s) =>
    s.service.issueAccessToken({ consumerKey: s.consumerKey, scopes: 'read\u0001write' }),
  );
  invalid('issueAccessToken with more than 100 scopes', (s) =>
    s.service.issueAccessToken({ consumerKey: s.consumerKey, scopes: Array.from({ length: 101 }, (_, i) => `scope-${i}`) }),
  );
  for (const [what, validity] of INVALID_VALIDITIES) {
    invalid(`issueAccessToken with a validity of ${what}`, (s) =>
      s.service.issueAccessToken({ consumerKey: s.consumerKey, validitySeconds: loose(validity) }),
    );
    invalid(`issueAccessToken with a refresh validity of ${what}`, (s) =>
      s.service.issueAccessToken({ consumerKey: s.consumerKey, issueRefreshToken: true, refreshTokenValiditySeconds: loose(validity) }),
    );
    invalid(`issueAuthorizationCode with a validity of ${what}`, (s) =>
      s.service.issueAuthorizationCode({ consumerKey: s.consumerKey, userId: 'alice', validitySeconds: loose(validity) }),
    );
    invalid(`registerClient with a validity override of ${what}`, (s) =>
      s.service.registerClient({ validity: { userAccessTokenValidity: loose(validity) } }),
    );
  }
  invalid(
    'issueAccessToken for an unknown client',
    (s) => s.service.issueAccessToken({ consumerKey: 'unknown-client' }),
    ErrorCode.InvalidClient,
  );
  invalid(
    'issueAuthorizationCode for an unknown client',
    (s) => s.service.issueAuthorizationCode({ consumerKey: 'unknown-client', userId: 'alice' }),
    ErrorCode.InvalidClient,
  );
  invalid('issueAccessToken without a consumer key', (s) => s.service.issueAccessToken(loose({ userId: 'alice' })));
  invalid('issueAccessToken with an empty consumer key', (s) => s.service.issueAccessToken({ consumerKey: '' }));
  invalid('issueAccessToken with a consumer key of 256 characters', (s) => s.service.issueAccessToken({ consumerKey: 'k'.repeat(256) }));
  invalid('issueAccessToken with a user id holding a control character', (s) =>
    s.service.issueAccessToken({ consumerKey: s.consumerKey, userId: 'ali\u0000ce' }),
  );
  invalid('issueAccessToken with a user id with surrounding spaces', (s) =>
    s.service.issueAccessToken({ consumerKey: s.consumerKey, userId: ' alice ' }),
  );
  invalid('issueAccessToken with an unknown user type', (s) =>
    s.service.issueAccessToken({ consumerKey: s.consumerKey, userId: 'alice', userType: loose('ADMIN') }),
  );
  invalid('issueAccessToken with a non-boolean issueRefreshToken', (s) =>
    s.service.issueAccessToken({ consumerKey: s.consumerKey, issueRefreshToken: loose('yes') }),
  );
  for (const [what, request] of [
    ['null', null],
    ['a string', 'consumerKey'],
    ['an array', []],
    ['a number', 1],
  ] as const) {
    invalid(`issueAccessToken with a request that is ${what}`, (s) => s.service.issueAccessToken(loose(request)));
    invalid(`issueAuthorizationCode with a request that is ${what}`, (s) => s.service.issueAuthorizationCode(loose(request)));
    invalid(`redeemAuthorizationCode with a request that is ${what}`, (s) => s.service.redeemAuthorizationCode(loose(request)));
    invalid(`refreshAccessToken with a request that is ${what}`, (s) => s.service.refreshAccessToken(loose(request)));
  }
  invalid('registerClient with a secret shorter than 32 characters', (s) => s.service.registerClient({ consumerSecret: randomValue(31) }));
  invalid('registerClient with a secret holding a space', (s) =>
    s.service.registerClient({ consumerSecret: `${randomValue(20)} ${randomValue(20)}` }),
  );
  invalid('regenerateClientSecret with a secret shorter than 32 characters', (s) =>
    s.service.regenerateClientSecret(s.consumerKey, { consumerSecret: randomValue(31) }),
  );
  for (const [what, uri] of [
    ['that is not a URI', 'not a uri'],
    ['that is relative', '/callback'],
    ['with a fragment', 'https://client.example.com/cb#top'],
    ['with whitespace', 'https://client.example.com/c b'],
    ['of 2049 characters', `https://client.example.com/${'a'.repeat(2049 - 27)}`],
  ] as const) {
    invalid(`registerClient with a redirect URI ${what}`, (s) => s.service.registerClient({ redirectUris: [uri] }));
    invalid(`issueAuthorizationCode with a redirect URI ${what}`, (s) =>
      s.service.issueAuthorizationCode({ consumerKey: s.consumerKey, userId: 'alice', redirectUri: uri }),
    );
    invalid(`redeemAuthorizationCode with a redirect URI ${what}`, (s) =>
      s.service.redeemAuthorizationCode({ code: s.code, consumerKey: s.consumerKey, redirectUri: uri }),
    );
  }
  invalid('registerClient with grant types that are not a list', (s) =>
    s.service.registerClient({ grantTypes: loose('client_credentials') }),
  );
  invalid('registerClient with an unknown validity field', (s) =>
    s.service.registerClient({ validity: loose({ accessTokenValidity: 60 }) }),
  );
  invalid('registerClient with a malformed allowed scope', (s) => s.service.registerClient({ allowedScopes: ['not ok'] }));
  invalid('registerClient with a non-boolean resourceServer', (s) => s.service.registerClient({ resourceServer: loose('yes') }));
  invalid('updateClient with a malformed allowed scope', (s) => s.service.updateClient(s.consumerKey, { allowedScopes: ['"q"'] }));
  invalid('updateClient with a redirect URI that is not a URI', (s) => s.service.updateClient(s.consumerKey, { redirectUris: ['nope'] }));
  invalid('updateClient of an unknown client', (s) => s.service.updateClient('unknown-client', { name: 'x' }), ErrorCode.NotFound);
  invalid('issueAuthorizationCode with a redirect URI the client did not register', (s) =>
    s.service.issueAuthorizationCode({ consumerKey: s.consumerKey, userId: 'alice', redirectUri: 'https://attacker.example/cb' }),
  );
  invalid('issueAuthorizationCode with a PKCE challenge that is too short', (s) =>
    s.service.issueAuthorizationCode({ consumerKey: s.consumerKey, userId: 'alice', codeChallenge: 'short', codeChallengeMethod: 'S256' }),
  );
  invalid('issueAuthorizationCode with an unknown PKCE method', (s) =>
    s.service.issueAuthorizationCode({
      consumerKey: s.consumerKey,
      userId: 'alice',
      codeChallenge: randomVerifier(),
      codeChallengeMethod: loose('S512'),
    }),
  );
  invalid('issueAuthorizationCode with a PKCE method but no challenge', (s) =>
    s.service.issueAuthorizationCode({ consumerKey: s.consumerKey, userId: 'alice', codeChallengeMethod: 'S256' }),
  );
  invalid('redeemAuthorizationCode with a PKCE verifier that is too short', (s) =>
    s.service.redeemAuthorizationCode({
      code: s.code,
      consumerKey: s.consumerKey,
      redirectUri: CLIENT_REDIRECT_URIS[0],
      codeVerifier: 'short',
    }),
  );
  invalid('redeemAuthorizationCode with a PKCE verifier holding a forbidden character', (s) =>
    s.service.redeemAuthorizationCode({
      code: s.code,
      consumerKey: s.consumerKey,
      redirectUri: CLIENT_REDIRECT_URIS[0],
      codeVerifier: `${s.verifier.slice(0, 50)}+`,
    }),
  );
  invalid('redeemAuthorizationCode with a PKCE verifier that does not match', (s) =>
    s.service.redeemAuthorizationCode({
      code: s.code,
      consumerKey: s.consumerKey,
      redirectUri: CLIENT_REDIRECT_URIS[0],
      codeVerifier: randomVerifier(),
    }),
  );
  invalid('redeemAuthorizationCode without the PKCE verifier the code requires', (s) =>
    s.service.redeemAuthorizationCode({ code: s.code, consumerKey: s.consumerKey, redirectUri: CLIENT_REDIRECT_URIS[0] }),
  );
  invalid('refreshAccessToken asking for scopes beyond the grant', (s) =>
    s.service.refreshAccessToken({ refreshToken: s.refreshToken, consumerKey: s.consumerKey, scopes: ['read', 'admin'] }),
  );
  invalid('refreshAccessToken with a validity of 0', (s) =>
    s.service.refreshAccessToken({ refreshToken: s.refreshToken, consumerKey: s.consumerKey, validitySeconds: 0 }),
  );
  invalid('revokeTokensOfUser with an empty user id', (s) => s.service.revokeTokensOfUser(''));
  invalid('revokeTokensOfUser with an unknown user type', (s) => s.service.revokeTokensOfUser('alice', { userType: loose('ROOT') }));
  invalid('revokeTokensOfClient with a consumer key holding a control character', (s) => s.service.revokeTokensOfClient('client\u0007'));
  invalid('revokeGrant with a grant id with surrounding spaces', (s) => s.service.revokeGrant(' grant '));
  invalid('verifyClientSecret with an empty secret', (s) => s.service.verifyClientSecret(s.consumerKey, ''));
  invalid('verifyClientSecret with a secret that is not a string', (s) => s.service.verifyClientSecret(s.consumerKey, loose(12345)));
  invalid('deleteClient with a non-boolean revokeTokens', (s) => s.service.deleteClient(s.consumerKey, loose({ revokeTokens: 'yes' })));
  invalid('getClient with an empty consumer key', (s) => s.service.getClient(''));
  return list;
}

export function badInputTests(ctx: ConformanceContext): void {
  describe('bad input', () => {
    let seed: Seed;

    beforeEach(async () => {
      const verifier = randomVerifier();
      ctx.recordPlaintext('PKCE verifier', verifier);
      const tokens = await ctx.service.issueAccessToken({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        scopes: ['read'],
        issueRefreshToken: true,
      });
      const code = await ctx.service.issueAuthorizationCode({
        consumerKey: ctx.client.consumerKey,
        userId: 'alice',
        redirectUri: CLIENT_REDIRECT_URIS[0],
        codeChallenge: pkceChallenge(verifier, 'S256'),
        codeChallengeMethod: 'S256',
      });
      seed = {
        service: ctx.service,
        consumerKey: ctx.client.consumerKey,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken!,
        code: code.code,
        verifier,
      };
    });

    for (const testCase of cases()) {
      it(`rejects ${testCase.name} with ${testCase.code} and leaves the store unchanged`, async () => {
        const before = snapshotRows(await ctx.inspect());
        await expectTokenStoreError(() => testCase.call(seed), testCase.code);
        expect(snapshotRows(await ctx.inspect())).toEqual(before);
      });
    }

    it('still serves the seeded tokens and code after all that', async () => {
      for (const testCase of cases().slice(0, 20)) await expectTokenStoreError(() => testCase.call(seed), testCase.code);
      expect(await ctx.service.validateAccessToken(seed.accessToken)).not.toBeNull();
      await ctx.service.redeemAuthorizationCode({
        code: seed.code,
        consumerKey: seed.consumerKey,
        redirectUri: CLIENT_REDIRECT_URIS[0],
        codeVerifier: seed.verifier,
      });
      await ctx.service.refreshAccessToken({ refreshToken: seed.refreshToken, consumerKey: seed.consumerKey });
    });
  });
}

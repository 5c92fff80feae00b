import {
  ErrorCode,
  InvalidInputError,
  MAX_IDENTIFIER_LENGTH,
  MAX_SCOPE_LENGTH,
  MAX_SCOPES,
  MAX_TOKEN_LENGTH,
  MAX_URI_LENGTH,
  MAX_VALIDITY_SECONDS,
  normalizeScopes,
  TokenStoreError,
  validateIdentifier,
  validateOptionalIdentifier,
  validateRedirectUri,
  validateStringList,
  validateTokenValue,
  validateValidity,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { caught } from './support/caught.js';

/** Appears in every rejected value below, so a message that echoes the value is caught. */
const MARK = 'Xq9MARKofTheOffendingValue';

/** Asserts the shape every validation error shares, and that the message never repeats the value. */
function expectInvalid(fn: () => unknown, field: string): InvalidInputError {
  const error = caught(fn);
  expect(error).toBeInstanceOf(InvalidInputError);
  expect(error).toBeInstanceOf(TokenStoreError);
  expect(error.code).toBe(ErrorCode.InvalidInput);
  expect(error.field).toBe(field);
  expect(error.backend).toBe('core');
  expect(error.message).toContain(field);
  expect(error.message).not.toContain(MARK);
  expect(String(error.stack)).not.toContain(MARK);
  return error;
}

describe('validateTokenValue', () => {
  it('returns a well-formed value unchanged', () => {
    const value = 'dBjftJeZ4CVP-mJ92K9lqQQXmmOrTMs5UMFWQXrzp7g';
    expect(validateTokenValue('accessToken', value)).toBe(value);
  });

  it('accepts a caller-supplied JWT with dots', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    expect(validateTokenValue('accessToken', jwt)).toBe(jwt);
  });

  it('accepts every visible ASCII character', () => {
    let all = '';
    for (let c = 0x21; c <= 0x7e; c++) all += String.fromCharCode(c);
    expect(validateTokenValue('accessToken', all)).toBe(all);
  });

  it(`accepts a value of exactly ${MAX_TOKEN_LENGTH} characters (8 KiB)`, () => {
    const value = MARK + 'a'.repeat(MAX_TOKEN_LENGTH - MARK.length);
    expect(value).toHaveLength(8192);
    expect(validateTokenValue('accessToken', value)).toBe(value);
  });

  it('rejects a value of 8193 characters, naming the limit but not the value', () => {
    const value = MARK + 'a'.repeat(MAX_TOKEN_LENGTH + 1 - MARK.length);
    const error = expectInvalid(() => validateTokenValue('accessToken', value), 'accessToken');
    expect(error.message).toContain('8192');
  });

  it('rejects an empty value', () => {
    expectInvalid(() => validateTokenValue('code', ''), 'code');
  });

  it.each([
    ['an inner space', `${MARK} tail`],
    ['a leading space', ` ${MARK}`],
    ['a trailing space', `${MARK} `],
    ['a tab', `${MARK}\t`],
    ['a newline', `${MARK}\n`],
    ['a carriage return', `${MARK}\r`],
  ])('rejects whitespace: %s', (_, value) => {
    expectInvalid(() => validateTokenValue('refreshToken', value), 'refreshToken');
  });

  it.each([
    ['NUL', `${MARK}\u0000`],
    ['ESC', `${MARK}\u001b`],
    ['DEL', `${MARK}\u007f`],
    ['a C1 control', `${MARK}\u0085`],
  ])('rejects control characters: %s', (_, value) => {
    expectInvalid(() => validateTokenValue('accessToken', value), 'accessToken');
  });

  it.each([
    ['a Latin-1 letter', `${MARK}é`],
    ['a no-break space', `${MARK}\u00a0`],
    ['an emoji', `${MARK}🔑`],
    ['a full-width letter', `${MARK}Ａ`],
  ])('rejects non-ASCII characters: %s', (_, value) => {
    expectInvalid(() => validateTokenValue('accessToken', value), 'accessToken');
  });

  it.each([
    ['a number', 42, 'number'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an object', { value: MARK }, 'object'],
    ['an array', [MARK], 'an array'],
    ['a Buffer', Buffer.from(MARK), 'object'],
  ])('rejects %s, saying what it got', (_, value, described) => {
    const error = expectInvalid(() => validateTokenValue('accessToken', value), 'accessToken');
    expect(error.message).toContain(`got ${described}`);
  });
});

describe('validateIdentifier', () => {
  it('accepts ordinary identifiers, inner spaces and non-ASCII letters', () => {
    expect(validateIdentifier('userId', 'alice@example.com')).toBe('alice@example.com');
    expect(validateIdentifier('userId', 'Jürgen Müller')).toBe('Jürgen Müller');
    expect(validateIdentifier('grantType', 'urn:ietf:params:oauth:grant-type:device_code')).toBe(
      'urn:ietf:params:oauth:grant-type:device_code',
    );
  });

  it(`accepts ${MAX_IDENTIFIER_LENGTH} characters and rejects ${MAX_IDENTIFIER_LENGTH + 1}`, () => {
    const ok = MARK + 'u'.repeat(MAX_IDENTIFIER_LENGTH - MARK.length);
    expect(validateIdentifier('userId', ok)).toBe(ok);
    expectInvalid(() => validateIdentifier('userId', `${ok}u`), 'userId');
  });

  it.each([
    ['empty', ''],
    ['a leading space', ` ${MARK}`],
    ['a trailing space', `${MARK} `],
    ['a trailing newline', `${MARK}\n`],
    ['a NUL', `${MARK}\u0000x`],
    ['a DEL', `${MARK}\u007fx`],
    ['a number', 7],
    ['null', null],
  ])('rejects %s', (_, value) => {
    expectInvalid(() => validateIdentifier('consumerKey', value), 'consumerKey');
  });

  it('treats undefined and null as absent when the identifier is optional', () => {
    expect(validateOptionalIdentifier('nonce', undefined)).toBeNull();
    expect(validateOptionalIdentifier('nonce', null)).toBeNull();
    expect(validateOptionalIdentifier('nonce', 'n-0S6_WzA2Mj')).toBe('n-0S6_WzA2Mj');
    expectInvalid(() => validateOptionalIdentifier('nonce', `${MARK}\t`), 'nonce');
  });
});

describe('normalizeScopes', () => {
  it('reads nothing as the empty set', () => {
    expect(normalizeScopes('scopes', undefined)).toEqual([]);
    expect(normalizeScopes('scopes', null)).toEqual([]);
    expect(normalizeScopes('scopes', '')).toEqual([]);
    expect(normalizeScopes('scopes', [])).toEqual([]);
  });

  it('splits a space-separated string like the OAuth scope parameter', () => {
    expect(normalizeScopes('scopes', 'openid profile email')).toEqual(['email', 'openid', 'profile']);
  });

  it('gives a string and an array with the same scopes the same set', () => {
    expect(normalizeScopes('scopes', 'write read')).toEqual(normalizeScopes('scopes', ['read', 'write']));
  });

  it('sorts and removes duplicates, so order and repetition never matter', () => {
    expect(normalizeScopes('scopes', ['write', 'read', 'write', 'admin', 'read'])).toEqual(['admin', 'read', 'write']);
    expect(normalizeScopes('scopes', 'b a b a c')).toEqual(['a', 'b', 'c']);
  });

  it('keeps device_ scopes as ordinary scopes, one per device', () => {
    expect(normalizeScopes('scopes', 'read device_phone-1')).toEqual(['device_phone-1', 'read']);
    expect(normalizeScopes('scopes', 'read device_phone-1')).not.toEqual(normalizeScopes('scopes', 'read device_phone-2'));
  });

  it('accepts every character RFC 6749 §3.3 allows in a scope-token', () => {
    const scope = "!#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[]^_`abcxyz{|}~";
    expect(normalizeScopes('scopes', [scope])).toEqual([scope]);
  });

  it('does not modify the array it was given', () => {
    const input = ['write', 'read', 'write'];
    normalizeScopes('scopes', input);
    expect(input).toEqual(['write', 'read', 'write']);
  });

  it.each([
    ['a double space', `${MARK}  read`],
    ['a leading space', ` ${MARK}`],
    ['a trailing space', `${MARK} `],
  ])('rejects an empty scope in a string (%s)', (_, value) => {
    const error = expectInvalid(() => normalizeScopes('scopes', value), 'scopes');
    expect(error.message).toContain('empty scope');
  });

  it('rejects an empty scope in an array', () => {
    expectInvalid(() => normalizeScopes('scopes', [MARK, '']), 'scopes');
  });

  it.each([
    ['a double quote', `${MARK}"`],
    ['a backslash', `${MARK}\\`],
    ['a space inside an array element', `${MARK} read`],
    ['a NUL', `${MARK}\u0000`],
    ['a DEL', `${MARK}\u007f`],
    ['a non-ASCII letter', `${MARK}é`],
  ])('rejects a scope with %s', (_, scope) => {
    expectInvalid(() => normalizeScopes('scopes', ['read', scope]), 'scopes');
  });

  it.each([
    ['a tab', `read\t${MARK}`],
    ['a newline', `read\n${MARK}`],
    ['a NUL', `read ${MARK}\u0000`],
  ])('rejects a scope string with %s', (_, value) => {
    expectInvalid(() => normalizeScopes('scope', value), 'scope');
  });

  it('rejects values that are neither a string nor an array, and non-string elements', () => {
    expectInvalid(() => normalizeScopes('scopes', 5), 'scopes');
    expectInvalid(() => normalizeScopes('scopes', { read: true }), 'scopes');
    expectInvalid(() => normalizeScopes('scopes', ['read', 5]), 'scopes');
    expectInvalid(() => normalizeScopes('scopes', ['read', null]), 'scopes');
  });

  it(`accepts a scope of ${MAX_SCOPE_LENGTH} characters and rejects a longer one`, () => {
    const ok = MARK + 's'.repeat(MAX_SCOPE_LENGTH - MARK.length);
    expect(normalizeScopes('scopes', [ok])).toEqual([ok]);
    expectInvalid(() => normalizeScopes('scopes', [`${ok}s`]), 'scopes');
  });

  it(`accepts ${MAX_SCOPES} distinct scopes and rejects ${MAX_SCOPES + 1}`, () => {
    const scopes = Array.from({ length: MAX_SCOPES }, (_, i) => `scope${i}`);
    expect(normalizeScopes('scopes', scopes)).toHaveLength(MAX_SCOPES);
    const error = expectInvalid(() => normalizeScopes('scopes', [...scopes, 'one-too-many']), 'scopes');
    expect(error.message).toContain(String(MAX_SCOPES));
  });

  it('counts distinct scopes, not repetitions', () => {
    const repeated = Array.from({ length: 3 * MAX_SCOPES }, (_, i) => `scope${i % 10}`);
    expect(normalizeScopes('scopes', repeated)).toHaveLength(10);
  });
});

describe('validateValidity', () => {
  it('returns undefined when no validity is given, so defaults apply', () => {
    expect(validateValidity('validitySeconds', undefined)).toBeUndefined();
  });

  it('accepts positive whole seconds up to 100 years', () => {
    expect(validateValidity('validitySeconds', 1)).toBe(1);
    expect(validateValidity('validitySeconds', 3600)).toBe(3600);
    expect(validateValidity('validitySeconds', MAX_VALIDITY_SECONDS)).toBe(MAX_VALIDITY_SECONDS);
  });

  it('accepts a negative validity: the token never expires', () => {
    expect(validateValidity('validitySeconds', -1)).toBe(-1);
    expect(validateValidity('validitySeconds', -86400)).toBe(-86400);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a fraction', 1.5],
    ['a numeric string', '3600'],
    ['null', null],
    ['zero', 0],
    ['more than 100 years', MAX_VALIDITY_SECONDS + 1],
    ['an unsafe integer', 2 ** 60],
  ])('rejects %s', (_, value) => {
    expectInvalid(() => validateValidity('validitySeconds', value), 'validitySeconds');
  });

  it('explains how to ask for a token that never expires when given 0', () => {
    const error = expectInvalid(() => validateValidity('validitySeconds', 0), 'validitySeconds');
    expect(error.message).toContain('negative');
  });
});

describe('validateRedirectUri', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com:8443/cb?tenant=a&x=1',
    'http://127.0.0.1:51004/oauth',
    'com.example.app:/oauth2redirect',
  ])('accepts the absolute URI %s', (uri) => {
    expect(validateRedirectUri('redirectUri', uri)).toBe(uri);
  });

  it.each([
    ['a relative path', `/${MARK}/callback`],
    ['a bare word', MARK],
    ['a scheme-relative URI', `//app.example.com/${MARK}`],
  ])('rejects %s', (_, uri) => {
    const error = expectInvalid(() => validateRedirectUri('redirectUri', uri), 'redirectUri');
    expect(error.message).toContain('absolute');
  });

  it.each([
    ['a fragment', `https://app.example.com/${MARK}#section`],
    ['an empty fragment', `https://app.example.com/${MARK}#`],
  ])('rejects %s (RFC 6749 §3.1.2)', (_, uri) => {
    const error = expectInvalid(() => validateRedirectUri('redirectUri', uri), 'redirectUri');
    expect(error.message).toContain('fragment');
  });

  it.each([
    ['an inner space', `https://app.example.com/${MARK} x`],
    ['a leading space', ` https://app.example.com/${MARK}`],
    ['a trailing newline', `https://app.example.com/${MARK}\n`],
    ['a tab', `https://app.example.com/\t${MARK}`],
    ['a NUL', `https://app.example.com/${MARK}\u0000`],
    ['a no-break space', `https://app.example.com/${MARK}\u00a0`],
  ])('rejects whitespace and control characters: %s', (_, uri) => {
    expectInvalid(() => validateRedirectUri('redirectUri', uri), 'redirectUri');
  });

  it(`rejects the empty string, URIs over ${MAX_URI_LENGTH} characters and non-strings`, () => {
    expectInvalid(() => validateRedirectUri('redirectUri', ''), 'redirectUri');
    const long = `https://app.example.com/${MARK}`.padEnd(MAX_URI_LENGTH + 1, 'a');
    expectInvalid(() => validateRedirectUri('redirectUri', long), 'redirectUri');
    expectInvalid(() => validateRedirectUri('redirectUri', new URL('https://app.example.com/')), 'redirectUri');
  });

  it(`accepts a URI of exactly ${MAX_URI_LENGTH} characters`, () => {
    const uri = 'https://app.example.com/'.padEnd(MAX_URI_LENGTH, 'a');
    expect(validateRedirectUri('redirectUri', uri)).toBe(uri);
  });
});

describe('validateStringList', () => {
  it('reads nothing as an empty list and removes duplicates, keeping first-seen order', () => {
    expect(validateStringList('grantTypes', undefined, validateIdentifier)).toEqual([]);
    expect(validateStringList('grantTypes', null, validateIdentifier)).toEqual([]);
    expect(validateStringList('grantTypes', ['refresh_token', 'authorization_code', 'refresh_token'], validateIdentifier)).toEqual([
      'refresh_token',
      'authorization_code',
    ]);
  });

  it('rejects a non-array', () => {
    expectInvalid(() => validateStringList('grantTypes', MARK, validateIdentifier), 'grantTypes');
  });

  it('names the offending element by its index', () => {
    expectInvalid(() => validateStringList('redirectUris', ['https://a.example/cb', `/${MARK}`], validateRedirectUri), 'redirectUris[1]');
  });
});

import { createHash, randomBytes } from 'node:crypto';
import {
  computeReuseKey,
  confirmationSatisfied,
  decodeConfirmation,
  ErrorCode,
  encodeConfirmation,
  isTokenStoreError,
  validateConfirmation,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

const thumbprint = () => randomBytes(32).toString('base64url');

describe('confirmation claims (cnf)', () => {
  it('accepts jkt and x5t#S256 thumbprints and returns a copy', () => {
    const given = { jkt: thumbprint(), 'x5t#S256': thumbprint() };
    const checked = validateConfirmation('confirmation', given);
    expect(checked).toEqual(given);
    expect(checked).not.toBe(given);
    expect(validateConfirmation('confirmation', undefined)).toBeUndefined();
  });

  it.each([
    ['a string', 'abc'],
    ['an array', [thumbprint()]],
    ['an empty object', {}],
    ['an unknown method', { jwk: thumbprint() }],
    ['a short thumbprint', { jkt: 'abc' }],
    ['a padded thumbprint', { jkt: `${thumbprint().slice(0, 42)}=` }],
    ['a number', { 'x5t#S256': 42 }],
  ])('refuses %s with INVALID_INPUT naming the field', (_what, value) => {
    let error: unknown;
    try {
      validateConfirmation('confirmation', value);
    } catch (caught) {
      error = caught;
    }
    expect(isTokenStoreError(error, ErrorCode.InvalidInput)).toBe(true);
    expect((error as { field: string }).field).toMatch(/^confirmation/);
  });

  it('is satisfied only when every bound method is proved with the same thumbprint', () => {
    const jkt = thumbprint();
    const x5t = thumbprint();
    expect(confirmationSatisfied(undefined, undefined)).toBe(true);
    expect(confirmationSatisfied(undefined, { jkt })).toBe(true);
    expect(confirmationSatisfied({ jkt }, { jkt })).toBe(true);
    expect(confirmationSatisfied({ jkt }, { jkt, 'x5t#S256': x5t })).toBe(true);
    expect(confirmationSatisfied({ jkt }, undefined)).toBe(false);
    expect(confirmationSatisfied({ jkt }, { jkt: thumbprint() })).toBe(false);
    expect(confirmationSatisfied({ jkt }, { 'x5t#S256': jkt })).toBe(false);
    expect(confirmationSatisfied({ jkt, 'x5t#S256': x5t }, { jkt })).toBe(false);
  });

  it('round-trips through the stored text form, in a fixed member order', () => {
    const jkt = thumbprint();
    const x5t = thumbprint();
    expect(encodeConfirmation({ 'x5t#S256': x5t, jkt })).toBe(JSON.stringify({ jkt, 'x5t#S256': x5t }));
    expect(decodeConfirmation(encodeConfirmation({ jkt }))).toEqual({ jkt });
    expect(encodeConfirmation(undefined)).toBeNull();
    for (const absent of [null, undefined, '']) expect(decodeConfirmation(absent)).toBeUndefined();
    expect(decodeConfirmation('{"other":"x"}')).toBeUndefined();
  });

  it('gives bound tokens a reuse key of their own and leaves the key of unbound tokens as it was', () => {
    const unbound = computeReuseKey('client', 'alice', 'APPLICATION_USER', ['read']);
    // The key every existing row was written with: a digest of the four parts alone.
    expect(unbound).toBe(
      createHash('sha256')
        .update(JSON.stringify(['client', 'alice', 'APPLICATION_USER', ['read']]))
        .digest('hex'),
    );
    const jkt = thumbprint();
    const bound = computeReuseKey('client', 'alice', 'APPLICATION_USER', ['read'], { jkt });
    expect(bound).not.toBe(unbound);
    expect(computeReuseKey('client', 'alice', 'APPLICATION_USER', ['read'], { jkt })).toBe(bound);
    expect(computeReuseKey('client', 'alice', 'APPLICATION_USER', ['read'], { jkt: thumbprint() })).not.toBe(bound);
  });
});

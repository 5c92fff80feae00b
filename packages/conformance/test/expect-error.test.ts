import { expectTokenStoreError } from '@tokenstore/conformance';
import { ErrorCode, InvalidInputError, NotFoundError } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

describe('expectTokenStoreError', () => {
  it('returns the error when the code matches, for a promise or a function that throws', async () => {
    const error = await expectTokenStoreError(Promise.reject(new NotFoundError('client')), ErrorCode.NotFound);
    expect(error.code).toBe(ErrorCode.NotFound);
    await expectTokenStoreError(() => {
      throw new InvalidInputError('scopes', 'bad');
    }, [ErrorCode.Conflict, ErrorCode.InvalidInput]);
  });

  it('fails when the call succeeds, fails with another code, or throws something else', async () => {
    await expect(expectTokenStoreError(Promise.resolve(1), ErrorCode.NotFound)).rejects.toThrow(/succeeded/);
    await expect(expectTokenStoreError(Promise.reject(new NotFoundError('x')), ErrorCode.Replay)).rejects.toThrow();
    await expect(expectTokenStoreError(Promise.reject(new TypeError('boom')), ErrorCode.Replay)).rejects.toThrow(/TypeError/);
  });
});

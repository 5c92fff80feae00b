import { isTokenStoreError, type TokenStoreError } from '@tokenstore/core';
import { expect } from 'vitest';

/** The TokenStoreError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function caught(promise: Promise<unknown>): Promise<TokenStoreError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(isTokenStoreError(error)).toBe(true);
  return error as TokenStoreError;
}

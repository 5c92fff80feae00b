import { TokenStoreError } from '@tokenstore/core';

/** The TokenStoreError `fn` throws; fails the test when it returns or throws anything else. */
export function caught(fn: () => unknown): TokenStoreError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TokenStoreError) return error;
    throw new Error(`expected a TokenStoreError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a TokenStoreError, but nothing was thrown');
}

/** The TokenStoreError `promise` rejects with; fails the test when it fulfils or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<TokenStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenStoreError) return error;
    throw new Error(`expected a TokenStoreError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a TokenStoreError, but the promise fulfilled');
}

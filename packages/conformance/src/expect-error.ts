import { type ErrorCode, TokenStoreError } from '@tokenstore/core';
import { expect } from 'vitest';
import { activeRecorder } from './active-recorder.js';

/**
 * Asserts that `action` (a promise, or a function that returns one or throws) fails with a
 * `TokenStoreError` whose code is `code` (or one of `code` when given a list), and returns the error.
 * The error is recorded for the suite's secrecy check.
 */
export async function expectTokenStoreError(
  action: Promise<unknown> | (() => unknown),
  code: ErrorCode | readonly ErrorCode[],
): Promise<TokenStoreError> {
  const codes: readonly ErrorCode[] = typeof code === 'string' ? [code] : code;
  let failed = false;
  let error: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (caught) {
    failed = true;
    error = caught;
  }
  if (!failed) expect.fail(`expected a TokenStoreError with code ${codes.join(' or ')}, but the call succeeded`);
  activeRecorder()?.recordError(error, 'caught error');
  if (!(error instanceof TokenStoreError))
    expect.fail(
      `expected a TokenStoreError with code ${codes.join(' or ')}, got ${error instanceof Error ? error.name : typeof error}: ${String(error)}`,
    );
  expect(codes, `error code (message: ${error.message})`).toContain(error.code);
  return error;
}

import { ErrorCode, isTokenStoreError } from '@tokenstore/core';

/**
 * Exit codes scripts can rely on:
 *
 * | code | meaning |
 * | ---: | --- |
 * | 0 | done |
 * | 1 | operational failure: the backend was unreachable or failed, a purge or rewrap run failed, another node held the purge lease; retrying later may succeed |
 * | 2 | usage or configuration error: unknown command or option, a bad environment variable, a missing driver package; nothing was done, fix the invocation first |
 * | 3 | `rewrap` stopped before the end (interrupted, or `--max-batches` reached); run it again to resume from the checkpoint |
 */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  Incomplete: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): ExitCode {
  if (
    isTokenStoreError(error, ErrorCode.Misconfiguration) ||
    isTokenStoreError(error, ErrorCode.DriverUnavailable) ||
    isTokenStoreError(error, ErrorCode.InvalidInput)
  )
    return ExitCode.Usage;
  return ExitCode.Failure;
}

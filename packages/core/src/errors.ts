/**
 * Stable error codes. Callers branch on `error.code`, never on the message text.
 */
export const ErrorCode = {
  /** An argument failed validation; nothing was written. */
  InvalidInput: 'INVALID_INPUT',
  /** The token, code, client or record does not exist (or is not valid any more). */
  NotFound: 'NOT_FOUND',
  /** The token or code exists but has expired. */
  Expired: 'EXPIRED',
  /** The token or code exists but was revoked. */
  Revoked: 'REVOKED',
  /** An authorization code was presented a second time (RFC 6749 §4.1.2); its grant was revoked. */
  Replay: 'REPLAY',
  /** A rotated refresh token was presented again outside the grace window; its grant was revoked. */
  ReuseDetected: 'REUSE_DETECTED',
  /** A concurrent writer won, or a unique key already exists. */
  Conflict: 'CONFLICT',
  /** The backend could not be reached or timed out; the outcome is known not to have been applied, or was resolved. */
  BackendUnavailable: 'BACKEND_UNAVAILABLE',
  /** The backend failed in a way that is not a connectivity problem. */
  BackendError: 'BACKEND_ERROR',
  /**
   * Options are inconsistent or invalid (raised at construction time), or the deployment is incomplete:
   * the backend's schema is missing or older than the code. Fix the setup; retrying does not help.
   */
  Misconfiguration: 'MISCONFIGURATION',
  /** The client (consumer) is unknown or its secret does not match. */
  InvalidClient: 'INVALID_CLIENT',
  /** Ciphertext failed authentication, was truncated, or names an unknown key. */
  DecryptionFailed: 'DECRYPTION_FAILED',
  /** A driver package (pg, mysql2, cassandra-driver, …) is not installed or cannot be loaded. */
  DriverUnavailable: 'DRIVER_UNAVAILABLE',
  /** The store was closed. */
  Closed: 'CLOSED',
  /**
   * The token is sender-constrained (`cnf`) and the request did not prove possession of its key or
   * certificate (RFC 9449, RFC 8705); nothing was changed.
   */
  ConfirmationMismatch: 'CONFIRMATION_MISMATCH',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface TokenStoreErrorOptions {
  /** The backend that raised it, e.g. `cache`, `postgres`, `cassandra`; `core` for policy errors. */
  backend?: string;
  /** For input errors: the name of the offending field or option. */
  field?: string;
  cause?: unknown;
}

/**
 * Base class of every error tokenstore throws. Messages never contain a token, code or secret.
 */
export class TokenStoreError extends Error {
  readonly code: ErrorCode;
  readonly backend: string;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: TokenStoreErrorOptions = {}) {
    const backend = options.backend ?? 'core';
    super(`[tokenstore] [${backend}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.backend = backend;
    this.field = options.field;
  }
}

export class InvalidInputError extends TokenStoreError {
  constructor(field: string, message: string, options: Omit<TokenStoreErrorOptions, 'field'> = {}) {
    super(ErrorCode.InvalidInput, `invalid ${field}: ${message}`, { ...options, field });
  }
}

export class MisconfigurationError extends TokenStoreError {
  constructor(option: string, message: string, options: Omit<TokenStoreErrorOptions, 'field'> = {}) {
    super(ErrorCode.Misconfiguration, `option ${option}: ${message}`, { ...options, field: option });
  }
}

/** A call on a store (or service) after `close()`. */
export class ClosedError extends TokenStoreError {
  constructor(options: Omit<TokenStoreErrorOptions, 'field'> = {}) {
    super(ErrorCode.Closed, 'the store is closed', options);
  }
}

export class NotFoundError extends TokenStoreError {
  constructor(what: string, options: TokenStoreErrorOptions = {}) {
    super(ErrorCode.NotFound, `${what} not found`, options);
  }
}

export class ConflictError extends TokenStoreError {
  constructor(message: string, options: TokenStoreErrorOptions = {}) {
    super(ErrorCode.Conflict, message, options);
  }
}

export class BackendUnavailableError extends TokenStoreError {
  constructor(message: string, options: TokenStoreErrorOptions = {}) {
    super(ErrorCode.BackendUnavailable, message, options);
  }
}

export class DriverUnavailableError extends TokenStoreError {
  /** The npm package the user must install. */
  readonly packageName: string;
  constructor(packageName: string, options: TokenStoreErrorOptions = {}) {
    super(
      ErrorCode.DriverUnavailable,
      `driver package "${packageName}" is not installed or cannot be loaded; run: npm install ${packageName}`,
      options,
    );
    this.packageName = packageName;
  }
}

/** True when `error` is a TokenStoreError, optionally with the given code. */
export function isTokenStoreError(error: unknown, code?: ErrorCode): error is TokenStoreError {
  return error instanceof TokenStoreError && (code === undefined || error.code === code);
}

/**
 * What `work` resolves to, or `fallback` when it fails with `INVALID_INPUT`: for callers that treat a
 * malformed presented value (a token, code or secret from a request) as simply not found, as OAuth2
 * endpoints do. Every other error passes through.
 */
export async function unlessInvalidInput<T, F>(work: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await work;
  } catch (error) {
    if (isTokenStoreError(error, ErrorCode.InvalidInput)) return fallback;
    throw error;
  }
}

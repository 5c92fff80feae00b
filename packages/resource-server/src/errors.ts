import { ErrorCode, TokenStoreError } from '@tokenstore/core';

/** One challenge of a `WWW-Authenticate` header: a scheme and its auth-params (the realm is added when sent). */
export interface Challenge {
  scheme: string;
  params: Readonly<Record<string, string>>;
}

/**
 * Why a request was refused. Stable: branch on it (or on `status`), never on the message.
 * - `missing_token`: no credentials of an accepted scheme (401, no error attribute: RFC 6750 §3.1)
 * - `invalid_request`: malformed or repeated credentials (400)
 * - `invalid_token`: unknown, expired, revoked or not an access token (401)
 * - `insufficient_scope`: the token lacks a scope the route requires (403)
 * - `sender_constraint`: a sender-constraint check (DPoP, mTLS) refused the request
 * - `unavailable`: the token could not be validated: introspection down, slow or answering nonsense, or the store down (503)
 */
export type RefusalReason =
  | 'missing_token'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'sender_constraint'
  | 'unavailable';

/** The RFC 6750 §3.1 error codes, and RFC 6749's `temporarily_unavailable` for a 503. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

// Core's codes, as near as they go: core has no "authenticated but not allowed" code, so insufficient
// scope reports INVALID_CLIENT (the presenting client may not do this); `reason` is the precise word.
const CODE_OF: Record<RefusalReason, ErrorCode> = {
  missing_token: ErrorCode.NotFound,
  invalid_request: ErrorCode.InvalidInput,
  invalid_token: ErrorCode.NotFound,
  insufficient_scope: ErrorCode.InvalidClient,
  sender_constraint: ErrorCode.InvalidInput,
  unavailable: ErrorCode.BackendUnavailable,
};

export interface ResourceServerErrorInit {
  status: 400 | 401 | 403 | 503;
  /** The OAuth2 error code of the answer (absent for a 401 without credentials). */
  error?: string;
  /** Challenges of the `WWW-Authenticate` header; none for a 503. */
  challenges?: Challenge[];
  /** The scopes the route requires (the `scope` attribute of an insufficient_scope answer). */
  scope?: readonly string[];
  cause?: unknown;
}

/**
 * A refused request: the status, the error code and the challenges of its answer. Messages name what
 * was wrong, never the token.
 */
export class ResourceServerError extends TokenStoreError {
  readonly reason: RefusalReason;
  readonly status: 400 | 401 | 403 | 503;
  readonly error: string | undefined;
  readonly description: string;
  readonly challenges: readonly Challenge[];
  readonly scope: readonly string[] | undefined;

  constructor(reason: RefusalReason, description: string, init: ResourceServerErrorInit) {
    super(CODE_OF[reason], description, { backend: 'resource-server', cause: init.cause });
    this.reason = reason;
    this.status = init.status;
    this.error = init.error;
    this.description = description;
    this.challenges = init.challenges ?? [];
    this.scope = init.scope;
  }
}

/** 401 without an error attribute, with one Bearer challenge plus any extra ones (RFC 6750 §3.1). */
export function missingToken(extraChallenges: readonly Challenge[] = []): ResourceServerError {
  return new ResourceServerError('missing_token', 'an access token is required', {
    status: 401,
    challenges: [{ scheme: 'Bearer', params: {} }, ...extraChallenges],
  });
}

/** 400 invalid_request (RFC 6750 §3.1): malformed or repeated credentials. */
export function invalidRequest(description: string): ResourceServerError {
  return bearerError('invalid_request', 400, description);
}

/** 401 invalid_token (RFC 6750 §3.1): unknown, expired, revoked or otherwise not acceptable. */
export function invalidToken(description = 'the access token is not active'): ResourceServerError {
  return bearerError('invalid_token', 401, description);
}

/** 403 insufficient_scope with the `scope` attribute (RFC 6750 §3.1). */
export function insufficientScope(required: readonly string[]): ResourceServerError {
  const scope = required.join(' ');
  return new ResourceServerError('insufficient_scope', `the access token lacks a required scope; required: ${scope}`, {
    status: 403,
    error: 'insufficient_scope',
    scope: required,
    challenges: [{ scheme: 'Bearer', params: { error: 'insufficient_scope', error_description: 'insufficient scope', scope } }],
  });
}

/** 503: the token could not be validated (fail-closed), which is not the client's fault. */
export function validationUnavailable(description: string, cause?: unknown): ResourceServerError {
  return new ResourceServerError('unavailable', description, { status: 503, error: 'temporarily_unavailable', cause });
}

/**
 * What a sender-constraint check (DPoP, mTLS) throws to refuse a request, with its own challenge,
 * e.g. `senderConstraintError(401, { scheme: 'DPoP', params: { error: 'invalid_dpop_proof' } }, 'the proof is invalid')`.
 */
export function senderConstraintError(status: 400 | 401 | 403, challenge: Challenge, description: string): ResourceServerError {
  return new ResourceServerError('sender_constraint', description, { status, error: challenge.params.error, challenges: [challenge] });
}

function bearerError(error: 'invalid_request' | 'invalid_token', status: 400 | 401, description: string): ResourceServerError {
  return new ResourceServerError(error, description, {
    status,
    error,
    challenges: [{ scheme: 'Bearer', params: { error, error_description: description } }],
  });
}

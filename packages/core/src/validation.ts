import { InvalidInputError } from './errors.js';
import { UserType, type ValidityOverrides } from './types.js';

/** Longest token, code or secret value accepted (8 KiB), e.g. a caller-supplied JWT. */
export const MAX_TOKEN_LENGTH = 8192;
/** Longest consumer key, user id, grant type or nonce. */
export const MAX_IDENTIFIER_LENGTH = 255;
export const MAX_SCOPE_LENGTH = 255;
export const MAX_SCOPES = 100;
export const MAX_URI_LENGTH = 2048;
/** Upper bound on a validity: 100 years, so expiry arithmetic never overflows. */
export const MAX_VALIDITY_SECONDS = 100 * 365 * 24 * 3600;
/** Minimum length of a caller-supplied consumer secret. */
export const MIN_CLIENT_SECRET_LENGTH = 32;

// RFC 6750 b64token / RFC 6749 VSCHAR without space: visible ASCII only.
const TOKEN_CHARS = /^[\x21-\x7e]+$/;
// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** A token, code or secret value: 1..8192 visible ASCII characters. Never echoes the value. */
export function validateTokenValue(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidInputError(field, `expected a string, got ${describe(value)}`);
  if (value.length === 0) throw new InvalidInputError(field, 'must not be empty');
  if (value.length > MAX_TOKEN_LENGTH) throw new InvalidInputError(field, `longer than ${MAX_TOKEN_LENGTH} characters (${value.length})`);
  if (!TOKEN_CHARS.test(value))
    throw new InvalidInputError(field, 'contains characters outside visible ASCII (whitespace or control characters)');
  return value;
}

/** A consumer key, user id, grant id, grant type: 1..255 characters, no control characters. */
export function validateIdentifier(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidInputError(field, `expected a string, got ${describe(value)}`);
  if (value.length === 0) throw new InvalidInputError(field, 'must not be empty');
  if (value.length > MAX_IDENTIFIER_LENGTH) throw new InvalidInputError(field, `longer than ${MAX_IDENTIFIER_LENGTH} characters`);
  if (CONTROL_CHARS.test(value)) throw new InvalidInputError(field, 'contains control characters');
  if (value.trim() !== value) throw new InvalidInputError(field, 'has leading or trailing whitespace');
  return value;
}

export function validateOptionalIdentifier(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : validateIdentifier(field, value);
}

/**
 * A scope set: an array of scope tokens or one space-separated string. Returns the normalised set
 * (unique, sorted), so order and duplicates never matter.
 */
export function normalizeScopes(field: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  let list: unknown[];
  if (typeof value === 'string') {
    if (value.length === 0) return [];
    if (CONTROL_CHARS.test(value)) throw new InvalidInputError(field, 'contains control characters');
    list = value.split(' ');
  } else if (Array.isArray(value)) {
    list = value;
  } else {
    throw new InvalidInputError(field, `expected an array of strings or a space-separated string, got ${describe(value)}`);
  }
  const set = new Set<string>();
  for (const scope of list) {
    if (typeof scope !== 'string') throw new InvalidInputError(field, `each scope must be a string, got ${describe(scope)}`);
    if (scope.length === 0) throw new InvalidInputError(field, 'contains an empty scope');
    if (scope.length > MAX_SCOPE_LENGTH) throw new InvalidInputError(field, `a scope is longer than ${MAX_SCOPE_LENGTH} characters`);
    if (!SCOPE_TOKEN.test(scope))
      throw new InvalidInputError(field, 'a scope contains whitespace, a control character, a quote or a backslash');
    set.add(scope);
  }
  if (set.size > MAX_SCOPES) throw new InvalidInputError(field, `more than ${MAX_SCOPES} scopes`);
  return [...set].sort();
}

/**
 * A validity in seconds: a non-zero safe integer. Negative means "never expires".
 * Returns `undefined` when not given, so defaults apply.
 */
export function validateValidity(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidInputError(field, 'must be a finite number of seconds');
  if (!Number.isInteger(value)) throw new InvalidInputError(field, 'must be a whole number of seconds');
  if (value === 0) throw new InvalidInputError(field, 'must not be 0 (use a negative value for "never expires")');
  if (value > MAX_VALIDITY_SECONDS) throw new InvalidInputError(field, `must be at most ${MAX_VALIDITY_SECONDS} seconds`);
  return value;
}

/** An absolute URI without fragment (RFC 6749 §3.1.2). */
export function validateRedirectUri(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidInputError(field, `expected a string, got ${describe(value)}`);
  if (value.length === 0 || value.length > MAX_URI_LENGTH) throw new InvalidInputError(field, `must be 1..${MAX_URI_LENGTH} characters`);
  if (CONTROL_CHARS.test(value) || /\s/.test(value)) throw new InvalidInputError(field, 'contains whitespace or control characters');
  if (!URL.canParse(value)) throw new InvalidInputError(field, 'is not an absolute URI');
  // Any '#' starts a fragment, even an empty one (for which `new URL(value).hash` is '').
  if (value.includes('#')) throw new InvalidInputError(field, 'must not contain a fragment');
  return value;
}

export function validateStringList(field: string, value: unknown, each: (field: string, v: unknown) => string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidInputError(field, `expected an array, got ${describe(value)}`);
  return [...new Set(value.map((v, i) => each(`${field}[${i}]`, v)))];
}

// ---------------------------------------------------------------- request shapes of the service

export function requireObject<T>(field: string, value: T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidInputError(field, 'must be an object');
  return value;
}

export function optionalBoolean(field: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidInputError(field, 'must be a boolean');
  return value;
}

export function validateUserType(value: unknown): UserType {
  if (value !== UserType.Application && value !== UserType.ApplicationUser)
    throw new InvalidInputError('userType', 'must be "APPLICATION" or "APPLICATION_USER"');
  return value;
}

export function validateClientSecret(value: unknown): string {
  const secret = validateTokenValue('consumerSecret', value);
  if (secret.length < MIN_CLIENT_SECRET_LENGTH)
    throw new InvalidInputError(
      'consumerSecret',
      `must be at least ${MIN_CLIENT_SECRET_LENGTH} characters (a generated secret has 256 bits)`,
    );
  return secret;
}

/** A client's validity overrides: each a validity (see {@link validateValidity}); unknown fields are refused. */
export function validateValidityOverrides(value: unknown): ValidityOverrides {
  if (value === undefined || value === null) return {};
  const v = requireObject('validity', value as ValidityOverrides);
  const out: ValidityOverrides = {};
  for (const name of [
    'applicationAccessTokenValidity',
    'userAccessTokenValidity',
    'refreshTokenValidity',
    'authorizationCodeValidity',
  ] as const) {
    const seconds = validateValidity(`validity.${name}`, v[name]);
    if (seconds !== undefined) out[name] = seconds;
  }
  const unknown = Object.keys(v).filter((k) => !(k in out) && v[k as keyof ValidityOverrides] !== undefined);
  if (unknown.length > 0) throw new InvalidInputError('validity', `unknown field ${unknown[0]}`);
  return out;
}

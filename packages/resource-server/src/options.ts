import { type Clock, MisconfigurationError, systemClock, type TokenService } from '@tokenstore/core';
import type { ResourceServerEventListener } from './events.js';
import type { SenderConstraintCheck } from './sender-constraint.js';

/** Remote validation: RFC 7662 introspection against a token service, authenticated as a client with HTTP Basic. */
export interface IntrospectionOptions {
  /** The introspection endpoint, e.g. `https://auth.example/introspect`. */
  url: string;
  /** This resource server's client credentials at the token service (a client allowed to introspect others' tokens). */
  clientId: string;
  clientSecret: string;
  /** Per call, in milliseconds; a slower answer counts as a failure. Default 2000. */
  timeoutMs?: number;
  /**
   * How long an active answer is reused without asking again, in seconds, never past the token's `exp`:
   * a token revoked at the token service is still accepted here for at most this long. 0 = no positive cache. Default 30.
   */
  maxStalenessSeconds?: number;
  /** How long an inactive answer is reused, in seconds. 0 = no negative cache. Default 5. */
  negativeCacheSeconds?: number;
  /** Entries of each cache (positive, negative), least recently used evicted first. Default 10 000. */
  cacheMaxEntries?: number;
  /**
   * When introspection fails (down, slow, an error status): 0 = fail closed with 503 (default); N > 0 =
   * accept a token whose positive entry went stale at most N seconds ago (never past its `exp`).
   */
  staleIfErrorSeconds?: number;
  /** The fetch to use (a proxy or an mTLS dispatcher). Default: the global fetch. */
  fetch?: typeof fetch;
}

/** Options of {@link createResourceServer}: exactly one of `service` (local) or `introspection` (remote). */
export interface ResourceServerOptions {
  /** Local validation: `validateAccessToken` of a TokenService, typically on a shared store with ReadCache in front. */
  service?: TokenService;
  /** Remote validation by introspection. */
  introspection?: IntrospectionOptions;
  /** The `realm` of every challenge. Default `api`. */
  realm?: string;
  /** Scopes every request needs (routes may require more). Default none. */
  requiredScopes?: readonly string[];
  /** RFC 6750 §2.2: also accept the `access_token` form-body parameter (urlencoded, not GET). Default false. */
  allowFormBodyToken?: boolean;
  /** A DPoP or mTLS check; see {@link SenderConstraintCheck}. Default none (tokens with `cnf` are refused). */
  senderConstraint?: SenderConstraintCheck;
  /** Time of the caches and the `exp` check. Default the system clock. */
  clock?: Clock;
  /** Receives events (never a token); a throwing listener is ignored. */
  onEvent?: ResourceServerEventListener;
}

export interface ResolvedIntrospectionOptions {
  url: string;
  authorization: string;
  timeoutMs: number;
  maxStalenessMs: number;
  negativeCacheMs: number;
  cacheMaxEntries: number;
  staleIfErrorMs: number;
  fetch: typeof fetch;
}

export interface ResolvedOptions {
  service: TokenService | undefined;
  introspection: ResolvedIntrospectionOptions | undefined;
  realm: string;
  requiredScopes: readonly string[];
  allowFormBodyToken: boolean;
  senderConstraint: SenderConstraintCheck | undefined;
  schemes: ReadonlySet<string>;
  clock: Clock;
  onEvent: ResourceServerEventListener | undefined;
}

const KNOWN = ['service', 'introspection', 'realm', 'requiredScopes', 'allowFormBodyToken', 'senderConstraint', 'clock', 'onEvent'];
const KNOWN_INTROSPECTION = [
  'url',
  'clientId',
  'clientSecret',
  'timeoutMs',
  'maxStalenessSeconds',
  'negativeCacheSeconds',
  'cacheMaxEntries',
  'staleIfErrorSeconds',
  'fetch',
];
// RFC 6749 §3.3 scope-token; RFC 9110 token for auth schemes.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const AUTH_SCHEME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Applies defaults and validates every option, naming the option on failure. */
export function resolveOptions(options: ResourceServerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError('options', 'must be an object');
  rejectUnknown(options, KNOWN, '');
  const { service, introspection } = options;
  if ((service === undefined) === (introspection === undefined))
    throw new MisconfigurationError('service', 'give exactly one of service (local validation) or introspection (remote validation)');
  if (service !== undefined && typeof (service as Partial<TokenService>).validateAccessToken !== 'function')
    throw new MisconfigurationError('service', 'must be a TokenService (new TokenService({ store }))');
  const realm = options.realm ?? 'api';
  if (typeof realm !== 'string' || !/^[\x20-\x7e]+$/.test(realm) || /["\\]/.test(realm))
    throw new MisconfigurationError('realm', 'must be non-empty printable ASCII without quotes or backslashes');
  const senderConstraint = options.senderConstraint;
  if (senderConstraint !== undefined && typeof senderConstraint?.verify !== 'function')
    throw new MisconfigurationError('senderConstraint', 'must be an object with a verify(input) function');
  const schemes = new Set(['bearer']);
  for (const scheme of senderConstraint?.schemes ?? []) {
    if (typeof scheme !== 'string' || !AUTH_SCHEME.test(scheme))
      throw new MisconfigurationError('senderConstraint.schemes', 'must be HTTP auth-scheme names');
    schemes.add(scheme.toLowerCase());
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function') throw new MisconfigurationError('clock', 'must have a now() method');
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    throw new MisconfigurationError('onEvent', 'must be a function');
  if (options.allowFormBodyToken !== undefined && typeof options.allowFormBodyToken !== 'boolean')
    throw new MisconfigurationError('allowFormBodyToken', 'must be a boolean');
  return {
    service,
    introspection: introspection === undefined ? undefined : resolveIntrospection(introspection),
    realm,
    requiredScopes: checkScopes('requiredScopes', options.requiredScopes ?? []),
    allowFormBodyToken: options.allowFormBodyToken ?? false,
    senderConstraint,
    schemes,
    clock,
    onEvent: options.onEvent,
  };
}

/** Scope names as a route requires them: non-empty scope-tokens (RFC 6749 §3.3), duplicates removed. */
export function checkScopes(option: string, scopes: unknown): readonly string[] {
  if (!Array.isArray(scopes)) throw new MisconfigurationError(option, 'must be an array of scope names');
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope))
      throw new MisconfigurationError(option, 'every scope must be a non-empty string without spaces, quotes or backslashes');
  }
  return Object.freeze([...new Set(scopes as string[])]);
}

function resolveIntrospection(options: IntrospectionOptions): ResolvedIntrospectionOptions {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError('introspection', 'must be an object');
  rejectUnknown(options, KNOWN_INTROSPECTION, 'introspection.');
  let url: URL;
  try {
    url = new URL(String(options.url));
  } catch {
    throw new MisconfigurationError('introspection.url', 'must be an absolute http(s) URL');
  }
  if (typeof options.url !== 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new MisconfigurationError('introspection.url', 'must be an absolute http(s) URL');
  for (const name of ['clientId', 'clientSecret'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0)
      throw new MisconfigurationError(`introspection.${name}`, 'must be a non-empty string');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new MisconfigurationError('introspection.fetch', 'must be a fetch function');
  // RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by a colon and base64-encoded.
  const basic = Buffer.from(`${formUrlEncode(options.clientId)}:${formUrlEncode(options.clientSecret)}`).toString('base64');
  return {
    url: options.url,
    authorization: `Basic ${basic}`,
    timeoutMs: whole('introspection.timeoutMs', options.timeoutMs, 2000, 1),
    maxStalenessMs: whole('introspection.maxStalenessSeconds', options.maxStalenessSeconds, 30, 0) * 1000,
    negativeCacheMs: whole('introspection.negativeCacheSeconds', options.negativeCacheSeconds, 5, 0) * 1000,
    cacheMaxEntries: whole('introspection.cacheMaxEntries', options.cacheMaxEntries, 10_000, 1),
    staleIfErrorMs: whole('introspection.staleIfErrorSeconds', options.staleIfErrorSeconds, 0, 0) * 1000,
    fetch: fetchImpl,
  };
}

function whole(option: string, value: number | undefined, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < minimum) throw new MisconfigurationError(option, `must be a whole number of at least ${minimum}`);
  return value;
}

function rejectUnknown(options: object, known: readonly string[], prefix: string): void {
  const unknown = Object.keys(options).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new MisconfigurationError(`${prefix}${unknown}`, `is not an option; known: ${known.join(', ')}`);
}

function formUrlEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

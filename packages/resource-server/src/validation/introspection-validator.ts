import type { Clock } from '@tokenstore/core';
import { LRUCache } from 'lru-cache';
import { validationUnavailable } from '../errors.js';
import type { ResourceServerEventListener } from '../events.js';
import type { ResolvedIntrospectionOptions } from '../options.js';
import type { TokenAuth } from '../token-auth.js';
import { callIntrospection, type IntrospectionAnswer, IntrospectionCallError } from './introspection-client.js';
import type { TokenValidator, ValidationResult } from './token-validator.js';

interface PositiveEntry {
  auth: TokenAuth;
  /** When the call that answered started: the answer's age counts from then. */
  fetchedAt: number;
  /** Reused without asking until then: `maxStaleness` after the call started, never past `exp`. */
  freshUntil: number;
  /** Reused while introspection fails until then: `staleIfError` more, never past `exp`. */
  staleUntil: number;
}

/**
 * Remote validation by RFC 7662 introspection, with a positive cache (bounded by the token's `exp`
 * and `maxStalenessSeconds`), a short negative cache, and one call in flight per token however many
 * requests present it at once. Caches are keyed by the token's SHA-256 digest, never the token.
 *
 * The staleness bound: an answer counts from the moment its call started, so a token revoked at the
 * token service is accepted for at most `maxStalenessSeconds` after the revocation, plus
 * `staleIfErrorSeconds` only while introspection is failing.
 */
export class IntrospectionValidator implements TokenValidator {
  readonly #options: ResolvedIntrospectionOptions;
  readonly #clock: Clock;
  readonly #schemes: ReadonlySet<string>;
  readonly #emit: ResourceServerEventListener;
  readonly #positive: LRUCache<string, PositiveEntry>;
  readonly #negative: LRUCache<string, number>;
  readonly #inFlight = new Map<string, Promise<TokenAuth | null>>();

  constructor(options: ResolvedIntrospectionOptions, clock: Clock, schemes: ReadonlySet<string>, emit: ResourceServerEventListener) {
    this.#options = options;
    this.#clock = clock;
    this.#schemes = schemes;
    this.#emit = emit;
    this.#positive = new LRUCache({ max: options.cacheMaxEntries });
    this.#negative = new LRUCache({ max: options.cacheMaxEntries });
  }

  async validate(token: string, digest: string): Promise<ValidationResult> {
    const now = this.#clock.now();
    const cached = this.#positive.get(digest);
    if (cached !== undefined && now < cached.freshUntil) return { auth: cached.auth, cache: 'hit' };
    const refusedUntil = this.#negative.get(digest);
    if (refusedUntil !== undefined && now < refusedUntil) return { auth: null, cache: 'negative' };

    let pending = this.#inFlight.get(digest);
    const cache = pending === undefined ? 'miss' : 'joined';
    if (pending === undefined) {
      pending = this.#introspect(token, digest, now);
      this.#inFlight.set(digest, pending);
      const settled = () => this.#inFlight.delete(digest);
      pending.then(settled, settled);
    } else {
      this.#emit({ type: 'introspection:joined' });
    }
    try {
      return { auth: await pending, cache };
    } catch (error) {
      if (!(error instanceof IntrospectionCallError)) throw error;
      const stale = this.#positive.get(digest);
      const at = this.#clock.now();
      if (stale !== undefined && at < stale.staleUntil) {
        this.#emit({ type: 'introspection:served-stale', ageMs: at - stale.fetchedAt });
        return { auth: stale.auth, cache: 'stale' };
      }
      throw validationUnavailable(`token introspection is unavailable: ${error.message}`, error);
    }
  }

  async #introspect(token: string, digest: string, startedAt: number): Promise<TokenAuth | null> {
    const started = performance.now();
    let auth: TokenAuth | null;
    try {
      auth = this.#recordOf(await callIntrospection(this.#options, token));
    } catch (error) {
      if (error instanceof IntrospectionCallError) {
        const event = {
          type: 'introspection',
          outcome: 'failed',
          durationMs: performance.now() - started,
          failure: error.failure,
        } as const;
        this.#emit(error.status === undefined ? event : { ...event, status: error.status });
      }
      throw error;
    }
    this.#emit({ type: 'introspection', outcome: auth ? 'active' : 'inactive', durationMs: performance.now() - started, status: 200 });
    const now = this.#clock.now();
    if (auth) {
      const expiresAt = auth.expiresAt ?? Number.POSITIVE_INFINITY;
      const freshUntil = Math.min(startedAt + this.#options.maxStalenessMs, expiresAt);
      const staleUntil = Math.min(freshUntil + this.#options.staleIfErrorMs, expiresAt);
      if (staleUntil > now) this.#positive.set(digest, { auth, fetchedAt: startedAt, freshUntil, staleUntil });
      else this.#positive.delete(digest);
      this.#negative.delete(digest);
    } else {
      this.#positive.delete(digest);
      if (this.#options.negativeCacheMs > 0) this.#negative.set(digest, startedAt + this.#options.negativeCacheMs);
    }
    return auth;
  }

  /** The record of an active access token, or `null` (inactive, another kind of token, past `exp` or before `nbf`). */
  #recordOf(answer: IntrospectionAnswer): TokenAuth | null {
    if (answer.active !== true) return null;
    const now = this.#clock.now();
    const tokenType = optional(answer, 'token_type', 'string');
    // A refresh token (the reference service says token_type "refresh_token") is no access token.
    if (tokenType !== undefined && !this.#schemes.has(tokenType.toLowerCase())) return null;
    const exp = optional(answer, 'exp', 'number');
    if (exp !== undefined && exp * 1000 <= now) return null;
    const nbf = optional(answer, 'nbf', 'number');
    if (nbf !== undefined && nbf * 1000 > now) return null;
    const iat = optional(answer, 'iat', 'number');
    const scope = optional(answer, 'scope', 'string');
    const username = optional(answer, 'username', 'string');
    const cnf = answer.cnf;
    if (cnf !== undefined && (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)))
      throw new IntrospectionCallError('bad_response', 'the introspection answer has a "cnf" member that is not an object', {
        status: 200,
      });
    return {
      source: 'introspection',
      clientId: optional(answer, 'client_id', 'string') ?? '',
      subject: optional(answer, 'sub', 'string') ?? username ?? '',
      username,
      scopes: Object.freeze(scope === undefined ? [] : scope.split(' ').filter((name) => name !== '')),
      issuedAt: iat === undefined ? null : iat * 1000,
      expiresAt: exp === undefined ? null : exp * 1000,
      cnf: cnf as Record<string, unknown> | undefined,
      introspection: Object.freeze({ ...answer }),
    };
  }
}

function optional<T extends 'string' | 'number'>(
  answer: IntrospectionAnswer,
  member: string,
  type: T,
): (T extends 'string' ? string : number) | undefined {
  const value = answer[member];
  if (value === undefined) return undefined;
  if (typeof value !== type || (type === 'number' && !Number.isFinite(value)))
    throw new IntrospectionCallError('bad_response', `the introspection answer's "${member}" member is not a ${type}`, { status: 200 });
  return value as T extends 'string' ? string : number;
}

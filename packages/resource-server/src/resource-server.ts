import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { insufficientScope, invalidToken, missingToken, ResourceServerError } from './errors.js';
import type { CacheOutcome, ResourceServerEvent } from './events.js';
import { type ParsedBody, presentedToken } from './http/credentials.js';
import { type ErrorResponse, errorResponse, writeErrorResponse } from './http/error-response.js';
import { checkScopes, type ResolvedOptions, type ResourceServerOptions, resolveOptions } from './options.js';
import type { TokenAuth } from './token-auth.js';
import { IntrospectionValidator } from './validation/introspection-validator.js';
import { LocalValidator } from './validation/local-validator.js';
import type { TokenValidator, ValidationResult } from './validation/token-validator.js';

/** Longer values are no token this service issued (core accepts up to 8 KiB): refused without a lookup. */
const MAX_TOKEN_LENGTH = 8192;

/** Per request: the scopes its route needs beyond the server-wide ones, and its parsed body (for the form-body method). */
export interface AuthenticateOptions {
  requiredScopes?: readonly string[];
  /** The parsed body (an object of fields, or URLSearchParams); consulted only with `allowFormBodyToken`. */
  body?: ParsedBody;
}

/**
 * The framework-free core of the middleware: authenticates a `node:http` request by its bearer token
 * (RFC 6750), validated locally or by introspection, then checks the sender constraint and scopes.
 * The Express and Fastify adapters are thin wrappers around {@link ResourceServer.authenticateRequest}.
 */
export class ResourceServer {
  readonly #options: ResolvedOptions;
  readonly #validator: TokenValidator;

  constructor(options: ResourceServerOptions) {
    this.#options = resolveOptions(options);
    const emit = (event: ResourceServerEvent) => this.#emit(event);
    this.#validator = this.#options.service
      ? new LocalValidator(this.#options.service)
      : new IntrospectionValidator(this.#options.introspection!, this.#options.clock, this.#options.schemes, emit);
  }

  get realm(): string {
    return this.#options.realm;
  }

  /** True when the form-body method is on: adapters then authenticate after the body is parsed. */
  get acceptsFormBody(): boolean {
    return this.#options.allowFormBodyToken;
  }

  /**
   * The validated record of the request's token. Throws ResourceServerError for a refusal (turn it
   * into an answer with {@link errorResponse} or {@link writeError}); other errors are bugs or setup faults.
   */
  async authenticateRequest(req: IncomingMessage, options: AuthenticateOptions = {}): Promise<TokenAuth> {
    const required = options.requiredScopes === undefined ? [] : checkScopes('requiredScopes', options.requiredScopes);
    let cache: ValidationResult['cache'] | undefined;
    try {
      const presented = presentedToken(req, options.body, { schemes: this.#options.schemes, formBody: this.#options.allowFormBodyToken });
      if (presented === null) throw missingToken(this.#options.senderConstraint?.challenges);
      if (presented.token.length > MAX_TOKEN_LENGTH) throw invalidToken();
      const digest = createHash('sha256').update(presented.token).digest('base64url');
      const result = await this.#validator.validate(presented.token, digest);
      cache = result.cache;
      const auth = result.auth;
      if (auth === null) throw invalidToken();
      const check = this.#options.senderConstraint;
      if (check) await check.verify({ request: req, auth, scheme: presented.scheme, accessTokenHash: digest });
      else if (auth.cnf !== undefined)
        throw invalidToken('the access token is sender-constrained (cnf) and this resource server has no check for its binding');
      this.checkScopes(auth, this.#options.requiredScopes);
      this.checkScopes(auth, required);
      this.#emit({ type: 'authenticated', source: auth.source, cache: result.cache as CacheOutcome, clientId: auth.clientId });
      return auth;
    } catch (error) {
      if (error instanceof ResourceServerError) {
        const event: ResourceServerEvent = { type: 'refused', status: error.status, reason: error.reason };
        this.#emit(cache === undefined ? event : { ...event, cache });
      }
      throw error;
    }
  }

  /** Throws insufficient_scope (403, with the `scope` attribute) unless `auth` carries every scope of `required`. */
  checkScopes(auth: TokenAuth, required: readonly string[]): void {
    if (required.length === 0) return;
    const granted = new Set(auth.scopes);
    if (!required.every((scope) => granted.has(scope))) throw insufficientScope(required);
  }

  /** The answer to a refusal under this server's realm: status, headers (`WWW-Authenticate`, `Cache-Control`), JSON body. */
  errorResponse(error: ResourceServerError): ErrorResponse {
    return errorResponse(error, this.#options.realm);
  }

  /** Writes the answer to `error` on a `node:http` response and returns true; false (nothing written) when it is no refusal. */
  writeError(res: ServerResponse, error: unknown): boolean {
    if (!(error instanceof ResourceServerError)) return false;
    writeErrorResponse(res, error, this.#options.realm);
    return true;
  }

  #emit(event: ResourceServerEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A listener's failure must not change an authentication outcome.
    }
  }
}

/** A {@link ResourceServer} for `options`; validates every option now, naming the wrong one. */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  return new ResourceServer(options);
}

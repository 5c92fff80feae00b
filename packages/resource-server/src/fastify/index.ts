import { MisconfigurationError } from '@tokenstore/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { ResourceServerError } from '../errors.js';
import { checkScopes, type ResourceServerOptions } from '../options.js';
import { ResourceServer } from '../resource-server.js';
import type { TokenAuth } from '../token-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The validated token's record (null on routes the plugin does not protect). */
    auth: TokenAuth | null;
  }
  interface FastifyContextConfig {
    /** Scopes this route requires (403 insufficient_scope without them). */
    requiredScopes?: readonly string[];
    /** `false`: this route is not protected by the bearer plugin. */
    bearer?: boolean;
  }
}

/** The plugin's options: a ResourceServer's, or an existing one. */
export type FastifyBearerOptions = ResourceServerOptions | { resourceServer: ResourceServer };

const authenticatedBy = new WeakMap<FastifyRequest, ResourceServer>();

const bearerPlugin: FastifyPluginAsync<FastifyBearerOptions> = async (app, pluginOptions) => {
  // Fastify's own register options are not ours.
  const {
    prefix: _prefix,
    logLevel: _logLevel,
    logSerializers: _logSerializers,
    ...options
  } = pluginOptions as FastifyBearerOptions & {
    prefix?: unknown;
    logLevel?: unknown;
    logSerializers?: unknown;
  };
  const server = 'resourceServer' in options ? options.resourceServer : new ResourceServer(options as ResourceServerOptions);
  if (!(server instanceof ResourceServer)) throw new MisconfigurationError('resourceServer', 'must be a ResourceServer');
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);
  // A wrong route scope fails when the route is declared, not on its first request.
  app.addHook('onRoute', (route) => {
    const scopes = route.config?.requiredScopes;
    if (scopes !== undefined) checkScopes(`config.requiredScopes of ${String(route.method)} ${route.url}`, scopes);
  });
  // Without the form-body method, refuse before the body is even read; with it, once it is parsed.
  app.addHook(server.acceptsFormBody ? 'preValidation' : 'onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config;
    if (config?.bearer === false) return;
    try {
      request.auth = await server.authenticateRequest(request.raw, {
        requiredScopes: config?.requiredScopes ?? [],
        body: request.body as Record<string, unknown> | undefined,
      });
      authenticatedBy.set(request, server);
    } catch (error) {
      return answer(server, reply, error);
    }
  });
};

/**
 * Fastify 5 plugin: `await app.register(fastifyBearer, options)` protects every route of the context
 * it is registered in (`config: { bearer: false }` opts a route out); `config: { requiredScopes }` or a
 * `preHandler: requireScopes(...)` requires scopes; `request.auth` holds the record. Refusals are
 * answered with 400/401/403/503 and `WWW-Authenticate`. For the form-body method, register a
 * urlencoded parser (`@fastify/formbody`).
 */
export const fastifyBearer = fp(bearerPlugin, { fastify: '5.x' });

/** A preHandler after the plugin that requires `scopes` of the request's token (403 insufficient_scope). */
export function requireScopes(...scopes: string[]): preHandlerAsyncHookHandler {
  const required = checkScopes('requireScopes', scopes);
  return async function requireScopesHook(request, reply) {
    const server = authenticatedBy.get(request);
    if (!server || !request.auth)
      throw new MisconfigurationError('requireScopes', 'must run on a route the bearer plugin protects (no token was authenticated)');
    try {
      server.checkScopes(request.auth, required);
    } catch (error) {
      return answer(server, reply, error);
    }
  };
}

function answer(server: ResourceServer, reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof ResourceServerError)) throw error;
  const { status, headers, body } = server.errorResponse(error);
  return reply.code(status).headers(headers).send(body);
}

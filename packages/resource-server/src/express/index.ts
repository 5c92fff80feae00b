import { MisconfigurationError } from '@tokenstore/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ResourceServerError } from '../errors.js';
import { checkScopes, type ResourceServerOptions } from '../options.js';
import { ResourceServer } from '../resource-server.js';
import type { TokenAuth } from '../token-auth.js';

declare global {
  // Express's own augmentation point (@types/express-serve-static-core merges these into Request and Locals).
  namespace Express {
    interface Request {
      /** The validated token's record, set by the tokenstore bearer middleware. */
      auth?: TokenAuth;
    }
    interface Locals {
      auth?: TokenAuth;
    }
  }
}

/** The bearer middleware of one resource server: call it for a route's middleware, optionally with the scopes it needs. */
export interface ExpressBearer {
  (route?: { requiredScopes?: readonly string[] }): RequestHandler;
  /** A middleware after this one that requires more scopes (403 insufficient_scope without them). */
  requireScopes(...scopes: string[]): RequestHandler;
  readonly resourceServer: ResourceServer;
}

// Which server authenticated a request, so a later requireScopes answers under the same realm.
const authenticatedBy = new WeakMap<Request, ResourceServer>();

/**
 * Express 5 middleware: `const bearer = expressBearer(options); app.get('/x', bearer({ requiredScopes: ['read'] }), handler)`.
 * On success `req.auth` and `res.locals.auth` hold the record; a refusal is answered here (400/401/403/503
 * with `WWW-Authenticate`); other errors go to `next`. For the form-body method, mount `express.urlencoded()` first.
 */
export function expressBearer(options: ResourceServerOptions | ResourceServer): ExpressBearer {
  const server = options instanceof ResourceServer ? options : new ResourceServer(options);
  const bearer = ((route: { requiredScopes?: readonly string[] } = {}) => {
    const requiredScopes = checkScopes('requiredScopes', route.requiredScopes ?? []);
    return async (req: Request, res: Response, next: NextFunction) => {
      let auth: TokenAuth;
      try {
        auth = await server.authenticateRequest(req, { requiredScopes, body: req.body });
      } catch (error) {
        return answer(server, res, next, error);
      }
      req.auth = auth;
      res.locals.auth = auth;
      authenticatedBy.set(req, server);
      next();
    };
  }) as ExpressBearer;
  bearer.requireScopes = (...scopes: string[]) => requireScopes(...scopes);
  Object.defineProperty(bearer, 'resourceServer', { value: server, enumerable: true });
  return bearer;
}

/** After a bearer middleware: requires `scopes` of the request's token (403 insufficient_scope with the `scope` attribute). */
export function requireScopes(...scopes: string[]): RequestHandler {
  const required = checkScopes('requireScopes', scopes);
  return (req, res, next) => {
    const server = authenticatedBy.get(req);
    if (!server || !req.auth)
      return next(new MisconfigurationError('requireScopes', 'must run after the bearer middleware (no token was authenticated)'));
    try {
      server.checkScopes(req.auth, required);
    } catch (error) {
      return answer(server, res, next, error);
    }
    next();
  };
}

function answer(server: ResourceServer, res: Response, next: NextFunction, error: unknown): void {
  if (!(error instanceof ResourceServerError)) {
    next(error);
    return;
  }
  const { status, headers, body } = server.errorResponse(error);
  res.status(status).set(headers).json(body);
}

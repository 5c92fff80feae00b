import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { authorizeEndpoint } from './endpoints/authorize.js';
import { healthEndpoint } from './endpoints/health.js';
import { introspectEndpoint } from './endpoints/introspect.js';
import { metadataEndpoint, metadataPathOf } from './endpoints/metadata.js';
import { revokeEndpoint } from './endpoints/revoke.js';
import { tokenEndpoint } from './endpoints/token.js';
import { HttpError } from './http/http-error.js';
import { sendJson } from './http/respond.js';
import type { RunningTokenServer, TokenServerOptions } from './options.js';
import { createServerContext, fromOAuthError, type ServerContext } from './server-context.js';

type Endpoint = (context: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<string | undefined>;

/** Every path and the methods it answers. */
const ROUTES: Record<string, Partial<Record<string, Endpoint>>> = {
  '/token': { POST: tokenEndpoint },
  '/authorize': { GET: authorizeEndpoint, POST: authorizeEndpoint },
  '/revoke': { POST: revokeEndpoint },
  '/introspect': { POST: introspectEndpoint },
  '/health': { GET: healthEndpoint },
};
const LOGGED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/**
 * The request handler of the reference token service, for embedding in your own `node:http` server
 * (or any framework that hands out `IncomingMessage` / `ServerResponse`). It never throws: every
 * failure becomes an OAuth2 error answer.
 */
export function createTokenRequestHandler(options: TokenServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return handlerFor(createServerContext(options));
}

function handlerFor(context: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // handle() answers every failure itself; this catch only guards against a throwing log callback.
    handle(context, req, res).catch(() => {
      if (!res.headersSent) res.destroy();
    });
  };
}

async function handle(context: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  let path: string | undefined;
  let outcome: string | undefined;
  try {
    const url = parseUrl(req.url);
    const routes = url ? routesOf(context, url.pathname) : undefined;
    if (!url || !routes) throw new HttpError(404, 'not_found', 'no such endpoint');
    path = url.pathname;
    const endpoint = routes[req.method ?? ''];
    if (!endpoint)
      throw new HttpError(405, 'invalid_request', `method not allowed; use ${Object.keys(routes).join(' or ')}`, {
        headers: { allow: Object.keys(routes).join(', ') },
      });
    outcome = await endpoint(context, req, res, url);
  } catch (caught) {
    const error = caught instanceof HttpError ? caught : fromOAuthError(caught);
    outcome = error.error;
    answerError(req, res, error);
  } finally {
    if (context.options.log) {
      const method = LOGGED_METHODS.has(req.method ?? '') ? req.method : 'OTHER';
      const ms = Math.round(performance.now() - started);
      // Fixed vocabulary only: a known path, a status, an error code we chose; never a parameter.
      const line = `${method} ${path ?? '-'} ${res.statusCode} ${ms}ms${outcome ? ` ${outcome}` : ''}`;
      try {
        context.options.log(line);
      } catch {
        // A failing logger must not take the server down.
      }
    }
  }
}

function routesOf(context: ServerContext, pathname: string): Partial<Record<string, Endpoint>> | undefined {
  const issuer = context.options.issuer;
  if (issuer !== undefined && pathname === metadataPathOf(issuer)) return { GET: metadataEndpoint };
  return ROUTES[pathname];
}

function parseUrl(raw: string | undefined): URL | undefined {
  if (typeof raw !== 'string' || !raw.startsWith('/')) return undefined;
  try {
    return new URL(raw, 'http://localhost');
  } catch {
    return undefined;
  }
}

function answerError(req: IncomingMessage, res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { ...error.extra.headers };
  if (error.extra.close) headers.connection = 'close';
  sendJson(res, error.status, { error: error.error, error_description: error.description }, headers);
  if (error.extra.close) res.once('finish', () => req.destroy());
}

/**
 * Starts the reference token service (`POST /token`, `GET|POST /authorize`, `POST /revoke`,
 * `POST /introspect`, `GET /health`) on `host:port` (HTTPS with the `tls` option); resolves once it listens.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<RunningTokenServer> {
  const context = createServerContext(options);
  const { host, port: requestedPort } = context.options;
  const timeouts = { requestTimeout: 30_000, headersTimeout: 10_000 };
  const tls = context.options.tls;
  const server = tls ? createHttpsServer({ ...tls, ...timeouts }, handlerFor(context)) : createServer(timeouts, handlerFor(context));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Known only now (port 0 = any free port): the metadata names the URL the server listens on.
  context.options.issuer ??= url;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    host,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

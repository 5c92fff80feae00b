import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { expressBearer } from '../../src/express/index.js';
import { fastifyBearer, requireScopes as fastifyRequireScopes } from '../../src/fastify/index.js';
import type { ResourceServer } from '../../src/index.js';

/**
 * The same protected API in each framework:
 * - `GET /public`: not protected
 * - `GET /me`: any valid token; answers the record
 * - `GET /orders`: requires `read` (a route option)
 * - `POST /orders`: requires `write` (a requireScopes step after the bearer step)
 * - `POST /form`: protected by `formServer` (built with allowFormBodyToken)
 */
export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

export type StartApp = (server: ResourceServer, formServer: ResourceServer) => Promise<RunningApp>;

export const startExpressApp: StartApp = async (server, formServer) => {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  const bearer = expressBearer(server);
  const formBearer = expressBearer(formServer);
  app.get('/public', (_req, res) => {
    res.json({ public: true });
  });
  app.get('/me', bearer(), (req, res) => {
    res.json(req.auth);
  });
  app.get('/orders', bearer({ requiredScopes: ['read'] }), (req, res) => {
    res.json({ orders: [], for: req.auth!.subject, locals: res.locals.auth?.subject });
  });
  app.post('/orders', bearer(), bearer.requireScopes('write'), (req, res) => {
    res.status(201).json({ created: true, by: req.auth!.subject });
  });
  app.post('/form', formBearer(), (req, res) => {
    res.json(req.auth);
  });
  return listen(createServer(app));
};

export const startFastifyApp: StartApp = async (server, formServer) => {
  const app = Fastify();
  // A urlencoded parser that keeps repeated fields (the plugin reads URLSearchParams as well as objects).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  app.get('/public', async () => ({ public: true }));
  await app.register(async (api) => {
    await api.register(fastifyBearer, { resourceServer: server });
    api.get('/me', async (request) => request.auth);
    api.get('/orders', { config: { requiredScopes: ['read'] } }, async (request) => ({ orders: [], for: request.auth!.subject }));
    api.post('/orders', { preHandler: fastifyRequireScopes('write') }, async (request, reply) =>
      reply.code(201).send({ created: true, by: request.auth!.subject }),
    );
  });
  await app.register(async (forms) => {
    await forms.register(fastifyBearer, { resourceServer: formServer });
    forms.post('/form', async (request) => request.auth);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
};

export const startNodeHttpApp: StartApp = async (server, formServer) => {
  const http = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const route = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
    const handle = async () => {
      if (route === 'GET /public') return json(200, { public: true });
      if (route === 'GET /me') return json(200, await server.authenticateRequest(req));
      if (route === 'GET /orders') {
        const auth = await server.authenticateRequest(req, { requiredScopes: ['read'] });
        return json(200, { orders: [], for: auth.subject });
      }
      if (route === 'POST /orders') {
        const auth = await server.authenticateRequest(req, { requiredScopes: ['write'] });
        return json(201, { created: true, by: auth.subject });
      }
      if (route === 'POST /form')
        return json(200, await formServer.authenticateRequest(req, { body: new URLSearchParams(await readBody(req)) }));
      return json(404, { error: 'not_found' });
    };
    handle().catch((error) => {
      if (!server.writeError(res, error)) json(500, { error: 'server_error' });
    });
  });
  return listen(http);
};

export const FRAMEWORKS: Array<[string, StartApp]> = [
  ['express', startExpressApp],
  ['fastify', startFastifyApp],
  ['node:http', startNodeHttpApp],
];

async function listen(server: Server): Promise<RunningApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

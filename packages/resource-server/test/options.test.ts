import { readdirSync, readFileSync } from 'node:fs';
import { MemoryStore } from '@tokenstore/cache';
import { MisconfigurationError, TokenService } from '@tokenstore/core';
import express from 'express';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { expressBearer, requireScopes } from '../src/express/index.js';
import { fastifyBearer } from '../src/fastify/index.js';
import { createResourceServer, type ResourceServerOptions } from '../src/index.js';
import { startExpressApp } from './support/apps.js';
import { bearer, call } from './support/http-client.js';

const service = new TokenService({ store: new MemoryStore() });
const introspection = { url: 'https://auth.example/introspect', clientId: 'rs', clientSecret: 'secret' };

function misconfigured(options: unknown): MisconfigurationError {
  try {
    createResourceServer(options as ResourceServerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(MisconfigurationError);
    return error as MisconfigurationError;
  }
  throw new Error('expected a MisconfigurationError');
}

describe('options are checked at construction, naming the option', () => {
  it.each([
    ['neither mode', {}, 'service'],
    ['both modes', { service, introspection }, 'service'],
    ['a service that is no TokenService', { service: {} }, 'service'],
    ['an unknown option', { service, realms: 'x' }, 'realms'],
    ['a realm with a quote', { service, realm: 'a"b' }, 'realm'],
    ['a scope with a space', { service, requiredScopes: ['a b'] }, 'requiredScopes'],
    ['required scopes not an array', { service, requiredScopes: 'read' }, 'requiredScopes'],
    ['a relative introspection URL', { introspection: { ...introspection, url: '/introspect' } }, 'introspection.url'],
    ['an ftp introspection URL', { introspection: { ...introspection, url: 'ftp://auth.example/i' } }, 'introspection.url'],
    ['no client secret', { introspection: { ...introspection, clientSecret: '' } }, 'introspection.clientSecret'],
    ['an unknown introspection option', { introspection: { ...introspection, ttl: 5 } }, 'introspection.ttl'],
    ['a zero timeout', { introspection: { ...introspection, timeoutMs: 0 } }, 'introspection.timeoutMs'],
    ['a negative staleness', { introspection: { ...introspection, maxStalenessSeconds: -1 } }, 'introspection.maxStalenessSeconds'],
    [
      'a fractional negative cache',
      { introspection: { ...introspection, negativeCacheSeconds: 0.5 } },
      'introspection.negativeCacheSeconds',
    ],
    ['no cache entries', { introspection: { ...introspection, cacheMaxEntries: 0 } }, 'introspection.cacheMaxEntries'],
    ['a sender constraint without verify', { service, senderConstraint: { schemes: ['DPoP'] } }, 'senderConstraint'],
    [
      'a sender-constraint scheme with a space',
      { service, senderConstraint: { schemes: ['D P'], verify() {} } },
      'senderConstraint.schemes',
    ],
    ['a clock without now', { service, clock: {} }, 'clock'],
  ])('%s', (_case, options, field) => {
    const error = misconfigured(options);
    expect(error.field).toBe(field);
    expect(error.code).toBe('MISCONFIGURATION');
  });

  it('never puts the client secret in an error', () => {
    const error = misconfigured({ introspection: { ...introspection, url: 'nope', clientSecret: 'very-secret-value' } });
    expect(error.message).not.toContain('very-secret-value');
  });

  it('a route with a malformed scope fails when it is declared, in Express and in Fastify', async () => {
    const bearerOf = expressBearer({ service });
    expect(() => bearerOf({ requiredScopes: ['bad scope'] })).toThrow(MisconfigurationError);
    expect(() => requireScopes('')).toThrow(MisconfigurationError);
    const app = Fastify();
    await app.register(fastifyBearer, { service });
    expect(() => app.get('/x', { config: { requiredScopes: ['bad"scope'] } }, async () => 'x')).toThrow(MisconfigurationError);
    await app.close();
  });
});

describe('the adapters', () => {
  it('Express: requireScopes without a bearer step before it is a setup error, not a pass', async () => {
    const app = express();
    const errors: unknown[] = [];
    app.get('/x', requireScopes('read'), (_req, res) => {
      res.json({ reached: true });
    });
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(error);
      res.status(500).json({ error: 'server_error' });
    });
    const server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      expect((await call(`http://127.0.0.1:${port}/x`)).status).toBe(500);
      expect(errors[0]).toBeInstanceOf(MisconfigurationError);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('a throwing event listener changes no outcome', async () => {
    const { consumerKey } = await service.registerClient({ name: 'app', grantTypes: ['client_credentials'] });
    const { accessToken } = await service.issueAccessToken({ consumerKey });
    const server = createResourceServer({
      service,
      onEvent: () => {
        throw new Error('listener failed');
      },
    });
    const app = await startExpressApp(server, server);
    try {
      expect((await call(`${app.url}/me`, { headers: bearer(accessToken) })).status).toBe(200);
      expect((await call(`${app.url}/me`)).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('Fastify: the plugin protects only the context it is registered in; config.bearer false opts a route out', async () => {
    const app = Fastify();
    app.get('/outside', async () => ({ outside: true }));
    await app.register(async (api) => {
      await api.register(fastifyBearer, { service, realm: 'inner' });
      api.get('/inside', async (request) => request.auth);
      api.get('/health', { config: { bearer: false } }, async (request) => ({ auth: request.auth }));
    });
    try {
      expect((await app.inject({ url: '/outside' })).statusCode).toBe(200);
      const inside = await app.inject({ url: '/inside' });
      expect(inside.statusCode).toBe(401);
      expect(inside.headers['www-authenticate']).toBe('Bearer realm="inner"');
      const health = await app.inject({ url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ auth: null });
    } finally {
      await app.close();
    }
  });
});

describe('package.json', () => {
  it('marks every peer dependency optional: an Express user needs no Fastify, and the reverse', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['express', 'fastify']);
    for (const name of Object.keys(manifest.peerDependencies)) expect(manifest.peerDependenciesMeta[name]?.optional).toBe(true);
    expect(manifest.dependencies).not.toHaveProperty('express');
    expect(manifest.dependencies).not.toHaveProperty('fastify');
  });

  it('the root entry point imports neither framework (only the ./express and ./fastify entry points do)', () => {
    const src = new URL('../src/', import.meta.url);
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
      (file) => file.endsWith('.ts') && !file.startsWith('express') && !file.startsWith('fastify'),
    );
    expect(files).toContain('index.ts');
    for (const file of files) expect(readFileSync(new URL(file, src), 'utf8')).not.toMatch(/from '(express|fastify|fastify-plugin)'/);
  });
});

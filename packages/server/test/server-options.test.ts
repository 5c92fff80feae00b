import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '@tokenstore/cache';
import { MisconfigurationError, TokenService } from '@tokenstore/core';
import { createTokenRequestHandler, resolveServerOptions, startTokenServer, usersAuthenticator } from '@tokenstore/server';
import { describe, expect, it } from 'vitest';

const service = new TokenService({ store: new MemoryStore() });

describe('options', () => {
  it.each([
    ['no service', {}, 'service'],
    ['a store instead of a service', { service: new MemoryStore() }, 'service'],
    ['an unknown option', { service, reuse: true }, 'reuse'],
    ['users that is not an object', { service, users: 'alice:pw' }, 'users'],
    ['a user without password', { service, users: { alice: '' } }, 'users'],
    ['a port out of range', { service, port: 70000 }, 'port'],
    ['a fractional port', { service, port: 80.5 }, 'port'],
    ['an empty host', { service, host: '' }, 'host'],
    ['a log that is not a function', { service, log: 'stdout' }, 'log'],
    ['a service inside model', { service, model: { service } }, 'model.service'],
    ['a login limit of zero failures', { service, loginRateLimit: { maxFailures: 0 } }, 'loginRateLimit.maxFailures'],
    ['a fractional login window', { service, loginRateLimit: { windowSeconds: 1.5 } }, 'loginRateLimit.windowSeconds'],
  ])('refuses %s at start-up, naming the option', (_name, options, field) => {
    let error: unknown;
    try {
      resolveServerOptions(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MisconfigurationError);
    expect((error as MisconfigurationError).field).toBe(field);
  });

  it('refuses bad adapter options when the handler is created', () => {
    expect(() => createTokenRequestHandler({ service, model: { scopes: { allowed: ['bad scope'] } } })).toThrow(MisconfigurationError);
  });

  it('defaults to 127.0.0.1:8080', () => {
    expect(resolveServerOptions({ service })).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      loginRateLimit: { maxFailures: 5, windowSeconds: 900 },
    });
  });

  it('checks users’ passwords', () => {
    const check = usersAuthenticator({ alice: 'secret-1' });
    const client = { id: 'c', grants: [] };
    expect(check('alice', 'secret-1', client)).toBe('alice');
    expect(check('alice', 'secret-2', client)).toBeNull();
    expect(check('bob', 'secret-1', client)).toBeNull();
  });
});

describe('running and embedding', () => {
  it('listens on a free port with port 0, and close() stops it (twice is fine)', async () => {
    const server = await startTokenServer({ service, port: 0 });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await server.close();
    await server.close();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('fails to start on a port in use', async () => {
    const first = await startTokenServer({ service, port: 0 });
    await expect(startTokenServer({ service, port: first.port })).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });

  it('serves from a handler mounted in your own node:http server, logging one line per request', async () => {
    const lines: string[] = [];
    const own = createServer(createTokenRequestHandler({ service, log: (line) => lines.push(line) }));
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(own.address() as AddressInfo).port}`;
    await fetch(`${base}/health`);
    await fetch(`${base}/token`, { method: 'POST', body: 'grant_type=client_credentials', headers: { 'content-type': 'text/plain' } });
    await fetch(`${base}/secret-path?token=abc`);
    await new Promise<void>((resolve) => own.close(() => resolve()));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^GET \/health 200 \d+ms$/);
    expect(lines[1]).toMatch(/^POST \/token 415 \d+ms invalid_request$/);
    expect(lines[2]).toMatch(/^GET - 404 \d+ms not_found$/);
  });

  it('keeps serving when the log callback throws', async () => {
    const server = await startTokenServer({
      service,
      port: 0,
      log: () => {
        throw new Error('disk full');
      },
    });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await server.close();
  });

  it('answers 503 on /health when the store fails', async () => {
    const store = new MemoryStore();
    const broken = new TokenService({ store });
    await store.close();
    const server = await startTokenServer({ service: broken, port: 0 });
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', backend: 'memory' });
    await server.close();
  });
});

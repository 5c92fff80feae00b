import { createServer } from 'node:net';
import { MemoryStore } from '@tokenstore/cache';
import { describe, expect, it } from 'vitest';
import type { StartTokenServer, StartTokenServerOptions } from '../src/index.js';
import { cli, until } from './support/cli.js';

const SECRET_A = 'first-secret-of-app-0123456789abcdefghij';
const SECRET_B = 'second-secret-of-app-0123456789abcdefghij';

/** A stand-in for @tokenstore/server that records how it was started and stopped. */
function stubServer() {
  const calls: StartTokenServerOptions[] = [];
  let closed = 0;
  const start: StartTokenServer = async (options) => {
    calls.push(options);
    return {
      url: `http://${options.host}:${options.port || 40123}`,
      host: options.host,
      port: options.port || 40123,
      close: async () => {
        closed++;
      },
    };
  };
  return { start, calls, closed: () => closed };
}

/** A port nothing listens on right now (the metrics port must be a fixed one). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A store that survives the command closing it, like a database across restarts. */
function persistentStore(): MemoryStore {
  const store = new MemoryStore();
  store.close = async () => undefined;
  return store;
}

/** Runs `serve` until the stub server has started, then stops it as SIGTERM would. */
async function serveOnce(
  env: Record<string, string>,
  store: MemoryStore | undefined,
  server = stubServer(),
  readFile?: (path: string) => string,
) {
  const controller = new AbortController();
  const running = cli(['serve'], {
    env,
    signal: controller.signal,
    startTokenServer: server.start,
    ...(store ? { openStore: async () => store } : {}),
    ...(readFile ? { readFile } : {}),
  });
  const started = await Promise.race([until(() => server.calls.at(-1), 'the server to start'), running.then((result) => result)]);
  if ('code' in started) throw new Error(`serve ended early with ${started.code}: ${started.stderr}`);
  controller.abort();
  return { ...(await running), options: started, server };
}

describe('tokenstore serve', () => {
  it('on memory: with nothing configured seeds a demo client and user and prints curl lines to try them', async () => {
    const store = persistentStore();
    const { code, stdout, options, server } = await serveOnce({ PORT: '0' }, store);
    expect(code).toBe(0);
    expect(server.closed()).toBe(1);
    expect(options.host).toBe('127.0.0.1');
    expect(options.port).toBe(0);
    const secret = /client: demo-client\s+secret: (\S+)/.exec(stdout)?.[1];
    const password = /user:\s+demo\s+password: (\S+)/.exec(stdout)?.[1];
    expect(secret?.length).toBeGreaterThanOrEqual(32);
    expect(options.users).toEqual({ demo: password });
    expect(await options.service.verifyClientSecret('demo-client', secret!)).toBe(true);
    expect((await options.service.getClient('demo-client'))?.grantTypes.sort()).toEqual([
      'authorization_code',
      'client_credentials',
      'password',
      'refresh_token',
    ]);
    // Scopes are denied unless allowed: the demo client may ask for the scopes its curl lines use.
    expect((await options.service.getClient('demo-client'))?.allowedScopes).toEqual(['read', 'write']);
    expect(stdout).toContain('listening on http://127.0.0.1:40123');
    expect(stdout).toContain(
      `curl -s -w '\\n' -u 'demo-client:${secret}' -d grant_type=client_credentials -d scope=read http://127.0.0.1:40123/token`,
    );
    expect(stdout).toContain(`-d grant_type=password -d username=demo -d 'password=${password}'`);
    expect(stdout).toMatch(/--data-urlencode "token=\$TOKEN" http:\/\/127\.0\.0\.1:40123\/introspect/);
    expect(stdout).toMatch(/--data-urlencode "token=\$TOKEN" http:\/\/127\.0\.0\.1:40123\/revoke/);
  });

  it('seeds a different demo secret on every start', async () => {
    const first = await serveOnce({}, persistentStore());
    const second = await serveOnce({}, persistentStore());
    const secretOf = (out: string) => /secret: (\S+)/.exec(out)?.[1];
    expect(secretOf(first.stdout)).toBeDefined();
    expect(secretOf(first.stdout)).not.toBe(secretOf(second.stdout));
  });

  it('does not seed the demo when clients or users are configured', async () => {
    const { stdout, options } = await serveOnce({ TOKENSTORE_USERS: 'alice:wonderland' }, persistentStore());
    expect(stdout).not.toContain('demo-client');
    expect(await options.service.getClient('demo-client')).toBeNull();
    expect(options.users).toEqual({ alice: 'wonderland' });
  });

  it('registers configured clients, and a restart against the same store updates them instead of failing', async () => {
    const store = persistentStore();
    const first = await serveOnce({ TOKENSTORE_CLIENTS: `app:${SECRET_A}:client_credentials` }, store);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('client "app" created');
    const created = await first.options.service.getClient('app');
    expect(created?.grantTypes).toEqual(['client_credentials']);

    const second = await serveOnce({ TOKENSTORE_CLIENTS: `app:${SECRET_B}:client_credentials,refresh_token` }, store);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('client "app" updated');
    expect((await second.options.service.getClient('app'))?.grantTypes).toEqual(['client_credentials', 'refresh_token']);
    expect(await second.options.service.verifyClientSecret('app', SECRET_B)).toBe(true);
    expect(await second.options.service.verifyClientSecret('app', SECRET_A)).toBe(false);

    const third = await serveOnce({ TOKENSTORE_CLIENTS: `app:${SECRET_B}:refresh_token,client_credentials` }, store);
    expect(third.code).toBe(0);
    expect(third.stderr).not.toContain('client "app"');
    expect((await third.options.service.getClient('app'))?.updatedAt).toBe((await second.options.service.getClient('app'))?.updatedAt);
  });

  it('passes TOKENSTORE_SCOPES to the server as the global allow-list, and registers each client with its own scopes', async () => {
    const files: Record<string, string> = {
      '/clients.json': JSON.stringify([{ clientId: 'app', clientSecret: SECRET_A, scopes: ['orders'] }]),
    };
    const store = persistentStore();
    const readFile = (path: string) => files[path]!;
    const { code, options } = await serveOnce(
      { TOKENSTORE_CLIENTS: '/clients.json', TOKENSTORE_SCOPES: 'public' },
      store,
      stubServer(),
      readFile,
    );
    expect(code).toBe(0);
    expect(options.model?.scopes?.allowed).toEqual(['public']);
    expect((await options.service.getClient('app'))?.allowedScopes).toEqual(['orders']);
    // A restart with other scopes brings the stored client in line.
    files['/clients.json'] = JSON.stringify([{ clientId: 'app', clientSecret: SECRET_A, scopes: ['orders', 'refunds'] }]);
    const again = await serveOnce({ TOKENSTORE_CLIENTS: '/clients.json' }, store, stubServer(), readFile);
    expect(again.stderr).toContain('client "app" updated');
    expect((await again.options.service.getClient('app'))?.allowedScopes).toEqual(['orders', 'refunds']);
  });

  it('registers a client marked resourceServer in the clients file as a resource server (it may introspect every token)', async () => {
    const files: Record<string, string> = {
      '/clients.json': JSON.stringify([
        { clientId: 'api', clientSecret: SECRET_A, resourceServer: true },
        { clientId: 'app', clientSecret: SECRET_B },
      ]),
    };
    const store = persistentStore();
    const readFile = (path: string) => files[path]!;
    const { options } = await serveOnce({ TOKENSTORE_CLIENTS: '/clients.json' }, store, stubServer(), readFile);
    expect((await options.service.getClient('api'))?.resourceServer).toBe(true);
    expect((await options.service.getClient('app'))?.resourceServer).toBe(false);
    files['/clients.json'] = JSON.stringify([{ clientId: 'api', clientSecret: SECRET_A }]);
    const again = await serveOnce({ TOKENSTORE_CLIENTS: '/clients.json' }, store, stubServer(), readFile);
    expect(again.stderr).toContain('client "api" updated');
    expect((await again.options.service.getClient('api'))?.resourceServer).toBe(false);
  });

  it('passes TOKENSTORE_ISSUER to the server (the issuer of /.well-known/oauth-authorization-server)', async () => {
    const { options } = await serveOnce({ TOKENSTORE_ISSUER: 'https://auth.example' }, persistentStore());
    expect(options.issuer).toBe('https://auth.example');
  });

  it('exposes OpenTelemetry metrics for Prometheus on TOKENSTORE_METRICS_PORT while it runs', async () => {
    const port = await freePort();
    const server = stubServer();
    const controller = new AbortController();
    const running = cli(['serve'], {
      env: { TOKENSTORE_METRICS_PORT: String(port), TOKENSTORE_CLIENTS: `app:${SECRET_A}` },
      signal: controller.signal,
      startTokenServer: server.start,
      openStore: async () => persistentStore(),
    });
    const options = await until(() => server.calls.at(-1), 'the server to start');
    const issued = await options.service.issueAccessToken({ consumerKey: 'app' });
    await options.service.validateAccessToken(issued.accessToken);
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(/^tokenstore_token_issued\S*\{[^}]*tokenstore_grant_type="client_credentials"[^}]*\} 1$/m);
    expect(text).toMatch(/^tokenstore_token_validations\S*\{[^}]*tokenstore_validation_result="valid"[^}]*\} 1$/m);
    expect(text).not.toContain(issued.accessToken);
    controller.abort();
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`metrics:    http://127.0.0.1:${port}/metrics`);
    // Stopped with the service: the port is free again.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('never prints a configured secret', async () => {
    const { stdout, stderr } = await serveOnce(
      { TOKENSTORE_CLIENTS: `app:${SECRET_A}`, TOKENSTORE_USERS: 'alice:wonderland' },
      persistentStore(),
    );
    expect(stdout + stderr).not.toContain(SECRET_A);
    expect(stdout + stderr).not.toContain('wonderland');
  });

  it('closes the service (and so the store) when stopped', async () => {
    const store = new MemoryStore();
    const { code } = await serveOnce({}, store);
    expect(code).toBe(0);
    await expect(store.getClient('demo-client')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('exits 1 and closes the store when the server cannot start', async () => {
    const store = new MemoryStore();
    const result = await cli(['serve'], {
      openStore: async () => store,
      startTokenServer: async () => {
        throw Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'), { code: 'EADDRINUSE' });
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('EADDRINUSE');
    await expect(store.getClient('x')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('exits 2 before opening anything when the configuration is bad', async () => {
    let opened = false;
    const result = await cli(['serve'], {
      env: { PORT: 'eighty' },
      openStore: async () => {
        opened = true;
        return new MemoryStore();
      },
      startTokenServer: stubServer().start,
    });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('PORT: must be a whole number');
    expect(opened).toBe(false);
  });
});

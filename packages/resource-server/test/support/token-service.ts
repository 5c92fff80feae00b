import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '@tokenstore/cache';
import { ManualClock, TokenService, type TokenStore } from '@tokenstore/core';
import { createTokenRequestHandler } from '@tokenstore/server';

/** The scopes the app client may hold. */
export const SCOPES = ['read', 'write', 'admin'] as const;

/**
 * The reference token service (`@tokenstore/server`) on a store, behind a thin `node:http` wrapper
 * that counts introspection calls and can hold them (to make a burst overlap one call, or to be slow).
 */
export interface RunningTokenService {
  url: string;
  introspectionUrl: string;
  service: TokenService;
  /** The token service's clock (expiry of what it issues). */
  clock: ManualClock;
  /** The resource server's client: may introspect every client's tokens. */
  resourceServerClient: { clientId: string; clientSecret: string };
  /** The application the tokens are issued to. */
  appClientId: string;
  /** Introspection calls received so far. */
  introspections(): number;
  /** Holds every introspection call until the returned function is called: then answered, or dropped (the connection destroyed). */
  holdIntrospection(): (outcome?: 'answer' | 'drop') => void;
  /** Introspection calls held right now. */
  heldCount(): number;
  /** An access token of the app client (an application token unless `userId` is given). */
  issue(options?: { scopes?: string[]; userId?: string; validitySeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startTokenService(store: TokenStore = new MemoryStore()): Promise<RunningTokenService> {
  // Near the real time: the resource server compares `exp` with its own clock.
  const clock = new ManualClock(Date.now());
  const service = new TokenService({ store, clock });
  const handler = createTokenRequestHandler({ service, users: { alice: 'wonderland-password' } });
  let count = 0;
  let gate: Promise<'answer' | 'drop'> | undefined;
  let held = 0;
  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.url === '/introspect') {
      count++;
      if (gate !== undefined) {
        held++;
        gate.then((outcome) => {
          held--;
          if (outcome === 'drop') res.destroy();
          else handler(req, res);
        });
        return;
      }
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const rs = await service.registerClient({ name: 'orders api', grantTypes: ['client_credentials'], resourceServer: true });
  const app = await service.registerClient({
    name: 'app',
    grantTypes: ['client_credentials', 'password', 'refresh_token'],
    allowedScopes: [...SCOPES],
  });
  return {
    url,
    introspectionUrl: `${url}/introspect`,
    service,
    clock,
    resourceServerClient: { clientId: rs.consumerKey, clientSecret: rs.consumerSecret },
    appClientId: app.consumerKey,
    introspections: () => count,
    holdIntrospection: () => {
      let release!: (outcome: 'answer' | 'drop') => void;
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return (outcome = 'answer') => {
        gate = undefined;
        release(outcome);
      };
    },
    heldCount: () => held,
    issue: async (options = {}) => {
      const issued = await service.issueAccessToken({
        consumerKey: app.consumerKey,
        scopes: options.scopes ?? ['read'],
        ...(options.userId === undefined ? {} : { userId: options.userId }),
        ...(options.validitySeconds === undefined ? {} : { validitySeconds: options.validitySeconds }),
      });
      return issued.accessToken;
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

/** Resolves when `condition()` holds; fails after `timeoutMs` (a deadline poll, not a sleep). */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

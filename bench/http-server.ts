/**
 * The server side of bench/http.ts and bench/soak.ts, run in a child process of its own so the load
 * generator (autocannon) does not share its event loop:
 *
 *   node --import tsx bench/http-server.ts <target> [introspectTokens]
 *
 * `target`: `ceiling` (a bare node:http server: the same form body, the same Basic header checked
 * against a Map, answers from a Map), `memory` (the reference service on a default MemoryStore),
 * `postgres` (on the SQL store) or `postgres+cache` (on a default ReadCache in front of it; both need
 * TOKENSTORE_TEST_POSTGRES_URL). Registers a resource-server client and an application client, issues
 * `introspectTokens` (1000) tokens to the application client, then prints one JSON line
 * ({@link ReadyLine}) and serves until SIGTERM.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { MemoryStore, ReadCache } from '@tokenstore/cache';
import { TokenService, type TokenStore } from '@tokenstore/core';
import { startTokenServer } from '@tokenstore/server';
import { TestDatabase } from '../packages/rdbms/test/support/test-database.js';

export type HttpTarget = 'ceiling' | 'memory' | 'postgres' | 'postgres+cache';
export const HTTP_TARGETS: readonly HttpTarget[] = ['ceiling', 'memory', 'postgres', 'postgres+cache'];

/** What the child prints once it listens. */
export interface ReadyLine {
  port: number;
  /** The resource server's credentials (introspection) and the application client's (client_credentials). */
  resourceServer: { id: string; secret: string };
  application: { id: string; secret: string };
  /** Tokens of the application client, to introspect. */
  tokens: string[];
}

const RESOURCE_SERVER = { id: 'bench-resource-server', secret: 'bench-resource-server-secret-0123456789abcdef' };
const APPLICATION = { id: 'bench-application', secret: 'bench-application-secret-0123456789abcdefgh' };
const HOUR_SECONDS = 3600;

async function main(): Promise<void> {
  const target = process.argv[2] as HttpTarget;
  if (!HTTP_TARGETS.includes(target)) throw new Error(`target must be one of ${HTTP_TARGETS.join(', ')}`);
  const count = Number(process.argv[3] ?? 1000);
  const started = target === 'ceiling' ? await startCeiling(count) : await startService(target, count);
  const { port, tokens, close } = started;
  const sizes: () => unknown = started.sizes;
  const ready: ReadyLine = { port, resourceServer: RESOURCE_SERVER, application: APPLICATION, tokens };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  // bench/soak.ts: the process's memory every BENCH_REPORT_MEMORY_MS, one JSON line each.
  const every = Number(process.env.BENCH_REPORT_MEMORY_MS ?? 0);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (every > 0)
    setInterval(() => {
      gc?.(); // only with --expose-gc (BENCH_SOAK_GC=1): the live heap instead of wherever the collector is
      process.stdout.write(`${JSON.stringify({ memory: process.memoryUsage(), sizes: sizes() })}\n`);
    }, every).unref();
  process.once('SIGTERM', () => {
    // A normal exit, so --cpu-prof writes its profile.
    close().finally(() => process.exit(0));
  });
}

async function startService(target: Exclude<HttpTarget, 'ceiling'>, count: number) {
  let database: TestDatabase | undefined;
  let store: TokenStore;
  let memory: MemoryStore | undefined;
  if (target === 'memory') store = memory = new MemoryStore();
  else {
    const url = process.env.TOKENSTORE_TEST_POSTGRES_URL;
    if (!url) throw new Error('TOKENSTORE_TEST_POSTGRES_URL is not set');
    database = await TestDatabase.open('postgres', url, 'tokenstore_bench_http', { poolSize: Number(process.env.BENCH_POOL_SIZE ?? 10) });
    const sql = await database.createStore();
    store = target === 'postgres+cache' ? new ReadCache(sql) : sql;
  }
  const service = new TokenService({ store });
  await service.registerClient({
    consumerKey: RESOURCE_SERVER.id,
    consumerSecret: RESOURCE_SERVER.secret,
    resourceServer: true,
    grantTypes: ['client_credentials'],
  });
  await service.registerClient({
    consumerKey: APPLICATION.id,
    consumerSecret: APPLICATION.secret,
    grantTypes: ['client_credentials'],
    allowedScopes: ['read'],
  });
  const tokens: string[] = [];
  for (let i = 0; i < count; i++)
    tokens.push((await service.issueAccessToken({ consumerKey: APPLICATION.id, userId: APPLICATION.id, scopes: 'read' })).accessToken);
  const server = await startTokenServer({ service, port: 0 });
  return {
    port: server.port,
    tokens,
    /** Entries of every structure of the memory store (undefined on PostgreSQL). */
    sizes: () => memory?.sizes(),
    close: async () => {
      await server.close();
      await service.close();
      await database?.close();
    },
  };
}

interface CeilingRecord {
  clientId: string;
  scope: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * The ceiling: what any Node.js token service must at least do per request. Reads the body and
 * parses it as a form, decodes and checks the Basic header against a Map (constant-time compare),
 * looks the token up in (or adds it to) a Map and answers the same JSON with the same headers.
 */
async function startCeiling(count: number) {
  const secrets = new Map([
    [RESOURCE_SERVER.id, Buffer.from(RESOURCE_SERVER.secret)],
    [APPLICATION.id, Buffer.from(APPLICATION.secret)],
  ]);
  const records = new Map<string, CeilingRecord>();
  const issue = (): string => {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    records.set(token, { clientId: APPLICATION.id, scope: 'read', issuedAt: now, expiresAt: now + HOUR_SECONDS * 1000 });
    // Bounded like the default memory store (100,000 rows): the oldest goes first.
    if (records.size > 100_000) records.delete(records.keys().next().value as string);
    return token;
  };
  const tokens = Array.from({ length: count }, issue);
  const authenticated = (req: IncomingMessage): string | undefined => {
    const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(req.headers.authorization ?? '');
    if (!match) return undefined;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const id = decodeURIComponent(decoded.slice(0, colon));
    const secret = Buffer.from(decodeURIComponent(decoded.slice(colon + 1)));
    const expected = secrets.get(id);
    return expected && expected.length === secret.length && timingSafeEqual(expected, secret) ? id : undefined;
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      pragma: 'no-cache',
    });
    res.end(text);
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const client = authenticated(req);
    if (!client) return send(res, 401, { error: 'invalid_client' });
    if (req.url === '/introspect') {
      const record = records.get(form.get('token') ?? '');
      if (!record || record.expiresAt <= Date.now()) return send(res, 200, { active: false });
      return send(res, 200, {
        active: true,
        client_id: record.clientId,
        token_type: 'Bearer',
        iat: Math.floor(record.issuedAt / 1000),
        sub: record.clientId,
        scope: record.scope,
        username: record.clientId,
        exp: Math.floor(record.expiresAt / 1000),
      });
    }
    if (req.url === '/token' && form.get('grant_type') === 'client_credentials')
      return send(res, 200, { access_token: issue(), token_type: 'Bearer', expires_in: HOUR_SECONDS, scope: form.get('scope') ?? '' });
    return send(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    tokens,
    sizes: () => undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

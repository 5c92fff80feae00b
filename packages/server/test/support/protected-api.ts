import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type ResourceServerOptions, type SenderConstraintsOptions, senderConstraints } from '@tokenstore/resource-server';
import express from 'express';
import { generate } from 'selfsigned';
import { expressBearer } from '../../../resource-server/src/express/index.js';
import type { RunningFixture } from './end-to-end.js';

/** A protected Express API: `GET /orders` needs a valid token, and its binding proved (DPoP, mTLS). */
export interface ProtectedApi {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the API over `http` (or `https` with `tls`), validating tokens by introspection at the
 * fixture's server as a resource-server client of its own (no cache: every call asks), with the
 * built-in sender-constraint checks.
 */
export async function startProtectedApi(
  f: RunningFixture,
  checks: SenderConstraintsOptions,
  tls?: { key: string; cert: string; ca: string },
): Promise<ProtectedApi> {
  const rs = await f.service.registerClient({ name: 'orders api', resourceServer: true });
  const options: ResourceServerOptions = {
    introspection: {
      url: f.as.introspection_endpoint!,
      clientId: rs.consumerKey,
      clientSecret: rs.consumerSecret,
      maxStalenessSeconds: 0,
      negativeCacheSeconds: 0,
      // The token service may itself be HTTPS with a test CA: undici takes no CA option, so trust it per call.
      ...(tls ? { fetch: caFetch(tls.ca) } : {}),
    },
    senderConstraint: senderConstraints(checks),
  };
  const bearer = expressBearer(options);
  const app = express();
  app.get('/orders', bearer(), (req, res) => {
    res.json({ client: req.auth!.clientId, cnf: req.auth!.cnf ?? null });
  });
  const { createServer } = tls ? await import('node:https') : await import('node:http');
  const server = tls
    ? (createServer as typeof import('node:https').createServer)({ ...tls, requestCert: true, rejectUnauthorized: false }, app)
    : (createServer as typeof import('node:http').createServer)(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A test PKI: a CA, a server certificate for 127.0.0.1, and two client certificates it signed. */
export interface TestPki {
  ca: string;
  server: { key: string; cert: string };
  clients: [{ key: string; cert: string }, { key: string; cert: string }];
}

/** Made with `selfsigned` (certificates via @peculiar/x509 on WebCrypto): no openssl binary needed. */
export async function createTestPki(): Promise<TestPki> {
  const ca = await generate([{ name: 'commonName', value: 'tokenstore test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const signedBy = { key: ca.private, cert: ca.cert };
  const leaf = async (cn: string, usage: { serverAuth?: boolean; clientAuth?: boolean }) => {
    const pems = await generate([{ name: 'commonName', value: cn }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ca: signedBy,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', ...usage },
        ...(usage.serverAuth ? [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }] }] : []),
      ],
    });
    return { key: pems.private, cert: pems.cert };
  };
  return {
    ca: ca.cert,
    server: await leaf('127.0.0.1', { serverAuth: true }),
    clients: [await leaf('client a', { clientAuth: true }), await leaf('client b', { clientAuth: true })],
  };
}

/** An HTTPS request trusting `ca`, with a client certificate when given; answers status, headers and JSON body. */
export function httpsCall(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; ca: string; client?: { key: string; cert: string } },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      { method: init.method ?? 'GET', headers: init.headers, ca: init.ca, ...(init.client ?? {}), agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text === '' ? {} : JSON.parse(text) });
        });
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}

/** A `fetch` for the introspection client that trusts `ca` (node:https underneath). */
function caFetch(ca: string): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const answer = await httpsCall(String(input), { method: init?.method ?? 'GET', headers, body: String(init?.body ?? ''), ca });
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An introspection endpoint that answers what the test says: for members the reference service does
 * not issue yet (`cnf`, `token_type: DPoP`) and for broken answers.
 */
export async function startStubIntrospection(answer: () => { status: number; body: string }) {
  let calls = 0;
  const http = createServer((req, res) => {
    calls++;
    req.resume();
    req.on('end', () => {
      const { status, body } = answer();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/introspect`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** A URL nobody listens on: a port that was just free. */
export async function closedPortUrl(): Promise<string> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  await new Promise<void>((resolve) => http.close(() => resolve()));
  return `http://127.0.0.1:${port}/introspect`;
}

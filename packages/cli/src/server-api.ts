import type { RunningTokenServer, TokenServerOptions } from '@tokenstore/server';

/** Where the server logs: one line per request (method, path, status, duration, OAuth2 error); never a value. */
export type ServerLog = NonNullable<TokenServerOptions['log']>;

/** Options of `startTokenServer` from `@tokenstore/server`, as `tokenstore serve` passes them. */
export type StartTokenServerOptions = Required<Pick<TokenServerOptions, 'service' | 'users' | 'host' | 'port' | 'log'>> &
  Pick<TokenServerOptions, 'model' | 'issuer'>;

/** A running reference token service. */
export type TokenServerHandle = RunningTokenServer;

/** The signature of `startTokenServer` in `@tokenstore/server`, which `tokenstore serve` calls (tests inject a stub). */
export type StartTokenServer = (options: StartTokenServerOptions) => Promise<TokenServerHandle>;

/** Loads `startTokenServer` from `@tokenstore/server` on demand (other commands never load the HTTP stack). */
export async function loadStartTokenServer(): Promise<StartTokenServer> {
  return (await import('@tokenstore/server')).startTokenServer;
}

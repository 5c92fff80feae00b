import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenService } from '@tokenstore/core';
import { type OidcProviderAdapter, tokenstoreAdapter } from '@tokenstore/oidc-provider';
import * as oauth from 'oauth4webapi';
import Provider, { type Configuration } from 'oidc-provider';

export const CLIENT_ID = 'e2e-app';
export const CLIENT_SECRET = 'e2e-client-secret-0123456789-abcdefghijklmnop';
export const REDIRECT_URI = 'https://app.example/callback';
export const ACCOUNT = 'alice';

/** Every adapter call the provider made, by model and method: which models and lookups a flow exercised. */
export type AdapterCalls = Map<string, number>;

/**
 * A real oidc-provider on a loopback port over the adapter, with interactions finished in code (log
 * in as {@link ACCOUNT}, grant every requested scope), so a client library drives the real endpoints.
 * `restart()` swaps in a new Provider instance on the same service: what it finds lives in the store.
 */
export class ProviderHarness {
  service: TokenService;
  readonly calls: AdapterCalls = new Map();
  provider!: Provider;
  #server!: Server;
  issuer!: URL;

  constructor(service: TokenService) {
    this.service = service;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    const { port } = this.#server.address() as AddressInfo;
    this.issuer = new URL(`http://127.0.0.1:${port}`);
    this.provider = this.#newProvider();
  }

  /** A new Provider instance (a restarted process) on the same store; on `service` when given (a new deploy). */
  restart(service?: TokenService): void {
    if (service) this.service = service;
    this.provider = this.#newProvider();
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** An adapter of `model` on the same service, as the provider would make it. */
  adapter(model: string): OidcProviderAdapter {
    return new (tokenstoreAdapter(this.service))(model);
  }

  #newProvider(): Provider {
    const Adapter = tokenstoreAdapter(this.service);
    const calls = this.calls;
    // Counts every call the provider makes, so a test can prove which models and lookups its flow used.
    class CountingAdapter extends Adapter {
      constructor(name: string) {
        super(name);
        for (const method of ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId'] as const) {
          const original = this[method].bind(this) as (...args: unknown[]) => Promise<unknown>;
          (this as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
            const label = `${name}.${method}`;
            calls.set(label, (calls.get(label) ?? 0) + 1);
            return original(...args);
          };
        }
      }
    }
    const configuration: Configuration = {
      adapter: CountingAdapter as unknown as Configuration['adapter'],
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
          response_types: ['code'],
          scope: 'openid offline_access api',
        },
      ],
      scopes: ['openid', 'offline_access', 'api'],
      cookies: { keys: ['e2e-cookie-key-0123456789abcdef'] },
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        revocation: { enabled: true },
        deviceFlow: { enabled: true },
      },
      rotateRefreshToken: true,
      issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    };
    const provider = new Provider(this.issuer.href, configuration);
    // Default dev keys and cookie warnings are expected in a test.
    provider.on('server_error', (_ctx, error) => console.error('[e2e] provider server_error', error.message));
    return provider;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.url?.startsWith('/interaction/')) return await this.#interaction(req, res);
      await this.provider.callback()(req, res);
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  }

  /** Logs in, then grants what was asked: what a login and consent page would do. */
  async #interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await this.provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await this.provider.interactionFinished(req, res, { login: { accountId: ACCOUNT } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId
      ? ((await this.provider.Grant.find(details.grantId)) as InstanceType<Provider['Grant']>)
      : new this.provider.Grant({ accountId: ACCOUNT, clientId: details.params.client_id as string });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    await this.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
}

/** A user agent: follows redirects by hand with a cookie jar until the provider redirects to the client. */
export async function authorize(authorizationUrl: URL): Promise<URL> {
  const jar = new Map<string, string>();
  let url = authorizationUrl;
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = (pair as string).indexOf('=');
      jar.set((pair as string).slice(0, index), (pair as string).slice(index + 1));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`authorization stopped at ${url.pathname} with HTTP ${response.status}: ${await response.text()}`);
    const next = new URL(location, url);
    if (next.href.startsWith(REDIRECT_URI)) return next;
    url = next;
  }
  throw new Error('too many redirects');
}

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** The client's view: discovery, PKCE authorization, and the token endpoint calls, through oauth4webapi. */
export async function discover(harness: ProviderHarness): Promise<oauth.AuthorizationServer> {
  return oauth.processDiscoveryResponse(harness.issuer, await oauth.discoveryRequest(harness.issuer, insecure));
}

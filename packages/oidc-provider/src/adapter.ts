import {
  type ArtifactPayload,
  type ArtifactService,
  type Clock,
  MisconfigurationError,
  type Protector,
  type PurgeOptions,
  type Retention,
  TokenService,
  type TokenStore,
} from '@tokenstore/core';

/** The adapter instance oidc-provider makes per model (`new Adapter(modelName)`); see its `example/my_adapter.js`. */
export interface OidcProviderAdapter {
  readonly name: string;
  upsert(id: string, payload: ArtifactPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<ArtifactPayload | undefined>;
  findByUid(uid: string): Promise<ArtifactPayload | undefined>;
  findByUserCode(userCode: string): Promise<ArtifactPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** What `new Provider(issuer, { adapter })` takes: a class constructed with the model name. */
export type OidcProviderAdapterClass = new (name: string) => OidcProviderAdapter;

export interface TokenstoreAdapterOptions {
  /** Only with a bare store: how ids, uids and user codes are kept (`createProtector(...)`); default plain. */
  protector?: Protector;
  /** Only with a bare store: the purge schedule of the service the adapter builds (off by default). */
  purge?: Partial<PurgeOptions>;
  /** Only with a bare store: its retention (expired artifacts are kept `expiredSeconds` before purge). */
  retention?: Partial<Retention>;
  /** Only with a bare store: the time source (tests). */
  clock?: Clock;
}

/** The class oidc-provider constructs per model, plus the service it runs on (for `close()` and `purgeExpired()`). */
export type TokenstoreAdapterFactory = OidcProviderAdapterClass & { readonly service: TokenService };

/**
 * The storage adapter of oidc-provider on any tokenstore backend:
 *
 * ```ts
 * const service = new TokenService({ store, protector: createProtector({ mode: 'hash', peppers }) });
 * const provider = new Provider(issuer, { adapter: tokenstoreAdapter(service), ...configuration });
 * ```
 *
 * With a `TokenService`, its store, protector, clock and purger are used. With a bare store, a
 * service is built from `options`. Every model name (`Session`, `AccessToken`, …, and future ones) gets
 * its own instance; policy (protection, expiry, atomic consumption) is the core's `ArtifactService`.
 */
export function tokenstoreAdapter(
  serviceOrStore: TokenService | TokenStore,
  options: TokenstoreAdapterOptions = {},
): TokenstoreAdapterFactory {
  const service = toService(serviceOrStore, options);
  // Fails now (MISCONFIGURATION) if the store keeps no artifacts, not on the provider's first request.
  const artifacts: ArtifactService = service.artifacts;

  class TokenstoreAdapter implements OidcProviderAdapter {
    static readonly service = service;
    readonly name: string;

    constructor(name: string) {
      if (typeof name !== 'string' || name.length === 0) throw new MisconfigurationError('name', 'must be the model name');
      this.name = name;
    }

    async upsert(id: string, payload: ArtifactPayload, expiresIn?: number): Promise<void> {
      await artifacts.upsert(this.name, id, payload, expiresIn);
    }

    find(id: string): Promise<ArtifactPayload | undefined> {
      return artifacts.find(this.name, id);
    }

    findByUid(uid: string): Promise<ArtifactPayload | undefined> {
      return artifacts.findByUid(this.name, uid);
    }

    findByUserCode(userCode: string): Promise<ArtifactPayload | undefined> {
      return artifacts.findByUserCode(this.name, userCode);
    }

    async consume(id: string): Promise<void> {
      await artifacts.consume(this.name, id);
    }

    async destroy(id: string): Promise<void> {
      await artifacts.destroy(this.name, id);
    }

    /** Deletes every artifact of the grant, whatever its model (oidc-provider calls this once per model). */
    async revokeByGrantId(grantId: string): Promise<void> {
      await artifacts.revokeByGrantId(grantId);
    }
  }
  return TokenstoreAdapter;
}

function toService(serviceOrStore: TokenService | TokenStore, options: TokenstoreAdapterOptions): TokenService {
  if (serviceOrStore instanceof TokenService) {
    const extra = (['protector', 'purge', 'retention', 'clock'] as const).find((name) => options[name] !== undefined);
    if (extra !== undefined)
      throw new MisconfigurationError(extra, 'is taken from the TokenService passed in; set it there (or pass a bare store)');
    return serviceOrStore;
  }
  if (!serviceOrStore || typeof (serviceOrStore as TokenStore).insert !== 'function')
    throw new MisconfigurationError('serviceOrStore', 'must be a TokenService or a TokenStore (e.g. new MemoryStore())');
  return new TokenService({
    store: serviceOrStore,
    ...(options.protector ? { protector: options.protector } : {}),
    ...(options.purge ? { purge: options.purge } : {}),
    ...(options.retention ? { retention: options.retention } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

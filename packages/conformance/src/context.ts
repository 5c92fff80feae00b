import {
  ErrorCode,
  isTokenStoreError,
  ManualClock,
  type Protector,
  type RegisteredClient,
  type Retention,
  type StoreCapabilities,
  type TokenService,
  type TokenServiceOptions,
  type TokenStore,
  type TokenStoreEventEmitter,
} from '@tokenstore/core';
import type { ConformanceCapabilities, ConformanceOptions, ProtectionModeCase, StoreContext } from './options.js';
import { createRecordingEmitter, createRecordingService } from './recording-service.js';
import type { SecrecyRecorder } from './secrecy-recorder.js';

/** The longest retention any test configures; see {@link StoreContext.retention}. */
export const SUITE_RETENTION: Readonly<Retention> = { inactiveSeconds: 86_400, expiredSeconds: 3_600 };

/** Redirect URIs of the client every test starts with. */
export const CLIENT_REDIRECT_URIS = ['https://client.example.com/callback', 'https://client.example.com/other'] as const;

/** Service options a test may change; store, clock and protector are the test's. */
export type ServiceOverrides = Partial<Omit<TokenServiceOptions, 'store' | 'clock' | 'protector'>>;

interface TestState<S extends TokenStore> {
  clock: ManualClock;
  store: S;
  protector: Protector;
  service: TokenService;
  client: RegisteredClient;
  services: TokenService[];
}

/**
 * What every test of one protection mode works with. Fresh per test (see {@link open}): a manual
 * clock, an empty store from the backend's factory, a service over it in this mode, and one
 * registered client. Services are wrapped so the secrecy check sees what they issue and throw.
 */
export class ConformanceContext<S extends TokenStore = TokenStore> {
  readonly options: ConformanceOptions<S>;
  readonly mode: ProtectionModeCase;
  readonly recorder: SecrecyRecorder;
  /** The mode keeps values recoverable (plain, encrypt): token reuse is possible. */
  readonly recoverable: boolean;
  readonly capabilities: Required<ConformanceCapabilities>;
  #state: TestState<S> | undefined;

  constructor(options: ConformanceOptions<S>, mode: ProtectionModeCase, recorder: SecrecyRecorder) {
    this.options = options;
    this.mode = mode;
    this.recorder = recorder;
    this.recoverable = mode.createProtector().recoverable;
    this.capabilities = {
      concurrency: options.capabilities?.concurrency ?? 100,
      purgeCounts: options.capabilities?.purgeCounts ?? 'exact',
      contention: options.capabilities?.contention ?? 'decided',
      historyMs: historyMsFrom(process.env.TOKENSTORE_CONFORMANCE_HISTORY_MS, options.capabilities?.historyMs ?? 3000),
    };
  }

  get clock(): ManualClock {
    return this.#current().clock;
  }

  get store(): S {
    return this.#current().store;
  }

  get protector(): Protector {
    return this.#current().protector;
  }

  /** The default service of the test (no reuse, default validities and retention). */
  get service(): TokenService {
    return this.#current().service;
  }

  /** The client registered before the test, with its plaintext secret. */
  get client(): RegisteredClient {
    return this.#current().client;
  }

  get storeCapabilities(): StoreCapabilities {
    return this.store.capabilities;
  }

  /** True when purge counts are exact (no rows vanish on their own in real time). */
  get exactPurgeCounts(): boolean {
    return this.capabilities.purgeCounts === 'exact';
  }

  /** Prepares a test: clock, empty store, service, client. */
  async open(): Promise<void> {
    this.recorder.beginTest();
    const clock = new ManualClock();
    const store = await this.options.createStore({ clock, mode: this.mode.name });
    // The longest retention any test configures, handed over first as a service would, so rows outlive
    // whatever a test's own service needs (a store takes the longest retention it was handed).
    store.useRetention?.({ ...SUITE_RETENTION });
    const protector = this.mode.createProtector();
    const services: TokenService[] = [];
    const service = this.#newService({ clock, store, protector, services }, {});
    const client = await service.registerClient({
      name: 'conformance client',
      redirectUris: [...CLIENT_REDIRECT_URIS],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
    });
    this.#state = { clock, store, protector, services, service, client };
  }

  /** Ends a test: stops every service's purger, then destroys the store (a store closed by the test is fine). */
  async close(): Promise<void> {
    const state = this.#state;
    this.#state = undefined;
    if (!state) return;
    for (const service of state.services) await service.purger.stop();
    try {
      if (this.options.destroyStore) await this.options.destroyStore(state.store);
      else await state.store.close();
    } catch (error) {
      if (!isTokenStoreError(error, ErrorCode.Closed)) throw error;
    }
  }

  /**
   * Another service over the test's store, clock and protector, e.g. with reuse on or a grace period.
   * Its results, errors and events are recorded like the default service's.
   */
  createService(overrides: ServiceOverrides = {}): TokenService {
    return this.#newService(this.#current(), overrides);
  }

  /**
   * A service over another store or protector than the test's (a wrapper that holds calls at a gate, a
   * migration chain), with the test's clock, recorded like the others. Only what `parts` names changes.
   */
  createServiceOver(parts: { store?: TokenStore; protector?: Protector }, overrides: ServiceOverrides = {}): TokenService {
    const state = this.#current();
    return this.#newService(
      { clock: state.clock, store: parts.store ?? state.store, protector: parts.protector ?? state.protector, services: state.services },
      overrides,
    );
  }

  /** An event emitter whose every payload the secrecy check sees (for purgers built by hand). */
  createEmitter(): TokenStoreEventEmitter {
    return createRecordingEmitter(this.recorder);
  }

  /** Records a plaintext the test made up itself (a caller-supplied token, a verifier) as secret. */
  recordPlaintext(label: string, value: string): void {
    this.recorder.recordPlaintext(label, value);
  }

  /** Everything the backend holds now, through the backend's `inspect`. */
  inspect(): Promise<Array<Record<string, unknown>>> {
    return this.options.inspect(this.store);
  }

  #newService(
    parts: Pick<TestState<S>, 'clock' | 'protector' | 'services'> & { store: TokenStore },
    overrides: ServiceOverrides,
  ): TokenService {
    const service = createRecordingService(
      { store: parts.store, clock: parts.clock, protector: parts.protector, ...overrides },
      this.recorder,
    );
    parts.services.push(service);
    return service;
  }

  #current(): TestState<S> {
    if (!this.#state) throw new Error('the conformance context is only available inside a test');
    return this.#state;
  }
}

/** The history duration: the environment variable when set (a positive whole number of ms), else the capability. */
function historyMsFrom(variable: string | undefined, fallback: number): number {
  if (variable === undefined || variable === '') return fallback;
  const ms = Number(variable);
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new Error(`[conformance] TOKENSTORE_CONFORMANCE_HISTORY_MS must be a positive whole number of milliseconds, got "${variable}"`);
  return ms;
}

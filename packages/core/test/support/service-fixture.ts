import {
  ManualClock,
  type RegisterClientRequest,
  TokenService,
  type TokenServiceOptions,
  type TokenStoreEventEmitter,
  type TokenStoreEvents,
} from '@tokenstore/core';
import { RecordingStore } from './recording-store.js';

/** 2030-01-01T00:00:00Z: where every service test's clock starts. */
export const T0 = Date.UTC(2030, 0, 1);
export const CLIENT = 'client-app';
/** A caller-supplied secret long enough for registerClient (32+ characters). */
export const CLIENT_SECRET = 'client-secret-0123456789-abcdefghij';

export interface RecordedEvent {
  name: keyof TokenStoreEvents;
  payload: unknown;
}

/** Records every event on every channel, so a test can prove none of them carries a value. */
export function recordEvents(events: TokenStoreEventEmitter): RecordedEvent[] {
  const recorded: RecordedEvent[] = [];
  const names: (keyof TokenStoreEvents)[] = ['purge', 'protection:fallback', 'security', 'rewrap:progress'];
  for (const name of names) events.on(name, (payload: unknown) => recorded.push({ name, payload }));
  return recorded;
}

export interface ServiceFixture {
  store: RecordingStore;
  clock: ManualClock;
  service: TokenService;
  events: RecordedEvent[];
}

/**
 * A service over a recording store with a manual clock at {@link T0} and one registered client
 * ({@link CLIENT}). The call log starts empty, after registration.
 */
export async function serviceFixture(
  options: Omit<Partial<TokenServiceOptions>, 'store' | 'clock'> = {},
  client: Omit<RegisterClientRequest, 'consumerKey' | 'consumerSecret'> = {},
): Promise<ServiceFixture> {
  const store = new RecordingStore();
  const clock = new ManualClock(T0);
  const service = new TokenService({ store, clock, ...options });
  const events = recordEvents(service.events);
  await service.registerClient({ consumerKey: CLIENT, consumerSecret: CLIENT_SECRET, ...client });
  store.clearCalls();
  return { store, clock, service, events };
}

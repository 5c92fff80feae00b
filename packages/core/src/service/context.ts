import type { Clock } from '../clock.js';
import type { TokenStoreEventEmitter } from '../events.js';
import type { Protector } from '../protection/protector.js';
import type { TokenStore } from '../store.js';
import type { ResolvedServiceOptions } from './options.js';

/**
 * What every flow of the {@link TokenService} works with: one object, built once by the service and
 * shared by all its flows, so they cannot disagree about the store, the clock or an option.
 */
export interface ServiceContext {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly protector: Protector;
  readonly events: TokenStoreEventEmitter;
  readonly options: ResolvedServiceOptions;
}

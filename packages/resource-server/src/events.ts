import type { RefusalReason } from './errors.js';

/** Where a request's validation answer came from. */
export type CacheOutcome = 'local' | 'hit' | 'miss' | 'joined' | 'stale';

/** What the resource server reports (option `onEvent`). Never a token, nor its digest. */
export type ResourceServerEvent =
  | { type: 'authenticated'; source: 'local' | 'introspection'; cache: CacheOutcome; clientId: string }
  | { type: 'refused'; status: number; reason: RefusalReason; cache?: CacheOutcome | 'negative' }
  | {
      type: 'introspection';
      outcome: 'active' | 'inactive' | 'failed';
      durationMs: number;
      /** For `failed`: what went wrong. */
      failure?: IntrospectionFailure;
      /** The HTTP status, when there was an answer. */
      status?: number;
    }
  /** A request found an introspection of the same token in flight and waits for its answer instead of making another. */
  | { type: 'introspection:joined' }
  /** Introspection failed and a stale positive entry (within `staleIfErrorSeconds`) answered instead. */
  | { type: 'introspection:served-stale'; ageMs: number };

export type IntrospectionFailure = 'timeout' | 'unreachable' | 'bad_status' | 'bad_response';

export type ResourceServerEventListener = (event: ResourceServerEvent) => void;

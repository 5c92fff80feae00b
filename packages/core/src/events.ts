import { EventEmitter } from 'node:events';
import type { ErrorCode } from './errors.js';
import type { RewrapKind } from './protection/rewrap-checkpoint.js';
import type { ProtectedKind, TokenKind } from './types.js';

/** Per-kind row counts. */
export type KindCounts = Record<TokenKind, number>;

/** One purge run. Never carries a token value. */
export interface PurgeRunEvent {
  /** Rows deleted per kind. */
  removed: KindCounts;
  /** Artifacts deleted (only for stores with artifacts). */
  artifacts?: number;
  /** Batches executed. */
  batches: number;
  durationMs: number;
  /** True when a run stopped on its time budget (or stop()) with rows left to delete. */
  backlog: boolean;
  /** Set when the run did not execute: another node holds the lease. */
  skipped?: 'lease-held';
  /** Set when the run failed; the purger keeps its schedule. */
  error?: { code: ErrorCode | 'UNKNOWN'; message: string };
}

/** A lookup that found its row only through an older protection mode / key in the fallback chain. */
export interface FallbackHitEvent {
  kind: ProtectedKind;
  /** Position in the fallback chain (1 = first fallback). */
  index: number;
  /** The scheme tag of the key that matched, e.g. `plain`, `hmac-sha256:p1`. */
  scheme: string;
  /** Set when `rehashOnRead` is on: whether the row was moved to the primary form by this read. */
  rehashed?: boolean;
}

export interface SecurityEvent {
  kind: 'code-replay' | 'refresh-reuse';
  consumerKey: string;
  grantId: string;
  revoked: KindCounts;
}

export interface RewrapProgressEvent {
  kind: RewrapKind;
  done: number;
  converted: number;
  total: number | null;
  ratePerSecond: number;
  cursor: string | null;
}

export interface TokenStoreEvents {
  purge: [PurgeRunEvent];
  'protection:fallback': [FallbackHitEvent];
  security: [SecurityEvent];
  'rewrap:progress': [RewrapProgressEvent];
}

/** Typed event emitter shared by the service, purger and rewrap job. */
export class TokenStoreEventEmitter extends EventEmitter<TokenStoreEvents> {}

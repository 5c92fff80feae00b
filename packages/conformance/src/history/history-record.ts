import type { GrantInfo, HandleInfo, Op } from './log.js';
import type { VanishedRow } from './purge-observer.js';

export type { GrantInfo, HandleInfo, Op } from './log.js';

/** A row whose effective state is ACTIVE at the end of the run (unexpired by the ManualClock). */
export interface ActiveRow {
  kind: 'access' | 'refresh' | 'code';
  grant: string;
  /** The handle whose value this row stores, or `null` when no operation handed that value out. */
  handle: string | null;
  exclusive: boolean;
  /** `client|user|userType|scopes`, for exclusive access tokens. */
  reuseKey: string | null;
}

/** What the store says at the end of the run. */
export interface FinalObservation {
  clock: number;
  /** Effective state of every token and code handle at the end (`MISSING`: no row any more). */
  handleStates: ReadonlyMap<string, string>;
  activeRows: readonly ActiveRow[];
  /** Whether each secret handle verifies for its client at the end. */
  secretsVerifying: ReadonlyMap<string, boolean>;
  vanished: readonly VanishedRow[];
}

export interface HistoryRecord {
  ops: readonly Op[];
  handles: ReadonlyMap<string, HandleInfo>;
  grants: ReadonlyMap<string, GrantInfo>;
  final: FinalObservation;
}

export interface Violation {
  invariant: 1 | 2 | 3 | 4 | 5 | 6;
  message: string;
  /** Ids of the operations involved, for the printed excerpt. */
  ops: number[];
}

import type { OpKind } from './log.js';
import { indexOf, type Prng } from './prng.js';

/** The small universe every worker draws from, so operations collide on the same clients, users and keys. */
export const UNIVERSE = {
  clients: ['history-client-1', 'history-client-2', 'history-client-3'],
  users: ['user-1', 'user-2', 'user-3', 'user-4'],
  /** Scope sets; the same set in another order is a reuse-key collision on purpose. */
  scopeSets: [['read'], ['read', 'write'], ['write', 'read'], ['read', 'device_a'], ['read', 'device_b']],
  redirectUri: 'https://history.example.com/callback',
} as const;

/** Validities (seconds), short relative to the clock advances so that tokens and codes expire during a run. */
export const HISTORY_VALIDITY = { applicationAccessToken: 60, userAccessToken: 60, refreshToken: 120, authorizationCode: 30 };
/** A grace window the clock advances cross now and then. */
export const HISTORY_REFRESH = { gracePeriodSeconds: 2, maxReuseCount: 1 };
/** Retention short enough that purge removes rows during a run (the design keeps inactive rows 30 s, expired rows 10 s). */
export const HISTORY_RETENTION = { inactiveSeconds: 30, expiredSeconds: 10 };
/** Clock advances: 1–5 s. */
export const ADVANCE_MS = { min: 1000, max: 5000 };

/** How often each kind is picked (relative weights). */
const WEIGHTS: ReadonlyArray<[Exclude<OpKind, 'register'>, number]> = [
  ['issue', 16],
  ['validate', 14],
  ['refresh', 16],
  ['issueCode', 6],
  ['redeem', 6],
  ['replay', 2],
  ['revokeGrant', 3],
  ['revokeUser', 2],
  ['revokeClient', 1],
  ['revokeToken', 3],
  ['regenerateSecret', 3],
  ['verifySecret', 4],
  ['rewrap', 2],
  ['purge', 2],
  ['advanceClock', 6],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);

/** Draws per operation: always the same number, so a worker's sequence of kinds and draws depends on the seed only. */
export const DRAWS_PER_OP = 6;

export interface PlannedOp {
  kind: Exclude<OpKind, 'register'>;
  /** Parameters in [0, 1): which service, client, user, scope set, handle, flags. */
  draws: number[];
}

/** The next operation of a worker: its kind and its draws, from the worker's PRNG alone. */
export function planOperation(rng: Prng): PlannedOp {
  let roll = rng.next() * TOTAL_WEIGHT;
  let kind = WEIGHTS[WEIGHTS.length - 1]![0];
  for (const [candidate, weight] of WEIGHTS) {
    if (roll < weight) {
      kind = candidate;
      break;
    }
    roll -= weight;
  }
  return { kind, draws: Array.from({ length: DRAWS_PER_OP }, () => rng.next()) };
}

/** One of the most recent entries of a pool (most collisions happen among live tokens). */
export function recent<T>(pool: readonly T[], draw: number, window = 30): T | undefined {
  if (pool.length === 0) return undefined;
  return pool[pool.length - 1 - indexOf(draw, Math.min(pool.length, window))];
}

/** Handles the workers share, so that one worker's tokens meet the others' revocations. */
export class Pools {
  readonly access: string[] = [];
  readonly refresh: string[] = [];
  /** Refresh handles per grant, oldest first: the last is the current one, the others were rotated. */
  readonly refreshByGrant = new Map<string, string[]>();
  readonly grants: string[] = [];
  readonly freshCodes: string[] = [];
  readonly usedCodes: string[] = [];
  /** Secrets per client in the order their setting completed. */
  readonly secrets = new Map<string, string[]>();
  readonly #grantOfRefresh = new Map<string, string>();

  addGrant(grant: string): void {
    if (!this.grants.includes(grant)) this.grants.push(grant);
  }

  addRefresh(grant: string, handle: string): void {
    this.refresh.push(handle);
    this.#grantOfRefresh.set(handle, grant);
    const chain = this.refreshByGrant.get(grant) ?? [];
    chain.push(handle);
    this.refreshByGrant.set(grant, chain);
  }

  /** The current refresh handle of a recent grant, or (`old`) one of its rotated predecessors when it has any. */
  pickRefresh(grantDraw: number, old: boolean, which: number): string | undefined {
    const handle = recent(this.refresh, grantDraw);
    if (handle === undefined) return undefined;
    const chain = this.refreshByGrant.get(this.#grantOfRefresh.get(handle)!)!;
    if (old && chain.length > 1) return chain[indexOf(which, chain.length - 1)];
    return chain[chain.length - 1];
  }
}

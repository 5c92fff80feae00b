import { randomInt } from 'node:crypto';

/** A small seeded pseudo-random generator: the same seed gives the same sequence, on every machine. */
export interface Prng {
  /** A number in [0, 1). */
  next(): number;
}

/** mulberry32: 32 bits of state, good enough to pick operations, and trivially reproducible. */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    },
  };
}

/**
 * The seed of one worker, derived from the run's seed (a splitmix32 step), so each worker's operation
 * sequence depends only on the run's seed and its index, not on how the others were scheduled.
 */
export function workerSeed(seed: number, worker: number): number {
  let z = (seed + Math.imul(worker + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The run's seed: `TOKENSTORE_CONFORMANCE_SEED` when set (a whole number in [0, 2^32)), else a random one. */
export function historySeed(variable: string | undefined): number {
  if (variable === undefined || variable === '') return randomInt(0, 2 ** 32 - 1);
  const seed = Number(variable);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`[history] TOKENSTORE_CONFORMANCE_SEED must be a whole number in [0, 2^32), got "${variable}"`);
  return seed;
}

/** An index in [0, length) from a draw in [0, 1). */
export function indexOf(draw: number, length: number): number {
  return Math.min(length - 1, Math.floor(draw * length));
}

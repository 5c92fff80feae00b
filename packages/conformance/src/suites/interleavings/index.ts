import { describe } from 'vitest';
import type { ConformanceContext } from '../../context.js';
import { historyTests } from '../../history/index.js';
import { clientInterleavingTests } from './client-updates.js';
import { rewrapRaceTests } from './rewrap-races.js';
import { rotationAndRevocationTests } from './rotation-and-revocation.js';

/**
 * Guarantees that must hold when *different* operations overlap (DESIGN.md, "Guarantees under
 * interleaving"). Each deterministic race is forced by holding one operation at a point between its
 * steps; the randomized history then mixes every operation and checks the invariants afterwards.
 */
export function interleavingTests(ctx: ConformanceContext): void {
  describe('interleavings', () => {
    rotationAndRevocationTests(ctx);
    clientInterleavingTests(ctx);
    rewrapRaceTests(ctx);
    // Last: a random mix of all of the above and more, checked against the invariants afterwards.
    historyTests(ctx);
  });
}

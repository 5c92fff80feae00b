import { describe } from 'vitest';
import type { ConformanceContext } from '../../context.js';
import { clientInterleavingTests } from './client-updates.js';
import { rotationAndRevocationTests } from './rotation-and-revocation.js';

/**
 * Guarantees that must hold when *different* operations overlap (DESIGN.md, "Guarantees under
 * interleaving"). Each race is forced by holding one operation at a point between its steps.
 */
export function interleavingTests(ctx: ConformanceContext): void {
  describe('interleavings', () => {
    rotationAndRevocationTests(ctx);
    clientInterleavingTests(ctx);
  });
}

import { isPurgeable, type PurgeCriteria, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

const MINUTE = 60_000;
const NOW = Date.UTC(2030, 0, 1);
/** A purge at NOW with expired retention 10 min and inactive retention 1 h. */
const CRITERIA: PurgeCriteria = { now: NOW, expiredBefore: NOW - 10 * MINUTE, inactiveBefore: NOW - 60 * MINUTE, limit: 100 };

function row(state: TokenState, expiresAt: number | null, stateChangedAt: number) {
  return { state, expiresAt, stateChangedAt };
}

describe('isPurgeable: what a purge may delete', () => {
  it('deletes an ACTIVE row once its expiry plus the expired retention has passed', () => {
    expect(isPurgeable(row(TokenState.Active, NOW - 10 * MINUTE, NOW - 999 * MINUTE), CRITERIA)).toBe(true);
    expect(isPurgeable(row(TokenState.Active, NOW - 10 * MINUTE + 1, NOW - 999 * MINUTE), CRITERIA)).toBe(false);
  });

  it('never deletes an ACTIVE row that never expires', () => {
    expect(isPurgeable(row(TokenState.Active, null, NOW - 999 * MINUTE), CRITERIA)).toBe(false);
  });

  it.each([TokenState.Inactive, TokenState.Revoked, TokenState.Expired])(
    'keeps a %s row until both its expired and its inactive retention have passed',
    (state) => {
      // Expired long ago, but its state changed within the inactive retention (a consumed code replayed later).
      expect(isPurgeable(row(state, NOW - 999 * MINUTE, NOW - 60 * MINUTE + 1), CRITERIA)).toBe(false);
      // State changed long ago, but it expired within the expired retention.
      expect(isPurgeable(row(state, NOW - 10 * MINUTE + 1, NOW - 999 * MINUTE), CRITERIA)).toBe(false);
      // Not expired at all yet (a rotated refresh token with a long life).
      expect(isPurgeable(row(state, NOW + 999 * MINUTE, NOW - 999 * MINUTE), CRITERIA)).toBe(false);
      // Both deadlines reached, exactly.
      expect(isPurgeable(row(state, NOW - 10 * MINUTE, NOW - 60 * MINUTE), CRITERIA)).toBe(true);
    },
  );

  it('deletes a non-ACTIVE row that never expires once its inactive retention has passed', () => {
    expect(isPurgeable(row(TokenState.Revoked, null, NOW - 60 * MINUTE), CRITERIA)).toBe(true);
    expect(isPurgeable(row(TokenState.Revoked, null, NOW - 60 * MINUTE + 1), CRITERIA)).toBe(false);
  });
});

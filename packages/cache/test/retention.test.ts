import { ManualClock, TokenState } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { retentionDeadline } from '../src/retention.js';
import { accessTokenRow } from './support.js';

const MINUTE = 60_000;
const NOW = new ManualClock().now();
const RETENTION = { expiredSeconds: 600, inactiveSeconds: 3600 };

describe('retentionDeadline: when a cached row may vanish on its own', () => {
  it('keeps an ACTIVE row until its expiry plus the expired retention, and forever when it never expires', () => {
    expect(retentionDeadline(accessTokenRow(NOW, { expiresAt: NOW + MINUTE }), RETENTION)).toBe(NOW + 11 * MINUTE);
    expect(retentionDeadline(accessTokenRow(NOW, { expiresAt: null }), RETENTION)).toBeNull();
  });

  it('keeps a row that left ACTIVE until the later of its expired and its inactive deadline', () => {
    const revoked = (expiresAt: number, stateChangedAt: number) =>
      accessTokenRow(NOW, { state: TokenState.Revoked, expiresAt, stateChangedAt });
    // Expires soon, revoked now: the inactive retention decides.
    expect(retentionDeadline(revoked(NOW + MINUTE, NOW), RETENTION)).toBe(NOW + 60 * MINUTE);
    // Expires in a day, revoked now: the expired retention decides.
    expect(retentionDeadline(revoked(NOW + 24 * 60 * MINUTE, NOW), RETENTION)).toBe(NOW + 24 * 60 * MINUTE + 10 * MINUTE);
  });

  it('keeps a row that left ACTIVE and never expires until its state change plus the inactive retention', () => {
    const row = accessTokenRow(NOW, { state: TokenState.Inactive, expiresAt: null, stateChangedAt: NOW + MINUTE });
    expect(retentionDeadline(row, RETENTION)).toBe(NOW + 61 * MINUTE);
  });
});

import { type Retention, type StoredRow, TokenState } from '@tokenstore/core';

/**
 * When a row may vanish on its own (epoch ms), or `null` if it must stay until evicted or revoked: an
 * ACTIVE row at its expiry plus the expired retention; a row no longer ACTIVE when both windows have
 * passed, `max(expiresAt + expiredSeconds, stateChangedAt + inactiveSeconds)` (the latter alone when it
 * never expires), so replays and reuse are still recognised after it expired.
 */
export function retentionDeadline(row: StoredRow, retention: Readonly<Retention>): number | null {
  const expired = row.expiresAt === null ? null : row.expiresAt + retention.expiredSeconds * 1000;
  if (row.state === TokenState.Active) return expired;
  const inactive = row.stateChangedAt + retention.inactiveSeconds * 1000;
  return expired === null ? inactive : Math.max(expired, inactive);
}

/**
 * The lru-cache TTL (ms) for a row written at `now`: 0 means none. A deadline already reached still
 * gets 1 ms (lru-cache reads 0 as "forever"); purge removes such rows exactly.
 */
export function ttlFor(row: StoredRow, retention: Readonly<Retention>, now: number): number {
  const deadline = retentionDeadline(row, retention);
  return deadline === null ? 0 : Math.max(1, deadline - now);
}

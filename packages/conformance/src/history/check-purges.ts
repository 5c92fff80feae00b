import type { PurgeCriteria } from '@tokenstore/core';
import type { HistoryRecord, Violation } from './history-record.js';

/**
 * The purge rule of the design (not today's `isPurgeable`): an ACTIVE row once expired past the expired
 * retention; any other row only once both its state change is past the inactive retention and its
 * expiry (if any) past the expired retention.
 */
export function purgeableByDesign(
  row: { state: string; expiresAt: number | null; stateChangedAt: number },
  criteria: Pick<PurgeCriteria, 'expiredBefore' | 'inactiveBefore'>,
): boolean {
  const expired = row.expiresAt !== null && row.expiresAt <= criteria.expiredBefore;
  if (row.state === 'ACTIVE') return expired;
  return row.stateChangedAt <= criteria.inactiveBefore && (row.expiresAt === null || expired);
}

/** 5: every row a purge removed was purgeable under the design rule (allowing for a state change during the purge). */
export function checkPurges(history: HistoryRecord): Violation[] {
  const violations: Violation[] = [];
  for (const row of history.final.vanished) {
    if (purgeableByDesign(row, row.criteria)) continue;
    const changed =
      row.concurrentChangeAt !== null &&
      purgeableByDesign({ ...row, state: 'REVOKED', stateChangedAt: Math.min(row.stateChangedAt, row.concurrentChangeAt) }, row.criteria);
    if (changed) continue;
    const t = (ms: number | null) => (ms === null ? 'never' : `${(ms - row.criteria.now) / 1000}s`);
    const why =
      row.state === 'ACTIVE'
        ? 'an ACTIVE row not expired past the expired retention'
        : row.stateChangedAt > row.criteria.inactiveBefore
          ? 'a row still within the inactive retention'
          : 'a row not yet expired past the expired retention';
    violations.push({
      invariant: 5,
      message: `purge (seq ${row.start}..${row.end}) removed ${why}: ${row.state} ${row.kind} of grant ${row.grant}, expiresAt ${t(row.expiresAt)}, stateChangedAt ${t(row.stateChangedAt)} (relative to the purge's now; expiredBefore ${t(row.criteria.expiredBefore)}, inactiveBefore ${t(row.criteria.inactiveBefore)})`,
      ops: [],
    });
  }
  return violations;
}

import type { HistoryRecord, Violation } from './history-record.js';

/** Error codes an operation may legitimately end with under concurrency, expiry and purge. */
export const EXPECTED_ERROR_CODES: ReadonlySet<string> = new Set([
  'CONFLICT',
  'REPLAY',
  'REUSE_DETECTED',
  'REVOKED',
  'EXPIRED',
  'NOT_FOUND',
]);

/** 6: what the service returned makes sense: refreshes stay in their grant, nothing expired validates, errors are typed. */
export function checkSanity(history: HistoryRecord): Violation[] {
  const violations: Violation[] = [];
  const grantOf = (handle: string | undefined) => (handle === undefined ? undefined : history.handles.get(handle)?.grant);
  for (const op of history.ops) {
    if (op.outcome.status === 'error') {
      if (!op.outcome.typed || !EXPECTED_ERROR_CODES.has(op.outcome.code))
        violations.push({
          invariant: 6,
          message: `${op.kind} op #${op.id} failed with ${op.outcome.typed ? 'the unexpected code' : 'an untyped error'} ${op.outcome.code}`,
          ops: [op.id],
        });
      continue;
    }
    const r = op.outcome.result;
    const presented = grantOf(op.args.handle);
    if ((op.kind === 'refresh' || op.kind === 'redeem' || op.kind === 'replay') && r.grant !== presented)
      violations.push({
        invariant: 6,
        message: `${op.kind} op #${op.id} with ${op.args.handle} (grant ${presented}) returned tokens of grant ${r.grant}`,
        ops: [op.id],
      });
    for (const handle of [r.access, r.refresh])
      if (handle !== undefined && r.grant !== undefined && grantOf(handle) !== r.grant)
        violations.push({
          invariant: 6,
          message: `${op.kind} op #${op.id} returned ${handle}, a token of grant ${grantOf(handle)}, as a token of grant ${r.grant}`,
          ops: [op.id],
        });
    if (op.kind === 'validate' && r.valid === true) {
      const handle = history.handles.get(op.args.handle ?? '');
      if (r.validGrant !== handle?.grant)
        violations.push({
          invariant: 6,
          message: `validate op #${op.id} of ${op.args.handle} (grant ${handle?.grant}) returned a record of grant ${r.validGrant}`,
          ops: [op.id],
        });
      if (handle?.expiresAt !== undefined && handle.expiresAt !== null && handle.expiresAt <= op.clockAt)
        violations.push({
          invariant: 6,
          message: `validate op #${op.id} found ${op.args.handle} valid, though it had expired before the call`,
          ops: [op.id],
        });
    }
  }
  return violations;
}

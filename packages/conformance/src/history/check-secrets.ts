import type { HistoryRecord, Op, Violation } from './history-record.js';

function ok(op: Op): boolean {
  return op.outcome.status === 'ok';
}

function result(op: Op) {
  return op.outcome.status === 'ok' ? op.outcome.result : {};
}

/** 4: per client, exactly one secret verifies at the end, and never one superseded by a later regeneration. */
export function checkSecrets(history: HistoryRecord): Violation[] {
  const violations: Violation[] = [];
  const setters = history.ops.filter((op) => (op.kind === 'register' || op.kind === 'regenerateSecret') && op.args.handle !== undefined);
  const clients = new Set(setters.map((op) => op.args.client));
  for (const client of clients) {
    const mine = setters.filter((op) => op.args.client === client);
    const supersededBy = (secret: string, before: number) => {
      const set = mine.find((op) => op.args.handle === secret);
      return set === undefined ? undefined : mine.find((op) => ok(op) && set.end < op.start && op.end < before);
    };
    const verifying = mine.filter((op) => history.final.secretsVerifying.get(op.args.handle!) === true);
    if (verifying.length !== 1)
      violations.push({
        invariant: 4,
        message: `client ${client}: ${verifying.length} of its ${mine.length} secrets verify at the end (exactly one must)`,
        ops: mine.map((op) => op.id),
      });
    for (const set of verifying) {
      const newer = supersededBy(set.args.handle!, Number.POSITIVE_INFINITY);
      if (newer)
        violations.push({
          invariant: 4,
          message: `client ${client}: secret ${set.args.handle} (set by op #${set.id}) verifies at the end, though op #${newer.id} set ${newer.args.handle} after it`,
          ops: [set.id, newer.id],
        });
    }
    for (const verify of history.ops) {
      if (verify.kind !== 'verifySecret' || verify.args.client !== client || result(verify).valid !== true) continue;
      const newer = supersededBy(verify.args.handle!, verify.start);
      if (newer)
        violations.push({
          invariant: 4,
          message: `client ${client}: secret ${verify.args.handle} verified (op #${verify.id}) after op #${newer.id} had replaced it`,
          ops: [verify.id, newer.id],
        });
    }
  }
  return violations;
}

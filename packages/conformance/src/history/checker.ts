import { checkPurges } from './check-purges.js';
import { checkSanity } from './check-sanity.js';
import { checkSecrets } from './check-secrets.js';
import type { ActiveRow, GrantInfo, HistoryRecord, Op, Violation } from './history-record.js';

export { purgeableByDesign } from './check-purges.js';
export type { ActiveRow, FinalObservation, HistoryRecord, Violation } from './history-record.js';

/** A completed operation after which no token of a set may be ACTIVE (the set: a grant, or one token). */
interface Revocation {
  op: Op;
  invariant: 1 | 3;
  what: string;
  /** The grant's existence must be known before the revocation started (not for replay and reuse detection). */
  needsPriorGrant: boolean;
  covers(grant: GrantInfo): boolean;
}

function ok(op: Op): boolean {
  return op.outcome.status === 'ok';
}

function result(op: Op) {
  return op.outcome.status === 'ok' ? op.outcome.result : {};
}

function errorCode(op: Op): string | null {
  return op.outcome.status === 'error' ? op.outcome.code : null;
}

/** The revocations in the log, each with the grants it covers. */
function revocationsOf(history: HistoryRecord): Revocation[] {
  const revocations: Revocation[] = [];
  const handleGrant = (op: Op) => (op.args.handle === undefined ? undefined : history.handles.get(op.args.handle)?.grant);
  for (const op of history.ops) {
    const args = op.args;
    const base = { op, invariant: 1 as const, needsPriorGrant: true };
    if (op.kind === 'revokeGrant' && ok(op))
      revocations.push({ ...base, what: `revokeGrant(${args.grant})`, covers: (grant) => grant.id === args.grant });
    else if (op.kind === 'revokeUser' && ok(op))
      revocations.push({
        ...base,
        what: `revokeTokensOfUser(${args.user}${args.filterClient ? `, client ${args.filterClient}` : ''}${args.filterUserType ? `, ${args.filterUserType}` : ''})`,
        covers: (grant) =>
          grant.user === args.user &&
          (args.filterClient === undefined || grant.client === args.filterClient) &&
          (args.filterUserType === undefined || grant.userType === args.filterUserType),
      });
    else if (op.kind === 'revokeClient' && ok(op))
      revocations.push({ ...base, what: `revokeTokensOfClient(${args.client})`, covers: (grant) => grant.client === args.client });
    else if (op.kind === 'regenerateSecret' && ok(op) && args.revokeTokens)
      revocations.push({
        ...base,
        what: `regenerateClientSecret(${args.client}, revokeTokens)`,
        covers: (grant) => grant.client === args.client,
      });
    else if (
      op.kind === 'revokeToken' &&
      ok(op) &&
      result(op).revoked === true &&
      history.handles.get(args.handle ?? '')?.kind === 'refresh'
    ) {
      // Only when it answered true: a refresh token already purged revokes nothing, legitimately.
      const grant = handleGrant(op);
      revocations.push({ ...base, what: `revokeToken(refresh ${args.handle})`, covers: (g) => g.id === grant });
    } else if (op.kind === 'refresh' && errorCode(op) === 'REUSE_DETECTED') {
      const grant = handleGrant(op);
      revocations.push({ ...base, needsPriorGrant: false, what: `reuse detection on ${args.handle}`, covers: (g) => g.id === grant });
    } else if ((op.kind === 'redeem' || op.kind === 'replay') && errorCode(op) === 'REPLAY') {
      const grant = handleGrant(op);
      revocations.push({
        ...base,
        invariant: 3,
        needsPriorGrant: false,
        what: `code replay of ${args.handle}`,
        covers: (g) => g.id === grant,
      });
    }
  }
  return revocations;
}

/** Per grant (and per handle), the end of the first operation that returned it: from then on it certainly existed. */
function knownSince(history: HistoryRecord) {
  const grants = new Map<string, number>();
  const handles = new Map<string, number>();
  const firstOp = new Map<string, number>();
  const note = (map: Map<string, number>, id: string | undefined, end: number) => {
    if (id !== undefined && end < (map.get(id) ?? Number.POSITIVE_INFINITY)) map.set(id, end);
  };
  for (const op of history.ops) {
    if (!ok(op)) continue;
    const r = result(op);
    note(grants, r.grant, op.end);
    for (const handle of [r.access, r.refresh, r.code, r.secret]) {
      note(handles, handle, op.end);
      if (handle !== undefined && !firstOp.has(handle)) firstOp.set(handle, op.id);
    }
  }
  return { grants, handles, firstOp };
}

/**
 * The successful operations that show a grant (or one access token) alive: a refresh or redemption that
 * minted into it, a validation that found one of its tokens valid, a reuse that handed one out.
 */
function usesOf(history: HistoryRecord) {
  const grantUses = new Map<string, Op[]>();
  const tokenUses = new Map<string, Op[]>();
  const add = (map: Map<string, Op[]>, id: string | undefined, op: Op) => {
    if (id !== undefined) map.set(id, [...(map.get(id) ?? []), op]);
  };
  for (const op of history.ops) {
    if (!ok(op)) continue;
    const r = result(op);
    if (op.kind === 'refresh' || op.kind === 'redeem' || op.kind === 'replay') add(grantUses, r.grant, op);
    if (op.kind === 'validate' && r.valid === true) {
      add(grantUses, r.validGrant, op);
      add(tokenUses, op.args.handle, op);
    }
    if (op.kind === 'issue' && r.reused === true) {
      add(grantUses, r.grant, op);
      add(tokenUses, r.access, op);
    }
  }
  return { grantUses, tokenUses };
}

/**
 * Checks a finished history against the guarantees that must hold whatever the interleaving. Pure: it
 * reads the log and the final observation only, so hand-made logs test it.
 */
export function checkHistory(history: HistoryRecord): Violation[] {
  const violations: Violation[] = [];
  const known = knownSince(history);
  const mintedBy = (handle: string | null) => {
    const op = handle === null ? undefined : known.firstOp.get(handle);
    return op === undefined ? 'not handed out by any operation' : `minted by op #${op}`;
  };
  /** Whether the token already existed when the revocation started, or was minted by an operation that overlapped it or came later. */
  const relativeTo = (handle: string | null, r: Op): string => {
    const id = handle === null ? undefined : known.firstOp.get(handle);
    if (id === undefined) return '';
    const op = history.ops[id]!;
    if (op.end < r.start) return ', which completed before the revocation started (the revocation missed an existing token)';
    if (op.start > r.end) return ', which started after the revocation had returned';
    return ', which overlapped the revocation';
  };
  const { grantUses, tokenUses } = usesOf(history);
  /** The operation that first handed out a handle, for the excerpt: where the token presented came from. */
  const originOf = (handle: string | undefined | null): number[] => {
    const op = handle === undefined || handle === null ? undefined : known.firstOp.get(handle);
    return op === undefined ? [] : [op];
  };
  const activeByGrant = new Map<string, ActiveRow[]>();
  for (const row of history.final.activeRows) activeByGrant.set(row.grant, [...(activeByGrant.get(row.grant) ?? []), row]);

  // 1 and 3: revocation is complete, and the grant stays revoked.
  const reported = new Set<string>();
  const report = (key: string, violation: Violation) => {
    if (reported.has(key)) return;
    reported.add(key);
    violations.push(violation);
  };
  for (const revocation of revocationsOf(history)) {
    const r = revocation.op;
    for (const grant of history.grants.values()) {
      if (!revocation.covers(grant)) continue;
      const since = known.grants.get(grant.id);
      if (revocation.needsPriorGrant && !(since !== undefined && since < r.start)) continue;
      for (const row of activeByGrant.get(grant.id) ?? [])
        report(`${revocation.invariant}:active:${grant.id}:${row.kind}`, {
          invariant: revocation.invariant,
          message: `${row.kind} token ${row.handle ?? '(unseen)'} of grant ${grant.id} is ACTIVE at the end, though ${revocation.what} (op #${r.id}) covered the grant; ${mintedBy(row.handle)}${relativeTo(row.handle, r)}`,
          ops: [r.id, ...originOf(row.handle)],
        });
      for (const later of grantUses.get(grant.id) ?? []) {
        if (later.start <= r.end) continue;
        const verb =
          later.kind === 'validate'
            ? 'validated a token of'
            : later.kind === 'issue'
              ? 'handed out a reused token of'
              : 'minted tokens into';
        // One per grant and kind of use: a grant revived once keeps minting, and every later use would repeat the finding.
        report(`${revocation.invariant}:after:${grant.id}:${later.kind}`, {
          invariant: revocation.invariant,
          message: `${later.kind} op #${later.id} ${verb} grant ${grant.id} after ${revocation.what} (op #${r.id}) had returned`,
          ops: [r.id, ...originOf(later.args.handle), later.id],
        });
      }
    }
  }
  // 1, one token: revokeToken(access) — that token stays revoked.
  for (const r of history.ops) {
    if (r.kind !== 'revokeToken' || !ok(r) || r.args.handle === undefined) continue;
    const handle = history.handles.get(r.args.handle);
    const since = known.handles.get(r.args.handle);
    if (handle?.kind !== 'access' || since === undefined || since >= r.start) continue;
    if (history.final.handleStates.get(handle.id) === 'ACTIVE')
      report(`1:token:${handle.id}`, {
        invariant: 1,
        message: `access token ${handle.id} is ACTIVE at the end, though revokeToken (op #${r.id}) revoked it`,
        ops: [r.id],
      });
    for (const later of tokenUses.get(handle.id) ?? []) {
      if (later.start <= r.end) continue;
      report(`1:token-after:${later.id}`, {
        invariant: 1,
        message:
          later.kind === 'validate'
            ? `validate op #${later.id} found access token ${handle.id} valid after revokeToken (op #${r.id}) had returned`
            : `issue op #${later.id} handed out access token ${handle.id} (reused) after revokeToken (op #${r.id}) had returned`,
        ops: [r.id, later.id],
      });
    }
  }

  // 2: at most one ACTIVE exclusive token per reuse key.
  const exclusive = new Map<string, ActiveRow[]>();
  for (const row of history.final.activeRows)
    if (row.kind === 'access' && row.exclusive && row.reuseKey !== null)
      exclusive.set(row.reuseKey, [...(exclusive.get(row.reuseKey) ?? []), row]);
  for (const [key, rows] of exclusive)
    if (rows.length > 1)
      violations.push({
        invariant: 2,
        message: `${rows.length} ACTIVE exclusive access tokens for reuse key ${key} at the end: ${rows.map((row) => `${row.handle ?? '(unseen)'} (${mintedBy(row.handle)})`).join(', ')}`,
        ops: rows.flatMap((row) => originOf(row.handle)),
      });

  // 3: a code is redeemed at most once (replays were covered above).
  const redemptions = new Map<string, Op[]>();
  for (const op of history.ops)
    if ((op.kind === 'redeem' || op.kind === 'replay') && ok(op) && op.args.handle !== undefined)
      redemptions.set(op.args.handle, [...(redemptions.get(op.args.handle) ?? []), op]);
  for (const [code, ops] of redemptions)
    if (ops.length > 1)
      violations.push({
        invariant: 3,
        message: `code ${code} was redeemed successfully ${ops.length} times (ops ${ops.map((op) => `#${op.id}`).join(', ')})`,
        ops: ops.map((op) => op.id),
      });

  violations.push(...checkSecrets(history));
  violations.push(...checkPurges(history));
  violations.push(...checkSanity(history));
  return violations;
}

import type { PurgeCriteria } from '@tokenstore/core';
import type { GrantInfo, HandleInfo, Op } from './log.js';
import type { VanishedRow } from './purge-observer.js';

/** A row whose effective state is ACTIVE at the end of the run (unexpired by the ManualClock). */
export interface ActiveRow {
  kind: 'access' | 'refresh' | 'code';
  grant: string;
  /** The handle whose value this row stores, or `null` when no operation handed that value out. */
  handle: string | null;
  exclusive: boolean;
  /** `client|user|userType|scopes`, for exclusive access tokens. */
  reuseKey: string | null;
}

/** What the store says at the end of the run. */
export interface FinalObservation {
  clock: number;
  /** Effective state of every token and code handle at the end (`MISSING`: no row any more). */
  handleStates: ReadonlyMap<string, string>;
  activeRows: readonly ActiveRow[];
  /** Whether each secret handle verifies for its client at the end. */
  secretsVerifying: ReadonlyMap<string, boolean>;
  vanished: readonly VanishedRow[];
}

export interface HistoryRecord {
  ops: readonly Op[];
  handles: ReadonlyMap<string, HandleInfo>;
  grants: ReadonlyMap<string, GrantInfo>;
  final: FinalObservation;
}

export interface Violation {
  invariant: 1 | 2 | 3 | 4 | 5 | 6;
  message: string;
  /** Ids of the operations involved, for the printed excerpt. */
  ops: number[];
}

/** Error codes an operation may legitimately end with under concurrency, expiry and purge. */
export const EXPECTED_ERROR_CODES: ReadonlySet<string> = new Set([
  'CONFLICT',
  'REPLAY',
  'REUSE_DETECTED',
  'REVOKED',
  'EXPIRED',
  'NOT_FOUND',
]);

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

/** 4: per client, exactly one secret verifies at the end, and never one superseded by a later regeneration. */
function checkSecrets(history: HistoryRecord): Violation[] {
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

/** 5: every row a purge removed was purgeable under the design rule (allowing for a state change during the purge). */
function checkPurges(history: HistoryRecord): Violation[] {
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

/** 6: what the service returned makes sense: refreshes stay in their grant, nothing expired validates, errors are typed. */
function checkSanity(history: HistoryRecord): Violation[] {
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

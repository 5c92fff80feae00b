import { describe, expect, it } from 'vitest';
import { type ActiveRow, checkHistory, type HistoryRecord } from '../src/history/checker.js';
import type { GrantInfo, HandleInfo, Op, OpArgs, OpKind, OpResult } from '../src/history/log.js';
import type { VanishedRow } from '../src/history/purge-observer.js';

/** Builds hand-made histories: operations in the order given, each with its own sequence interval unless told otherwise. */
class Log {
  readonly ops: Op[] = [];
  readonly handles = new Map<string, HandleInfo>();
  readonly grants = new Map<string, GrantInfo>();
  #sequence = 0;

  grant(id: string, client = 'c1', user = 'u1', userType = 'APPLICATION_USER'): void {
    this.grants.set(id, { id, client, user, userType });
  }

  handle(id: string, kind: HandleInfo['kind'], grant: string | undefined, extra: Partial<HandleInfo> = {}): void {
    const owner = grant === undefined ? undefined : this.grants.get(grant);
    this.handles.set(id, { id, kind, client: owner?.client ?? 'c1', grant, user: owner?.user, userType: owner?.userType, ...extra });
  }

  /** An operation; `at` = [start, end] to make it overlap others, default: after everything so far. */
  op(kind: OpKind, args: OpArgs, outcome: OpResult | string, at?: [number, number], clockAt = 0): Op {
    const [start, end] = at ?? [++this.#sequence, ++this.#sequence];
    this.#sequence = Math.max(this.#sequence, end);
    const op: Op = {
      id: this.ops.length,
      worker: 0,
      kind,
      args,
      start,
      end,
      clockAt,
      outcome:
        typeof outcome === 'string'
          ? { status: 'error', code: outcome, typed: outcome === outcome.toUpperCase() }
          : { status: 'ok', result: outcome },
    };
    this.ops.push(op);
    return op;
  }

  record(final: Partial<HistoryRecord['final']> = {}): HistoryRecord {
    return {
      ops: this.ops,
      handles: this.handles,
      grants: this.grants,
      final: { clock: 0, handleStates: new Map(), activeRows: [], secretsVerifying: new Map(), vanished: [], ...final },
    };
  }
}

const active = (kind: ActiveRow['kind'], grant: string, handle: string | null, extra: Partial<ActiveRow> = {}): ActiveRow => ({
  kind,
  grant,
  handle,
  exclusive: false,
  reuseKey: null,
  ...extra,
});

function invariants(record: HistoryRecord): number[] {
  return checkHistory(record).map((violation) => violation.invariant);
}

/** A grant g1 of user u1 / client c1, issued with an access token a1 and a refresh token r1. */
function issuedGrant(): Log {
  const log = new Log();
  log.grant('g1');
  log.handle('a1', 'access', 'g1');
  log.handle('r1', 'refresh', 'g1');
  log.op('issue', { client: 'c1', user: 'u1' }, { access: 'a1', refresh: 'r1', grant: 'g1', reused: false });
  return log;
}

describe('history checker', () => {
  describe('invariant 1: revocation is complete', () => {
    it('reports a token of a revoked grant that is ACTIVE at the end', () => {
      const log = issuedGrant();
      log.op('revokeGrant', { grant: 'g1' }, {});
      expect(invariants(log.record({ activeRows: [active('access', 'g1', 'a1')] }))).toEqual([1]);
    });

    it('reports a token minted by a rotation that raced the revocation, ACTIVE at the end', () => {
      const log = issuedGrant();
      log.handle('a2', 'access', 'g1');
      log.handle('r2', 'refresh', 'g1');
      log.op('revokeUser', { user: 'u1' }, {}, [10, 13]);
      log.op('refresh', { handle: 'r1' }, { access: 'a2', refresh: 'r2', grant: 'g1' }, [11, 14]);
      const violations = checkHistory(log.record({ activeRows: [active('refresh', 'g1', 'r2')] }));
      expect(violations.map((v) => v.invariant)).toEqual([1]);
      expect(violations[0]!.message).toContain('r2');
    });

    it('reports a refresh of the grant that succeeded after the revocation had returned', () => {
      const log = issuedGrant();
      log.handle('a2', 'access', 'g1');
      log.handle('r2', 'refresh', 'g1');
      log.op('revokeClient', { client: 'c1' }, {});
      log.op('refresh', { handle: 'r1' }, { access: 'a2', refresh: 'r2', grant: 'g1' });
      expect(invariants(log.record())).toEqual([1]);
    });

    it('reports a validation that found a token of the grant valid after the revocation had returned', () => {
      const log = issuedGrant();
      log.op('revokeGrant', { grant: 'g1' }, {});
      log.op('validate', { handle: 'a1' }, { valid: true, validGrant: 'g1' });
      expect(invariants(log.record())).toEqual([1]);
    });

    it('reports a single revoked access token that is ACTIVE at the end', () => {
      const log = issuedGrant();
      log.op('revokeToken', { handle: 'a1' }, { revoked: true });
      expect(invariants(log.record({ handleStates: new Map([['a1', 'ACTIVE']]) }))).toEqual([1]);
    });

    it('accepts a grant whose tokens were all revoked, and a grant the revocation does not cover', () => {
      const log = issuedGrant();
      log.grant('g2', 'c2', 'u2');
      log.handle('a9', 'access', 'g2');
      log.op('issue', { client: 'c2', user: 'u2' }, { access: 'a9', grant: 'g2', reused: false });
      log.op('revokeUser', { user: 'u1', filterClient: 'c1' }, {});
      log.op('revokeUser', { user: 'u2', filterClient: 'c1' }, {});
      log.op('validate', { handle: 'a1' }, { valid: false });
      log.op('validate', { handle: 'a9' }, { valid: true, validGrant: 'g2' });
      expect(invariants(log.record({ activeRows: [active('access', 'g2', 'a9')] }))).toEqual([]);
    });

    it('accepts ACTIVE tokens of a grant that was only created while the revocation ran', () => {
      const log = new Log();
      log.grant('g1');
      log.handle('a1', 'access', 'g1');
      log.op('revokeUser', { user: 'u1' }, {}, [1, 4]);
      log.op('issue', { client: 'c1', user: 'u1' }, { access: 'a1', grant: 'g1', reused: false }, [2, 5]);
      expect(invariants(log.record({ activeRows: [active('access', 'g1', 'a1')] }))).toEqual([]);
    });

    it('treats a reuse detection as a revocation of the grant', () => {
      const log = issuedGrant();
      log.op('refresh', { handle: 'r1' }, 'REUSE_DETECTED');
      expect(invariants(log.record({ activeRows: [active('access', 'g1', 'a1')] }))).toEqual([1]);
      expect(invariants(log.record())).toEqual([]);
    });
  });

  describe('invariant 2: one ACTIVE exclusive token per reuse key', () => {
    const key = 'c1|u1|APPLICATION_USER|read';

    it('reports two ACTIVE exclusive tokens for one reuse key', () => {
      const log = new Log();
      const rows = [
        active('access', 'g1', 'a1', { exclusive: true, reuseKey: key }),
        active('access', 'g2', 'a2', { exclusive: true, reuseKey: key }),
      ];
      expect(invariants(log.record({ activeRows: rows }))).toEqual([2]);
    });

    it('accepts one per key, and non-exclusive tokens beside it', () => {
      const log = new Log();
      const rows = [
        active('access', 'g1', 'a1', { exclusive: true, reuseKey: key }),
        active('access', 'g2', 'a2', { exclusive: true, reuseKey: 'c1|u1|APPLICATION_USER|read write' }),
        active('access', 'g3', 'a3'),
      ];
      expect(invariants(log.record({ activeRows: rows }))).toEqual([]);
    });
  });

  describe('invariant 3: a code is used once, and a replay revokes its grant', () => {
    function withCode(): Log {
      const log = new Log();
      log.grant('g1');
      log.handle('c1', 'code', 'g1');
      log.handle('a1', 'access', 'g1');
      log.handle('a2', 'access', 'g1');
      log.op('issueCode', { client: 'c1', user: 'u1' }, { code: 'c1', grant: 'g1' });
      log.op('redeem', { handle: 'c1' }, { access: 'a1', grant: 'g1' });
      return log;
    }

    it('reports a code redeemed successfully twice', () => {
      const log = withCode();
      log.op('replay', { handle: 'c1' }, { access: 'a2', grant: 'g1' });
      expect(invariants(log.record())).toEqual([3]);
    });

    it('reports a replayed code whose grant still holds an ACTIVE token', () => {
      const log = withCode();
      log.op('replay', { handle: 'c1' }, 'REPLAY');
      expect(invariants(log.record({ activeRows: [active('access', 'g1', 'a1')] }))).toEqual([3]);
    });

    it('accepts one redemption and a replay that left nothing ACTIVE', () => {
      const log = withCode();
      log.op('replay', { handle: 'c1' }, 'REPLAY');
      expect(invariants(log.record())).toEqual([]);
    });
  });

  describe('invariant 4: only the most recently set secret verifies', () => {
    function secrets(): Log {
      const log = new Log();
      log.handle('s1', 'secret', undefined, { client: 'c1' });
      log.handle('s2', 'secret', undefined, { client: 'c1' });
      log.op('register', { client: 'c1', handle: 's1' }, { secret: 's1' });
      log.op('regenerateSecret', { client: 'c1', handle: 's2' }, { secret: 's2' });
      return log;
    }

    it('reports an older secret that verifies at the end', () => {
      const log = secrets();
      expect(
        invariants(
          log.record({
            secretsVerifying: new Map([
              ['s1', true],
              ['s2', false],
            ]),
          }),
        ),
      ).toEqual([4]);
    });

    it('reports no secret verifying at the end', () => {
      const log = secrets();
      expect(
        invariants(
          log.record({
            secretsVerifying: new Map([
              ['s1', false],
              ['s2', false],
            ]),
          }),
        ),
      ).toEqual([4]);
    });

    it('reports an older secret verified during the run after a newer one was set', () => {
      const log = secrets();
      log.op('verifySecret', { client: 'c1', handle: 's1' }, { valid: true });
      expect(
        invariants(
          log.record({
            secretsVerifying: new Map([
              ['s1', false],
              ['s2', true],
            ]),
          }),
        ),
      ).toEqual([4]);
    });

    it('accepts the newest secret, and either of two concurrent regenerations', () => {
      const log = new Log();
      for (const id of ['s1', 's2', 's3']) log.handle(id, 'secret', undefined, { client: 'c1' });
      log.op('register', { client: 'c1', handle: 's1' }, { secret: 's1' }, [1, 2]);
      log.op('regenerateSecret', { client: 'c1', handle: 's2' }, { secret: 's2' }, [3, 6]);
      log.op('regenerateSecret', { client: 'c1', handle: 's3' }, { secret: 's3' }, [4, 5]);
      const verifying = new Map([
        ['s1', false],
        ['s2', true],
        ['s3', false],
      ]);
      expect(invariants(log.record({ secretsVerifying: verifying }))).toEqual([]);
      verifying.set('s2', false).set('s3', true);
      expect(invariants(log.record({ secretsVerifying: verifying }))).toEqual([]);
    });
  });

  describe('invariant 5: purge removes only what the design lets it remove', () => {
    const criteria = { now: 100_000, expiredBefore: 90_000, inactiveBefore: 70_000, limit: 1000 };
    const vanished = (row: Partial<VanishedRow>): VanishedRow => ({
      kind: 'accessToken',
      criteria,
      state: 'REVOKED',
      expiresAt: 80_000,
      stateChangedAt: 60_000,
      grant: 'g1',
      concurrentChangeAt: null,
      start: 1,
      end: 2,
      ...row,
    });

    it('reports an ACTIVE unexpired row, and a revoked row still within either retention', () => {
      const log = new Log();
      const rows = [
        vanished({ state: 'ACTIVE', expiresAt: 95_000 }),
        vanished({ state: 'ACTIVE', expiresAt: null }),
        vanished({ stateChangedAt: 75_000 }),
        vanished({ expiresAt: 95_000 }),
      ];
      expect(invariants(log.record({ vanished: rows }))).toEqual([5, 5, 5, 5]);
    });

    it('accepts expired ACTIVE rows and old inactive rows past their expiry', () => {
      const log = new Log();
      const rows = [
        vanished({ state: 'ACTIVE', expiresAt: 90_000 }),
        vanished({}),
        vanished({ state: 'INACTIVE', expiresAt: null }),
        // ACTIVE when scanned, revoked long before the purge's inactiveBefore while it ran: purgeable then.
        vanished({ state: 'ACTIVE', expiresAt: 85_000, concurrentChangeAt: 65_000 }),
      ];
      expect(invariants(log.record({ vanished: rows }))).toEqual([]);
    });
  });

  describe('invariant 6: sanity of what the service returned', () => {
    it('reports a refresh that returned tokens of another grant', () => {
      const log = issuedGrant();
      log.grant('g2');
      log.handle('a2', 'access', 'g2');
      log.handle('r2', 'refresh', 'g2');
      log.op('refresh', { handle: 'r1' }, { access: 'a2', refresh: 'r2', grant: 'g2' });
      expect(invariants(log.record())).toContain(6);
    });

    it('reports an untyped error, an unexpected code, and an expired token reported valid', () => {
      const log = issuedGrant();
      log.handle('a1', 'access', 'g1', { expiresAt: 50 });
      log.op('validate', { handle: 'a1' }, 'TypeError');
      log.op('revokeGrant', { grant: 'g1' }, 'BACKEND_ERROR');
      log.op('validate', { handle: 'a1' }, { valid: true, validGrant: 'g1' }, undefined, 60);
      expect(invariants(log.record())).toEqual([6, 6, 6]);
    });

    it('accepts typed errors of concurrency, expiry and purge, and refreshes within the grant', () => {
      const log = issuedGrant();
      log.handle('a2', 'access', 'g1');
      log.handle('r2', 'refresh', 'g1');
      for (const code of ['CONFLICT', 'REVOKED', 'EXPIRED', 'NOT_FOUND']) log.op('refresh', { handle: 'r1' }, code);
      log.op('refresh', { handle: 'r1' }, { access: 'a2', refresh: 'r2', grant: 'g1' });
      log.op('validate', { handle: 'a2' }, { valid: true, validGrant: 'g1' });
      expect(invariants(log.record())).toEqual([]);
    });
  });
});

import { isTokenStoreError } from '@tokenstore/core';

/** Every kind of operation the workload performs (`register` is the setup, before the workers start). */
export const OP_KINDS = [
  'register',
  'issue',
  'validate',
  'refresh',
  'issueCode',
  'redeem',
  'replay',
  'revokeGrant',
  'revokeUser',
  'revokeClient',
  'revokeToken',
  'regenerateSecret',
  'verifySecret',
  'rewrap',
  'purge',
  'advanceClock',
] as const;
export type OpKind = (typeof OP_KINDS)[number];

/**
 * What an operation was called with. Values are never kept here: tokens, codes and secrets are named by
 * their short handle (`a12`, `r3`, `c7`, `s2`), grants by a short id (`g5`).
 */
export interface OpArgs {
  service?: 'reuse' | 'fresh';
  client?: string;
  user?: string;
  userType?: string;
  scopes?: string[];
  withRefresh?: boolean;
  /** The handle presented (access token, refresh token, code, or secret). */
  handle?: string;
  grant?: string;
  hint?: 'access_token' | 'refresh_token';
  /** revokeUser filters. */
  filterClient?: string;
  filterUserType?: string;
  revokeTokens?: boolean;
  ms?: number;
  /** rewrap: every kind, or client secrets only. */
  scope?: 'all' | 'clients';
  /** refresh: an already rotated token was picked on purpose. */
  old?: boolean;
}

/** What a successful operation returned, in handles. */
export interface OpResult {
  access?: string;
  refresh?: string;
  code?: string;
  secret?: string;
  grant?: string;
  reused?: boolean;
  /** validate: non-null; verifySecret: true. */
  valid?: boolean;
  /** validate: the grant of the record returned. */
  validGrant?: string;
  /** revokeToken: what the service answered. */
  revoked?: boolean;
  /** Counts and the like, for the printed excerpt only. */
  note?: string;
}

export type Outcome =
  | { status: 'ok'; result: OpResult }
  /** `typed`: a TokenStoreError (its code); otherwise the error's name (a TypeError is a violation). */
  | { status: 'error'; code: string; typed: boolean };

export interface Op {
  /** Position in the log (completion order). */
  id: number;
  /** -1 for the setup. */
  worker: number;
  kind: OpKind;
  args: OpArgs;
  /** Global sequence number taken at invocation. */
  start: number;
  /** Global sequence number taken at completion: A completed before B started iff A.end < B.start. */
  end: number;
  /** ManualClock time at invocation. */
  clockAt: number;
  outcome: Outcome;
}

/** What is known about a token, code or secret handed out (never its value). */
export interface HandleInfo {
  id: string;
  kind: 'access' | 'refresh' | 'code' | 'secret';
  client: string;
  grant?: string;
  user?: string;
  userType?: string;
  scopes?: string[];
  /** Access tokens issued by the reuse service (exclusive rows: at most one ACTIVE per reuse key). */
  exclusive?: boolean;
  expiresAt?: number | null;
}

/** What a grant belongs to: what revocation by user and by client select. */
export interface GrantInfo {
  id: string;
  client: string;
  user: string;
  userType: string;
}

/**
 * The operation log: one global sequence counter that every operation takes a number from when it is
 * invoked and when it completes (and the purge observer around its own calls), so the log orders
 * operations in real time.
 */
export class OperationLog {
  readonly ops: Op[] = [];
  #sequence = 0;

  tick(): number {
    return ++this.#sequence;
  }

  /**
   * Runs `call` as one logged operation. A typed error is an outcome like a value; the call never
   * throws, so a worker carries on whatever happened.
   */
  async run<T>(
    entry: { worker: number; kind: OpKind; args: OpArgs; clockAt: number },
    call: () => Promise<T>,
    describe: (value: T) => OpResult,
  ): Promise<{ value: T; op: Op } | { value: undefined; op: Op }> {
    const start = this.tick();
    let outcome: Outcome;
    let value: T | undefined;
    try {
      value = await call();
      outcome = { status: 'ok', result: describe(value) };
    } catch (error) {
      outcome = isTokenStoreError(error)
        ? { status: 'error', code: error.code, typed: true }
        : { status: 'error', code: error instanceof Error ? error.name : typeof error, typed: false };
    }
    const op: Op = { id: this.ops.length, ...entry, start, end: this.tick(), outcome };
    this.ops.push(op);
    return outcome.status === 'ok' ? { value: value as T, op } : { value: undefined, op };
  }
}

/** One line of the printed excerpt: `#12 w3 refresh [s=40..47 t=+12s] {handle:r3} → ok {access:a9,...}`. */
export function formatOp(op: Op, clockOrigin: number): string {
  const args = Object.entries(op.args)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}:${Array.isArray(value) ? value.join(' ') : String(value)}`)
    .join(',');
  const outcome =
    op.outcome.status === 'ok'
      ? `ok {${Object.entries(op.outcome.result)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => `${key}:${String(value)}`)
          .join(',')}}`
      : `${op.outcome.typed ? '' : 'UNTYPED '}${op.outcome.code}`;
  const worker = op.worker < 0 ? 'setup' : `w${op.worker}`;
  return `#${op.id} ${worker} ${op.kind} [seq ${op.start}..${op.end} t=+${(op.clockAt - clockOrigin) / 1000}s] {${args}} → ${outcome}`;
}

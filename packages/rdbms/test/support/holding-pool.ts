import { type HeldStep, StatementHold } from '@tokenstore/conformance';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import type { DatabaseKind, MysqlPool, PostgresPool } from '../../src/index.js';

/** The statement that decides a first rotation (see `refreshToken.rotateActive` in the statement catalog). */
const ROTATION = /^UPDATE \S*refresh\S* SET state = 'INACTIVE', rotated_at/i;
const COMMIT = /^COMMIT\b/i;
const POLL_MS = 5;

/**
 * A real pool whose next transaction that runs a statement matching the armed pattern is held just
 * before its COMMIT: its row locks are taken and its rows written, nothing is committed yet. While it
 * is held, {@link waitForLockWaiter} tells whether another session waits for one of its locks.
 */
interface Holder {
  holdCommitOf(statement: RegExp): HeldStep;
  /** `true` once another session waits for a lock of the held transaction; `false` after `timeoutMs`. */
  waitForLockWaiter(timeoutMs: number): Promise<boolean>;
}

abstract class CommitHolder implements Holder {
  readonly #hold = new StatementHold();
  /** Server-side id of the held session (backend pid / connection id), known once it is held. */
  protected heldSession: number | undefined;

  holdCommitOf(statement: RegExp): HeldStep {
    return this.#hold.arm(statement);
  }

  holdRotation(): HeldStep {
    return this.holdCommitOf(ROTATION);
  }

  async waitForLockWaiter(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.heldSession !== undefined && (await this.waitersOf(this.heldSession)) > 0) return true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return false;
  }

  /**
   * Called for each statement a borrowed connection sends. Returns a promise to wait for before the
   * statement goes out (the held COMMIT), or `undefined`.
   */
  protected async beforeStatement(session: { marked: boolean; sessionId(): Promise<number> }, text: string): Promise<void> {
    if (!this.#hold.armed) return;
    if (this.#hold.matches(text)) session.marked = true;
    else if (session.marked && COMMIT.test(text)) {
      const step = this.#hold.take()!;
      session.marked = false;
      this.heldSession = await session.sessionId();
      try {
        await step.arrive();
      } finally {
        this.heldSession = undefined;
      }
    }
  }

  protected abstract waitersOf(session: number): Promise<number>;
}

class PostgresCommitHolder extends CommitHolder {
  readonly pool: PostgresPool;

  constructor(private readonly real: pg.Pool) {
    super();
    this.pool = {
      query: (text, values) => real.query(text, values),
      connect: async () => {
        const client = await real.connect();
        const session = {
          marked: false,
          sessionId: async () => Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid),
        };
        return {
          query: async (text: string, values?: unknown[]) => {
            await this.beforeStatement(session, text);
            return client.query(text, values);
          },
          release: (destroy?: boolean | Error) => {
            session.marked = false;
            client.release(destroy);
          },
        };
      },
      end: () => real.end(),
    };
  }

  protected async waitersOf(pid: number): Promise<number> {
    const { rows } = await this.real.query('SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))', [pid]);
    return Number(rows[0].n);
  }
}

class MysqlCommitHolder extends CommitHolder {
  readonly pool: MysqlPool;

  constructor(private readonly real: mysql.Pool) {
    super();
    this.pool = {
      query: (text, values) => real.query(text, values as never),
      getConnection: async () => {
        const connection = await real.getConnection();
        const session = {
          marked: false,
          sessionId: async () => {
            const [rows] = await connection.query('SELECT CONNECTION_ID() AS id');
            return Number((rows as Array<{ id: number }>)[0]!.id);
          },
        };
        return {
          query: async (text: string, values?: unknown) => {
            await this.beforeStatement(session, text);
            return connection.query(text, values as never) as Promise<[unknown, unknown]>;
          },
          release: () => {
            session.marked = false;
            connection.release();
          },
          destroy: () => connection.destroy(),
        };
      },
      end: () => real.end(),
    };
  }

  protected async waitersOf(connectionId: number): Promise<number> {
    // Statements of this database stuck in an update while the held session is open. (A READ
    // COMMITTED update waiting for a row lock shows in INNODB_TRX only once it holds a lock itself.)
    const [rows] = await this.real.query(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
       WHERE DB = DATABASE() AND COMMAND = 'Query' AND ID NOT IN (?, CONNECTION_ID()) AND STATE LIKE 'updat%'`,
      [connectionId],
    );
    return Number((rows as Array<{ n: number }>)[0]!.n);
  }
}

/** A pool for `createSqlStore({ pool })` whose transactions a test can hold before COMMIT. */
export function holdingPostgresPool(real: pg.Pool): PostgresCommitHolder {
  return new PostgresCommitHolder(real);
}

export function holdingMysqlPool(real: mysql.Pool): MysqlCommitHolder {
  return new MysqlCommitHolder(real);
}

/** A holding pool as the conformance file uses it: the pool to hand to stores, and its controls. */
export interface HoldingPool {
  readonly pool: unknown;
  holdRotation(): HeldStep;
  waitForLockWaiter(timeoutMs: number): Promise<boolean>;
}

/** The backends whose real pool a test can hold before COMMIT (the interleavings topic's controls). */
export const HOLDING_POOLS: Partial<Record<DatabaseKind, (real: unknown) => HoldingPool>> = {
  postgres: (real) => holdingPostgresPool(real as pg.Pool),
  mysql: (real) => holdingMysqlPool(real as mysql.Pool),
};

import type { CassandraRow } from './client.js';
import type { Resolution } from './conditional.js';
import type { CassandraExecutor } from './executor.js';
import { millis, textOf } from './token-rows.js';

const LEASE_NAME = 'purge';

/**
 * The purge lease (purge_lease): one row, taken, renewed, taken over once expired and released with
 * lightweight transactions, so one purger of many runs at a time.
 */
export class PurgeLease {
  readonly #x: CassandraExecutor;

  constructor(executor: CassandraExecutor) {
    this.#x = executor;
  }

  async acquire(owner: string, now: number, ttlMs: number): Promise<boolean> {
    const levels = this.#x.levels('lease');
    const cql = this.#x.cql.lease;
    const ttl = Math.max(1, Math.ceil(ttlMs / 1000));
    const expiresAt = new Date(now + ttlMs);
    const mine = (row: CassandraRow | undefined) => textOf(row?.owner) === owner && millis(row?.expires_at) === now + ttlMs;
    const resolveMine = async (): Promise<Resolution> => {
      const row = await this.#read(levels.codes.serial);
      return mine(row) ? { outcome: 'applied' } : { outcome: 'not-applied', current: row };
    };
    const taken = await this.#x.conditional(cql.take, [LEASE_NAME, owner, expiresAt, ttl], levels, resolveMine);
    if (taken.applied) return true;
    const current = taken.current ?? (await this.#read(levels.codes.serial));
    if (current === undefined) return false; // released in between; the next run takes it
    const holder = textOf(current.owner);
    if (holder === owner) {
      return (await this.#x.conditional(cql.renew, [ttl, owner, expiresAt, LEASE_NAME, owner], levels, resolveMine)).applied;
    }
    const heldUntil = millis(current.expires_at);
    if (holder !== null && heldUntil !== null && heldUntil > now) return false;
    const takeOver = [ttl, owner, expiresAt, LEASE_NAME, holder, heldUntil === null ? null : new Date(heldUntil)];
    return (await this.#x.conditional(cql.takeOver, takeOver, levels, resolveMine)).applied;
  }

  async release(owner: string): Promise<void> {
    const levels = this.#x.levels('lease');
    await this.#x.conditional(this.#x.cql.lease.release, [LEASE_NAME, owner], levels, async () => ({ outcome: 'applied' }));
  }

  async #read(consistency: number): Promise<CassandraRow | undefined> {
    const row = (await this.#x.execute(this.#x.cql.lease.select, [LEASE_NAME], { consistency })).rows?.[0];
    return row && (row.owner !== null || row.expires_at !== null) ? row : undefined;
  }
}

import { ConflictError, type InsertResult, type StoredAccessToken } from '@tokenstore/core';
import type { CassandraRow } from './client.js';
import type { Resolution } from './conditional.js';
import type { OperationConsistency } from './consistency.js';
import { BACKEND } from './errors.js';
import type { CassandraExecutor } from './executor.js';
import { textOf, tokenFromRow } from './token-rows.js';

/** Attempts to settle the reuse slot before giving up with a conflict (each attempt is one LWT). */
const SLOT_ATTEMPTS = 8;

/**
 * The reuse slots (access_token_slots): per reuse key, the one exclusive ACTIVE access token that
 * token reuse hands out again. Taken, taken over and released with lightweight transactions.
 */
export class ReuseSlots {
  readonly #x: CassandraExecutor;

  constructor(executor: CassandraExecutor) {
    this.#x = executor;
  }

  /** The ACTIVE exclusive token holding the slot of `reuseKey`, read at the operation's read level. */
  async findActive(reuseKey: string, levels: OperationConsistency): Promise<StoredAccessToken | null> {
    const slot = await this.#x.execute(this.#x.cql.slots.select, [reuseKey], { consistency: levels.codes.read });
    const holder = textOf(slot.rows?.[0]?.token_key);
    if (holder === null) return null;
    const result = await this.#x.execute(this.#x.cql.tokens.accessToken.select, [holder], { consistency: levels.codes.read });
    const row = tokenFromRow('accessToken', result.rows?.[0]);
    return row !== null && row.state === 'ACTIVE' && row.exclusive && row.reuseKey === reuseKey ? row : null;
  }

  /**
   * Claims the reuse slot for a freshly inserted exclusive token: INSERT ... IF NOT EXISTS; if the slot
   * is held by a token that is no longer ACTIVE (or is gone), takes it over with UPDATE ... IF
   * token_key = <holder>. If an ACTIVE exclusive token holds it, the new row is removed again
   * (`discard`) and that token is returned.
   */
  async claim(row: StoredAccessToken, ttl: number, levels: OperationConsistency, discard: () => Promise<unknown>): Promise<InsertResult> {
    const slots = this.#x.cql.slots;
    // undefined: the slot looked free (claim it); otherwise the holder to take the slot over from.
    let holder: string | null | undefined;
    for (let attempt = 0; attempt < SLOT_ATTEMPTS; attempt++) {
      const expected = holder;
      const outcome =
        expected === undefined
          ? await this.#x.conditional(slots.claim, [row.reuseKey, row.key, ttl], levels, () =>
              this.#resolve(row.reuseKey, row.key, null, levels),
            )
          : await this.#x.conditional(slots.takeOver, [ttl, row.key, row.reuseKey, expected], levels, () =>
              this.#resolve(row.reuseKey, row.key, expected, levels),
            );
      if (outcome.applied) return { inserted: true };
      const current = outcome.current ?? (await this.#read(row.reuseKey, levels.codes.serial));
      const currentHolder = textOf(current?.token_key);
      if (currentHolder === row.key) return { inserted: true };
      if (currentHolder !== null) {
        const raw = (await this.#x.execute(this.#x.cql.tokens.accessToken.select, [currentHolder], { consistency: levels.codes.serial }))
          .rows?.[0];
        const active = tokenFromRow('accessToken', raw);
        if (active && active.state === 'ACTIVE' && active.exclusive && active.reuseKey === row.reuseKey) {
          await discard();
          return { inserted: false, active };
        }
      }
      holder = currentHolder;
    }
    await discard();
    throw new ConflictError('could not settle on one active token for this reuse key; retry', { backend: BACKEND });
  }

  /** Hands the slot of `reuseKey` from the token `fromKey` to `toKey` (replaceKey of an ACTIVE exclusive token). */
  async handOver(reuseKey: string, fromKey: string, toKey: string, ttl: number, levels: OperationConsistency): Promise<void> {
    await this.#x.conditional(this.#x.cql.slots.takeOver, [ttl, toKey, reuseKey, fromKey], levels, async () => ({
      outcome: 'applied',
    }));
  }

  /** Releases a reuse slot held by `row` (best effort: a stale slot is taken over by the next claim). */
  async release(row: StoredAccessToken, levels: OperationConsistency): Promise<void> {
    await this.#x
      .conditional(this.#x.cql.slots.release, [row.reuseKey, row.key], levels, async () => ({ outcome: 'applied' }))
      .catch(() => undefined);
  }

  async #resolve(reuseKey: string, mine: string, previous: string | null, levels: OperationConsistency): Promise<Resolution> {
    const current = await this.#read(reuseKey, levels.codes.serial);
    const holder = textOf(current?.token_key);
    if (holder === mine) return { outcome: 'applied' };
    if (holder === previous) return { outcome: 'retry' };
    return { outcome: 'not-applied', current: current ?? { token_key: null } };
  }

  async #read(reuseKey: string, consistency: number): Promise<CassandraRow | undefined> {
    return (await this.#x.execute(this.#x.cql.slots.select, [reuseKey], { consistency })).rows?.[0];
  }
}

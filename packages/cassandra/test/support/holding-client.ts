import type { CassandraClient } from '@tokenstore/cassandra';
import { type HeldStep, StatementHold } from '@tokenstore/conformance';

/** The lightweight transaction that decides a first rotation (`rotation.rotate` in statements.ts). */
const ROTATION = /^UPDATE \S+ USING TTL \? SET state = 'INACTIVE', rotated_at = \?/;
/** The read of a lookup partition that a bulk revocation pass starts with. */
const REVOCATION_READ = /^SELECT kind, token_key\b.* FROM \S+\.tokens_by_(user|consumer|grant) WHERE/;

/**
 * A driver client for one store whose next statement matching the armed pattern is held after the
 * server answered it, before the store sees the answer: the decisive write is done, the operation
 * that sent it is not complete. Every other statement goes straight to the shared client.
 */
export class HoldingClient implements CassandraClient {
  readonly #hold = new StatementHold();

  constructor(private readonly real: CassandraClient) {}

  holdAfter(statement: RegExp): HeldStep {
    return this.#hold.arm(statement);
  }

  holdRotation(): HeldStep {
    return this.holdAfter(ROTATION);
  }

  holdRevocationRead(): HeldStep {
    return this.holdAfter(REVOCATION_READ);
  }

  async execute(...args: Parameters<CassandraClient['execute']>): ReturnType<CassandraClient['execute']> {
    const held = this.#hold.matches(args[0]);
    const result = await this.real.execute(...args);
    if (held) await this.#hold.take()?.arrive();
    return result;
  }

  // The shared client outlives every store: a store closing its client must not close the shared one.
  async shutdown(): Promise<void> {}
}

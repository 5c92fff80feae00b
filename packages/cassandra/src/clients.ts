import { ConflictError, type StoredClient } from '@tokenstore/core';
import { BACKEND } from './errors.js';
import type { CassandraExecutor } from './executor.js';
import { clientFromRow, clientParams, clientUpdateParams, sameClient } from './token-rows.js';

/** The clients table: created, updated and deleted with lightweight transactions (compare-and-set). */
export class ClientRows {
  readonly #x: CassandraExecutor;

  constructor(executor: CassandraExecutor) {
    this.#x = executor;
  }

  async create(client: StoredClient): Promise<void> {
    const levels = this.#x.levels('clients');
    const outcome = await this.#x.conditional(this.#x.cql.clients.insert, clientParams(client), levels, async () => {
      const current = await this.read(client.consumerKey, levels.codes.serial);
      if (!current) return { outcome: 'retry' };
      const mine = current.secretKey === client.secretKey && current.createdAt === client.createdAt;
      return mine ? { outcome: 'applied' } : { outcome: 'not-applied' };
    });
    if (!outcome.applied) throw new ConflictError('a client with this consumer key already exists', { backend: BACKEND });
  }

  async update(client: StoredClient, expectedUpdatedAt: number): Promise<boolean> {
    const levels = this.#x.levels('clients');
    const params = clientUpdateParams(client, expectedUpdatedAt);
    const outcome = await this.#x.conditional(this.#x.cql.clients.update, params, levels, async () => {
      // Unknown outcome: the serial read shows our row (applied), the row we expected (our
      // proposal did not land, send it again), or another writer's (changed meanwhile: not applied).
      const current = await this.read(client.consumerKey, levels.codes.serial);
      if (!current) return { outcome: 'not-applied' };
      if (sameClient(current, client)) return { outcome: 'applied' };
      return current.updatedAt === expectedUpdatedAt ? { outcome: 'retry' } : { outcome: 'not-applied' };
    });
    return outcome.applied;
  }

  async delete(consumerKey: string): Promise<boolean> {
    const levels = this.#x.levels('clients');
    const outcome = await this.#x.conditional(this.#x.cql.clients.remove, [consumerKey], levels, async () => {
      const current = await this.read(consumerKey, levels.codes.serial);
      return current ? { outcome: 'retry' } : { outcome: 'applied' };
    });
    return outcome.applied;
  }

  async read(consumerKey: string, consistency: number): Promise<StoredClient | null> {
    const result = await this.#x.execute(this.#x.cql.clients.select, [consumerKey], { consistency });
    return clientFromRow(result.rows?.[0]);
  }
}

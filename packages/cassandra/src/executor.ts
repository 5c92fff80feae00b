import { StoreGate } from '@tokenstore/core';
import { type CassandraClient, type CassandraExecuteOptions, type CassandraResult, createDriverClient } from './client.js';
import { type ConditionalResult, executeConditional, type Resolution } from './conditional.js';
import type { OperationConsistency, StoreOperation } from './consistency.js';
import { BACKEND, toStoreError } from './errors.js';
import type { ResolvedCassandraOptions } from './options.js';
import { applySchema } from './schema.js';
import { buildStatements, type Statements } from './statements.js';

/**
 * What every part of the store sends its statements through: the (lazily connected) client, the
 * statements of the keyspace, the consistency levels per operation, the mapping of driver errors to
 * typed ones and whether the store is still open. One per {@link CassandraStore}, shared by all its
 * collaborators (reuse slots, lookups, purge index, lease, ...).
 */
export class CassandraExecutor {
  readonly cql: Statements;
  readonly gate = new StoreGate(BACKEND);
  /** Statements a bulk operation (revocation, purge) runs in parallel. */
  readonly concurrency: number;
  readonly #options: ResolvedCassandraOptions;
  readonly #ownsClient: boolean;
  #client: CassandraClient | undefined;
  #connecting: Promise<CassandraClient> | undefined;

  constructor(options: ResolvedCassandraOptions) {
    this.#options = options;
    this.cql = buildStatements(options.keyspace);
    this.concurrency = options.concurrency;
    this.#ownsClient = options.client === undefined;
  }

  /** The client once connected, else `undefined` (then {@link ready} connects). */
  get client(): CassandraClient | undefined {
    return this.#client;
  }

  levels(operation: StoreOperation): OperationConsistency {
    return this.#options.consistency[operation];
  }

  /** Runs `body` as the store operation `name`: refused once closed, driver errors mapped to typed ones. */
  async operation<T>(name: string, body: () => Promise<T>): Promise<T> {
    this.gate.check();
    try {
      return await body();
    } catch (error) {
      throw toStoreError(error, name);
    }
  }

  ready(): Promise<CassandraClient> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#open().then(
      (client) => {
        this.#client = client;
        return client;
      },
      (error: unknown) => {
        // Not cached: the next call tries again (Cassandra may be back by then).
        this.#connecting = undefined;
        throw toStoreError(error, 'connect');
      },
    );
    return this.#connecting;
  }

  async execute(query: string, params: unknown[], options: CassandraExecuteOptions): Promise<CassandraResult> {
    const client = this.#client ?? (await this.ready());
    return client.execute(query, params, { prepare: true, ...options });
  }

  /** A lightweight transaction at the operation's commit and serial levels; see {@link executeConditional}. */
  conditional(
    query: string,
    params: unknown[],
    levels: OperationConsistency,
    resolve: () => Promise<Resolution>,
  ): Promise<ConditionalResult> {
    return executeConditional((q, p, o) => this.execute(q, p, o), {
      query,
      params,
      commit: levels.codes.commit,
      serial: levels.codes.serial,
      resolve,
    });
  }

  /** Closes the gate and the connection (unless the client was injected); closing twice is harmless. */
  async close(): Promise<void> {
    if (!this.gate.close()) return;
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    this.#connecting = undefined;
    if (client && this.#ownsClient) await client.shutdown().catch(() => undefined);
  }

  async #open(): Promise<CassandraClient> {
    const client = this.#options.client ?? (await createDriverClient(this.#options.driver!));
    try {
      await client.connect?.();
      if (this.#options.createSchema) await applySchema(client, this.#options);
      return client;
    } catch (error) {
      if (this.#ownsClient) await client.shutdown().catch(() => undefined);
      throw error;
    }
  }
}

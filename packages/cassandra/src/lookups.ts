import { InvalidInputError, type RevocationFilter, type StoredTokenBase, TOKEN_KINDS, type TokenKind } from '@tokenstore/core';
import type { CassandraRow } from './client.js';
import type { OperationConsistency } from './consistency.js';
import type { CassandraExecutor } from './executor.js';
import { textOf } from './token-rows.js';

/** A token a lookup partition names. */
export interface LookupEntry {
  kind: TokenKind;
  key: string;
}

const LOOKUP_PAGE_SIZE = 1000;

function isTokenKind(kind: unknown): kind is TokenKind {
  return typeof kind === 'string' && (TOKEN_KINDS as readonly string[]).includes(kind);
}

/**
 * The lookup partitions (tokens_by_user, tokens_by_consumer, tokens_by_grant) a bulk revocation
 * enumerates. Entries are written and read at the lookup level (QUORUM or LOCAL_QUORUM, see
 * `OperationConsistency.lookup`), never at the user's levels, so a revocation's read overlaps every write.
 */
export class LookupPartitions {
  readonly #x: CassandraExecutor;

  constructor(executor: CassandraExecutor) {
    this.#x = executor;
  }

  /** The row's entries in tokens_by_user, tokens_by_consumer and tokens_by_grant, with `ttl`. */
  async write(kind: TokenKind, row: StoredTokenBase, ttl: number, levels: OperationConsistency): Promise<void> {
    const lookups = this.#x.cql.lookups;
    // Always the lookup level, never the user's write level: a bulk revocation must find this entry.
    const plain = { consistency: levels.codes.lookup };
    await Promise.all([
      this.#x.execute(lookups.byUser.insert, [row.userId, kind, row.key, row.consumerKey, row.userType, ttl], plain),
      this.#x.execute(lookups.byConsumer.insert, [row.consumerKey, kind, row.key, ttl], plain),
      this.#x.execute(lookups.byGrant.insert, [row.grantId, kind, row.key, ttl], plain),
    ]);
  }

  /**
   * A duplicate insert wrote lookup entries for a key that belongs to another row (`existing`, with its
   * remaining TTL): drop the ones in partitions the existing row does not use, and rewrite the existing
   * row's own entries where ours overwrote them (same partition), with its values and remaining TTL.
   */
  async restore(
    kind: TokenKind,
    ours: StoredTokenBase,
    existing: { row: StoredTokenBase; ttl: number },
    levels: OperationConsistency,
  ): Promise<void> {
    const row = existing.row;
    const lookups = this.#x.cql.lookups;
    const plain = { consistency: levels.codes.lookup };
    await Promise.all([
      row.userId === ours.userId
        ? this.#x.execute(lookups.byUser.insert, [row.userId, kind, row.key, row.consumerKey, row.userType, existing.ttl], plain)
        : this.#x.execute(lookups.byUser.remove, [ours.userId, kind, ours.key], plain),
      row.consumerKey === ours.consumerKey
        ? this.#x.execute(lookups.byConsumer.insert, [row.consumerKey, kind, row.key, existing.ttl], plain)
        : this.#x.execute(lookups.byConsumer.remove, [ours.consumerKey, kind, ours.key], plain),
      row.grantId === ours.grantId
        ? this.#x.execute(lookups.byGrant.insert, [row.grantId, kind, row.key, existing.ttl], plain)
        : this.#x.execute(lookups.byGrant.remove, [ours.grantId, kind, ours.key], plain),
    ]);
  }

  /** Deletes the row's three entries (at the operation's write level, as a deleted row needs none). */
  remove(kind: TokenKind, row: StoredTokenBase, levels: OperationConsistency): Array<Promise<unknown>> {
    const lookups = this.#x.cql.lookups;
    const plain = { consistency: levels.codes.write };
    return [
      this.#x.execute(lookups.byUser.remove, [row.userId, kind, row.key], plain),
      this.#x.execute(lookups.byConsumer.remove, [row.consumerKey, kind, row.key], plain),
      this.#x.execute(lookups.byGrant.remove, [row.grantId, kind, row.key], plain),
    ];
  }

  /** The token keys a bulk revocation touches, from the lookup partition that matches the filter. */
  async read(filter: RevocationFilter, levels: OperationConsistency): Promise<LookupEntry[]> {
    const lookups = this.#x.cql.lookups;
    let statement: string;
    let partition: string;
    let accept: (row: CassandraRow) => boolean = () => true;
    if ('grantId' in filter) {
      statement = lookups.byGrant.select;
      partition = filter.grantId;
    } else if ('userId' in filter) {
      statement = lookups.byUser.select;
      partition = filter.userId;
      const { userType, consumerKey } = filter;
      accept = (row) =>
        (userType === undefined || row.user_type === userType) && (consumerKey === undefined || row.consumer_key === consumerKey);
    } else if ('consumerKey' in filter) {
      statement = lookups.byConsumer.select;
      partition = filter.consumerKey;
    } else {
      throw new InvalidInputError('filter', 'must name a userId, a consumerKey or a grantId');
    }
    const entries: LookupEntry[] = [];
    let pageState: string | undefined;
    do {
      const result = await this.#x.execute(statement, [partition], {
        consistency: levels.codes.lookup,
        fetchSize: LOOKUP_PAGE_SIZE,
        ...(pageState === undefined ? {} : { pageState }),
      });
      for (const row of result.rows ?? []) {
        const kind = row.kind;
        const key = textOf(row.token_key);
        if (isTokenKind(kind) && key !== null && accept(row)) entries.push({ kind, key });
      }
      pageState = result.pageState ?? undefined;
    } while (pageState !== undefined);
    return entries;
  }
}

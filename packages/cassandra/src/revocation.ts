import { InvalidInputError, isRevocable, matchesRevocationFilter, type RevocationCounts, type RevocationFilter } from '@tokenstore/core';
import { CHANGE_ATTEMPTS, forEachLimited } from './concurrency.js';
import type { OperationConsistency } from './consistency.js';
import type { CassandraExecutor } from './executor.js';
import type { LookupEntry, LookupPartitions } from './lookups.js';
import type { RowAccess } from './row-access.js';
import type { StateChanges } from './state-changes.js';

/** Reads of a lookup partition one revocation pass makes at most while rows vanish under it. */
const LOOKUP_ROUNDS = 4;

/** `revokeTokens`: every token a lookup partition names, changed one by one (bounded concurrency). */
export class Revocation {
  readonly #x: CassandraExecutor;
  readonly #rows: RowAccess;
  readonly #lookups: LookupPartitions;
  readonly #changes: StateChanges;

  constructor(executor: CassandraExecutor, parts: { rows: RowAccess; lookups: LookupPartitions; changes: StateChanges }) {
    this.#x = executor;
    this.#rows = parts.rows;
    this.#lookups = parts.lookups;
    this.#changes = parts.changes;
  }

  async revoke(filter: RevocationFilter, at: number): Promise<RevocationCounts> {
    if (filter === null || typeof filter !== 'object') throw new InvalidInputError('filter', 'must be an object');
    const levels = this.#x.levels('revokeTokens');
    const counts: RevocationCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
    const seen = new Set<string>();
    // A row that vanished between the read of its lookup entry and its change may have moved to a new
    // key (the rewrap writes the new row, then deletes the old one): read the partition again for it.
    for (let round = 0; round < LOOKUP_ROUNDS; round++) {
      const entries = (await this.#lookups.read(filter, levels)).filter((entry) => !seen.has(`${entry.kind}/${entry.key}`));
      let vanished = false;
      await forEachLimited(entries, this.#x.concurrency, async (entry) => {
        seen.add(`${entry.kind}/${entry.key}`);
        const outcome = await this.#revokeOne(entry, filter, at, levels);
        if (outcome === 'revoked') counts[entry.kind]++;
        else if (outcome === 'vanished') vanished = true;
      });
      if (!vanished) break;
    }
    return counts;
  }

  /** `vanished`: the entry's row is gone (purged, or moved to a new key by a rewrap). */
  async #revokeOne(
    entry: LookupEntry,
    filter: RevocationFilter,
    at: number,
    levels: OperationConsistency,
  ): Promise<'revoked' | 'unchanged' | 'vanished'> {
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
      const current = await this.#rows.readForUpdate(entry.kind, entry.key, levels);
      if (!current) return 'vanished';
      if (!matchesRevocationFilter(current.row, filter)) return 'unchanged';
      const state = current.row.state;
      if (!isRevocable(entry.kind, state)) return 'unchanged';
      if (await this.#changes.changeState(entry.kind, current, state, 'REVOKED', at, levels)) return 'revoked';
      // The state moved under us (e.g. a concurrent rotation made it INACTIVE): look again.
    }
    return 'unchanged';
  }
}

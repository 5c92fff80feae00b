import { randomUUID } from 'node:crypto';
import type { RefreshRotation } from '@tokenstore/core';
import type { CassandraExecutor } from './executor.js';
import type { PurgeIndexWriter } from './purge-index.js';
import type { RowAccess } from './row-access.js';
import type { StateChanges } from './state-changes.js';
import { retainedTtl, type TtlPolicy } from './ttl.js';

/** `rotateRefreshToken`: the successors first, then the one lightweight transaction that decides. */
export class Rotation {
  readonly #x: CassandraExecutor;
  readonly #ttl: TtlPolicy;
  readonly #rows: RowAccess;
  readonly #index: PurgeIndexWriter;
  readonly #changes: StateChanges;

  constructor(executor: CassandraExecutor, ttl: TtlPolicy, parts: { rows: RowAccess; index: PurgeIndexWriter; changes: StateChanges }) {
    this.#x = executor;
    this.#ttl = ttl;
    this.#rows = parts.rows;
    this.#index = parts.index;
    this.#changes = parts.changes;
  }

  async rotate(rotation: RefreshRotation): Promise<boolean> {
    const levels = this.#x.levels('rotateRefreshToken');
    const current = await this.#rows.readForUpdate('refreshToken', rotation.key, levels);
    if (!current) return false;
    const { expected, at } = rotation;
    const changeId = randomUUID();
    const rotating = expected.state === 'ACTIVE';
    // Successors first, the decision last: a revocation pass that changes the old token after this
    // rotation decided is followed by a pass that reads the grant's lookup entries again, and finds
    // the successors there (see TokenStore.revokeTokens). Written the other way round, a pass could
    // run between the decision and the successors' writes and miss them for good.
    const successors = await Promise.allSettled([
      this.#rows.insertRow('refreshToken', rotation.successor.refreshToken, levels),
      this.#rows.insertRow('accessToken', rotation.successor.accessToken, levels),
    ]);
    const removeSuccessors = async () => {
      for (const [index, settled] of successors.entries()) {
        if (settled.status !== 'fulfilled') continue;
        const kind = index === 0 ? 'refreshToken' : 'accessToken';
        const row = index === 0 ? rotation.successor.refreshToken : rotation.successor.accessToken;
        await this.#rows.deleteRow(kind, row, settled.value.changeId, levels).catch(() => undefined);
      }
    };
    const failed = successors.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await removeSuccessors();
      throw failed.reason;
    }
    try {
      if (rotating) await this.#index.writeInactiveEntry('refreshToken', rotation.key, at, at, levels);
      // A rotated token is kept for its inactive retention, which may outlive its expiry.
      const ttl = rotating ? retainedTtl(current.ttl, this.#ttl) : current.ttl;
      const cql = this.#x.cql.rotation;
      const outcome = await this.#x.conditional(
        rotating ? cql.rotate : cql.reuseAgain,
        rotating
          ? [ttl, new Date(at), new Date(at), changeId, rotation.key, expected.reuseCount]
          : [ttl, expected.reuseCount + 1, changeId, rotation.key, expected.reuseCount],
        levels,
        () =>
          this.#rows.resolveChange('refreshToken', rotation.key, changeId, levels, (row) => {
            return row.state === expected.state && row.reuseCount === expected.reuseCount;
          }),
      );
      if (!outcome.applied) {
        // Lost: the successors were never handed out; remove them (a revocation may have revoked them already).
        await removeSuccessors();
        return false;
      }
      if (ttl !== current.ttl) await this.#changes.retain('refreshToken', rotation.key, changeId, current.ttl, ttl, levels);
      return true;
    } catch (error) {
      await removeSuccessors();
      throw error;
    }
  }
}

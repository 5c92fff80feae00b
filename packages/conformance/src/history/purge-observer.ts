import type { PurgeCriteria, RevocationFilter, StateChange, TokenKind, TokenState, TokenStore } from '@tokenstore/core';

/** A row that vanished during one `purge(kind, criteria)` call, as it was just before the call. */
export interface VanishedRow {
  kind: TokenKind;
  criteria: PurgeCriteria;
  state: TokenState;
  expiresAt: number | null;
  stateChangedAt: number;
  /** The grant's short id when the runner knows it; the row's key is never kept. */
  grant: string;
  /**
   * The smallest `at` of the state changes (compare-and-set, rotation, bulk revocation) that overlapped
   * the purge: the row may have changed state while it was purged, and then carried that time.
   */
  concurrentChangeAt: number | null;
  /** Sequence numbers around the snapshot–purge–snapshot. */
  start: number;
  end: number;
}

interface Interval {
  start: number;
  /** `null` while in flight. */
  end: number | null;
}

interface Rekey extends Interval {
  kind: TokenKind;
  oldKey: string;
}

interface Change extends Interval {
  at: number;
}

type Row = { key: string; grantId: string; state: TokenState; expiresAt: number | null; stateChangedAt: number };

/** Every row of one token kind, through the store's own scan. */
async function scanKind(store: TokenStore, kind: TokenKind): Promise<Map<string, Row>> {
  const rows = new Map<string, Row>();
  let cursor: string | null = null;
  do {
    const page: { rows: Row[]; cursor: string | null } = await store.scan(kind, { cursor, limit: 500 });
    for (const row of page.rows) rows.set(row.key, row);
    cursor = page.cursor;
  } while (cursor !== null);
  return rows;
}

function overlaps(interval: Interval, start: number, end: number): boolean {
  return interval.start < end && (interval.end === null || interval.end > start);
}

/**
 * A delegating store that watches purge: around each `purge(kind, criteria)` call it scans the rows of
 * that kind before and after, and records every row that vanished in between and was not re-keyed by
 * a `replaceKey` (rewrap) in that interval. Purges must not overlap each other (the runner serialises
 * them), or one would see the other's deletions.
 */
export class PurgeObserver {
  readonly store: TokenStore;
  readonly vanished: VanishedRow[] = [];
  readonly #target: TokenStore;
  readonly #tick: () => number;
  readonly #grantOf: (grantId: string) => string;
  readonly #rekeys: Rekey[] = [];
  readonly #changes: Change[] = [];
  /**
   * Keys of rows a store may delete on its own: the successors of a rotation that lost or failed and
   * an exclusive insert that lost the reuse slot (Cassandra writes those rows first, then removes
   * them). They were never handed out; their going is not the purge's doing.
   */
  readonly #abandoned = new Set<string>();

  constructor(target: TokenStore, tick: () => number, grantOf: (grantId: string) => string) {
    this.#target = target;
    this.#tick = tick;
    this.#grantOf = grantOf;
    const overridden: Partial<TokenStore> = {
      purge: (kind, criteria) => this.#purge(kind, criteria),
      replaceKey: (kind, oldKey, row) =>
        this.#track<Omit<Rekey, keyof Interval>, boolean>(this.#rekeys, { kind, oldKey }, () =>
          target.replaceKey(kind, oldKey, row),
        ) as ReturnType<TokenStore['replaceKey']>,
      compareAndSetState: (kind: TokenKind, key: string, change: StateChange) =>
        this.#track(this.#changes, { at: change.at }, () => target.compareAndSetState(kind, key, change)),
      rotateRefreshToken: (rotation) =>
        this.#track(this.#changes, { at: rotation.at }, async () => {
          const abandon = () => {
            this.#abandoned.add(rotation.successor.refreshToken.key);
            this.#abandoned.add(rotation.successor.accessToken.key);
          };
          try {
            const won = await target.rotateRefreshToken(rotation);
            if (!won) abandon();
            return won;
          } catch (error) {
            abandon();
            throw error;
          }
        }),
      insert: async (kind, row) => {
        try {
          const result = await target.insert(kind, row);
          if (!result.inserted) this.#abandoned.add(row.key);
          return result;
        } catch (error) {
          this.#abandoned.add(row.key);
          throw error;
        }
      },
      revokeTokens: (filter: RevocationFilter, at: number) => this.#track(this.#changes, { at }, () => target.revokeTokens(filter, at)),
    };
    this.store = new Proxy(target, {
      get(object, property) {
        if (Object.hasOwn(overridden, property)) return overridden[property as keyof TokenStore];
        const value: unknown = Reflect.get(object, property, object);
        // Bound to the real store: backends keep private fields that do not exist on the proxy.
        return typeof value === 'function' ? value.bind(object) : value;
      },
    });
  }

  async #track<E extends object, T>(list: Array<E & Interval>, extra: E, call: () => Promise<T>): Promise<T> {
    const entry = { ...extra, start: this.#tick(), end: null } as E & Interval;
    list.push(entry);
    try {
      return await call();
    } finally {
      entry.end = this.#tick();
    }
  }

  async #purge(kind: TokenKind, criteria: PurgeCriteria): Promise<number> {
    const start = this.#tick();
    const before = await scanKind(this.#target, kind);
    const deleted = await this.#target.purge(kind, criteria);
    const after = await scanKind(this.#target, kind);
    const end = this.#tick();
    const rekeyed = new Set(
      this.#rekeys.filter((rekey) => rekey.kind === kind && overlaps(rekey, start, end)).map((rekey) => rekey.oldKey),
    );
    let concurrentChangeAt: number | null = null;
    for (const change of this.#changes)
      if (overlaps(change, start, end)) concurrentChangeAt = Math.min(concurrentChangeAt ?? change.at, change.at);
    for (const [key, row] of before) {
      if (after.has(key) || rekeyed.has(key) || this.#abandoned.has(key)) continue;
      this.vanished.push({
        kind,
        criteria: { ...criteria },
        state: row.state,
        expiresAt: row.expiresAt,
        stateChangedAt: row.stateChangedAt,
        grant: this.#grantOf(row.grantId),
        concurrentChangeAt,
        start,
        end,
      });
    }
    this.#forget(start);
    return deleted;
  }

  /** Drops finished calls that ended before `sequence`: no later purge can overlap them. */
  #forget(sequence: number): void {
    for (const list of [this.#rekeys, this.#changes] as Interval[][]) {
      const kept = list.filter((entry) => entry.end === null || entry.end > sequence);
      list.length = 0;
      list.push(...kept);
    }
  }
}

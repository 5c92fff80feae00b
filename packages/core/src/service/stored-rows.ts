import { schemeOf } from '../protection/scheme-tag.js';
import type { StateChange } from '../store.js';
import type { StoredRowByKind, TokenKind } from '../types.js';
import type { ServiceContext } from './context.js';

/** How often a state change follows its row to a new lookup key (a rewrap moving it meanwhile). */
const REKEY_ATTEMPTS = 4;

/**
 * The row of a presented value, whichever lookup key it has now: under the protector's primary key,
 * under a fallback key while a migration is under way (then moved to the primary key when the
 * protector rehashes on read), or under a new key a rewrap gave it while a state change was in flight.
 */
export class StoredRows {
  readonly #context: ServiceContext;

  constructor(context: ServiceContext) {
    this.#context = context;
  }

  find<K extends TokenKind>(kind: K, value: string): Promise<StoredRowByKind[K] | null> {
    const keys = this.#context.protector.lookupKeys(value);
    // The hot path (no migration under way): one key, so hand back the store's own promise.
    if (keys.length === 1) return this.#context.store.get(kind, keys[0] as string);
    return this.#findWithFallback(kind, value, keys);
  }

  async #findWithFallback<K extends TokenKind>(kind: K, value: string, keys: string[]): Promise<StoredRowByKind[K] | null> {
    const { store, protector, events } = this.#context;
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      const row = await store.get(kind, key);
      if (row) {
        if (index === 0) return row;
        const moved = protector.rehashOnRead ? await this.#rehash(kind, row, value) : null;
        events.emit('protection:fallback', {
          kind,
          index,
          scheme: schemeOf(key),
          ...(protector.rehashOnRead ? { rehashed: moved !== null } : {}),
        });
        return moved ?? row;
      }
    }
    return null;
  }

  /**
   * `rehashOnRead`: moves a row found through a fallback key to the primary form while the plaintext
   * is in hand (the only way to move hash-only rows to a new pepper). Best effort: on failure the
   * read still succeeds through the old key, and the fallback event says `rehashed: false`.
   */
  async #rehash<K extends TokenKind>(kind: K, row: StoredRowByKind[K], value: string): Promise<StoredRowByKind[K] | null> {
    const { store, protector } = this.#context;
    const moved: StoredRowByKind[K] = { ...row, ...protector.protect(value) };
    try {
      if (await store.replaceKey(kind, row.key, moved)) return moved;
      // Another reader moved it first (or it was purged): use the row under its primary key, if any.
      return await store.get(kind, moved.key);
    } catch {
      return null;
    }
  }

  /**
   * Compare-and-set of the state of the row of `value`, read as `row`. If the row moved to another
   * lookup key meanwhile (the rewrap job re-keys rows while the service runs), the change follows it:
   * a failed change means another caller changed the state, never that the key changed.
   */
  async changeState<K extends TokenKind>(kind: K, value: string, row: StoredRowByKind[K], change: StateChange): Promise<boolean> {
    let key = row.key;
    for (let attempt = 0; attempt < REKEY_ATTEMPTS; attempt++) {
      if (await this.#context.store.compareAndSetState(kind, key, change)) return true;
      const again = await this.find(kind, value);
      if (!again || again.key === key || again.state !== change.from) return false;
      key = again.key;
    }
    return false;
  }
}

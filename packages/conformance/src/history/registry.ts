import type { GrantInfo, HandleInfo } from './log.js';

/**
 * The values a history handed out, under short handles (`a12`, `r3`, `c7`, `s2`), and its grants under
 * short ids (`g5`). The log and every printed line use only these; the plaintexts stay here.
 */
export class Registry {
  readonly handles = new Map<string, HandleInfo>();
  readonly grants = new Map<string, GrantInfo>();
  readonly #values = new Map<string, string>();
  readonly #handleOfValue = new Map<string, string>();
  readonly #shortOfGrant = new Map<string, string>();
  readonly #grantOfShort = new Map<string, string>();
  readonly #counters = new Map<string, number>();

  /** The short id of a grant, made on first sight; `info` (its owner) is kept the first time it is given. */
  grant(grantId: string, info?: Omit<GrantInfo, 'id'>): string {
    let id = this.#shortOfGrant.get(grantId);
    if (id === undefined) {
      id = `g${this.#shortOfGrant.size + 1}`;
      this.#shortOfGrant.set(grantId, id);
      this.#grantOfShort.set(id, grantId);
    }
    if (info && !this.grants.has(id)) this.grants.set(id, { id, ...info });
    return id;
  }

  /** The real grant id behind a short one, to call the service with. */
  grantId(short: string): string {
    return this.#grantOfShort.get(short)!;
  }

  /** The handle of a value, made on first sight (a reused token keeps the handle it got when first issued). */
  handle(value: string, info: Omit<HandleInfo, 'id'>): string {
    const existing = this.#handleOfValue.get(value);
    if (existing !== undefined) return existing;
    const prefix = { access: 'a', refresh: 'r', code: 'c', secret: 's' }[info.kind];
    const n = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, n);
    const id = `${prefix}${n}`;
    this.#handleOfValue.set(value, id);
    this.#values.set(id, value);
    this.handles.set(id, { id, ...info });
    return id;
  }

  plaintextOf(handle: string): string {
    return this.#values.get(handle)!;
  }
}

/**
 * A secondary index: attribute value → set of row keys. Empty sets are dropped, so the index never
 * holds more entries than there are rows.
 */
export class KeySetIndex {
  readonly #sets = new Map<string, Set<string>>();

  add(value: string, key: string): void {
    const set = this.#sets.get(value);
    if (set) set.add(key);
    else this.#sets.set(value, new Set([key]));
  }

  remove(value: string, key: string): void {
    const set = this.#sets.get(value);
    if (!set) return;
    set.delete(key);
    if (set.size === 0) this.#sets.delete(value);
  }

  /** A snapshot of the keys under `value` (safe to iterate while rows are removed). */
  keys(value: string): string[] {
    const set = this.#sets.get(value);
    return set ? [...set] : [];
  }

  /** Distinct attribute values indexed. */
  get size(): number {
    return this.#sets.size;
  }

  /** Row keys indexed, over all values. */
  get entries(): number {
    let total = 0;
    for (const set of this.#sets.values()) total += set.size;
    return total;
  }

  clear(): void {
    this.#sets.clear();
  }
}

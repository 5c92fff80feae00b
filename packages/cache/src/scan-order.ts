import { InvalidInputError } from '@tokenstore/core';

interface LogEntry {
  seq: number;
  key: string;
}

/**
 * A stable order over row keys for paged scans: every key gets an increasing sequence number when it
 * is first stored, and a cursor is the last sequence number returned. A re-keyed row (replaceKey)
 * keeps its number, so a scan running beside a rewrap does not see it again.
 *
 * The log is append-only with lazy removal; it is compacted when dead entries outnumber live ones,
 * so it never holds more than about twice the live keys.
 */
export class ScanOrder {
  readonly #seqOf = new Map<string, number>();
  #log: LogEntry[] = [];
  #nextSeq = 1;

  /** Registers a new key at the end of the order. */
  append(key: string): void {
    this.#compactIfSparse();
    const seq = this.#nextSeq++;
    this.#seqOf.set(key, seq);
    this.#log.push({ seq, key });
  }

  /** The sequence number of a key, to hand to {@link adopt} when the key is replaced. */
  seqOf(key: string): number | undefined {
    return this.#seqOf.get(key);
  }

  /** Gives `key` the position `seq` held (a re-keyed row keeps its place); appends if that position is gone. */
  adopt(key: string, seq: number | undefined): void {
    const index = seq === undefined ? -1 : this.#indexOf(seq);
    const entry = index < 0 ? undefined : this.#log[index];
    if (!entry || seq === undefined) {
      this.append(key);
      return;
    }
    entry.key = key;
    this.#seqOf.set(key, seq);
  }

  remove(key: string): void {
    this.#seqOf.delete(key);
  }

  /**
   * Up to `limit` live keys after `cursor` in order, with the cursor of the next page (`null` when
   * the end was reached). `accept` filters keys whose rows are no longer visible.
   */
  page(cursor: string | null, limit: number, accept: (key: string) => boolean): { keys: string[]; cursor: string | null } {
    const after = parseCursor(cursor);
    const keys: string[] = [];
    let last = after;
    for (let i = this.#firstIndexAfter(after); i < this.#log.length; i++) {
      const entry = this.#log[i]!;
      if (this.#seqOf.get(entry.key) !== entry.seq || !accept(entry.key)) continue;
      keys.push(entry.key);
      last = entry.seq;
      if (keys.length >= limit) return { keys, cursor: String(last) };
    }
    return { keys, cursor: null };
  }

  /** Live keys registered. */
  get size(): number {
    return this.#seqOf.size;
  }

  /** Log entries held, live and dead (bounded by about twice {@link size}). */
  get logLength(): number {
    return this.#log.length;
  }

  clear(): void {
    this.#seqOf.clear();
    this.#log = [];
  }

  #compactIfSparse(): void {
    if (this.#log.length < 1024 || this.#log.length <= 2 * this.#seqOf.size) return;
    this.#log = this.#log.filter((entry) => this.#seqOf.get(entry.key) === entry.seq);
  }

  #indexOf(seq: number): number {
    const index = this.#firstIndexAfter(seq - 1);
    return this.#log[index]?.seq === seq ? index : -1;
  }

  /** Binary search: index of the first entry with a sequence number greater than `seq`. */
  #firstIndexAfter(seq: number): number {
    let low = 0;
    let high = this.#log.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#log[mid]!.seq <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function parseCursor(cursor: string | null): number {
  if (cursor === null) return 0;
  if (typeof cursor !== 'string' || !/^\d{1,15}$/.test(cursor))
    throw new InvalidInputError('cursor', 'is not a cursor this store returned');
  return Number(cursor);
}

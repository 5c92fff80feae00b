interface QueueEntry {
  at: number;
  key: string;
}

/**
 * A min-heap of (time, row key) that purge pops in time order, so a purge batch touches only rows
 * that are due instead of walking the cache. Entries are removed lazily: the owner tells whether an
 * entry still describes its row (`isCurrent`) when it is popped. The heap is rebuilt from its current
 * entries whenever it grows past twice the number of rows, so it stays bounded whatever the churn.
 */
export class PurgeQueue {
  #heap: QueueEntry[] = [];
  readonly #isCurrent: (entry: QueueEntry) => boolean;

  constructor(isCurrent: (entry: QueueEntry) => boolean) {
    this.#isCurrent = isCurrent;
  }

  push(at: number, key: string, liveRows: number): void {
    if (this.#heap.length >= 1024 && this.#heap.length > 2 * liveRows) this.#compact();
    this.#heap.push({ at, key });
    this.#siftUp(this.#heap.length - 1);
  }

  /**
   * Pops the earliest entry due at or before `dueBy` that still describes its row, discarding stale
   * entries on the way; `undefined` when nothing is due.
   */
  popDue(dueBy: number): QueueEntry | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (!top || top.at > dueBy) return undefined;
      this.#pop();
      if (this.#isCurrent(top)) return top;
    }
  }

  get size(): number {
    return this.#heap.length;
  }

  clear(): void {
    this.#heap = [];
  }

  #compact(): void {
    this.#heap = this.#heap.filter((entry) => this.#isCurrent(entry));
    for (let i = (this.#heap.length >>> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  #pop(): void {
    const last = this.#heap.pop()!;
    if (this.#heap.length === 0) return;
    this.#heap[0] = last;
    this.#siftDown(0);
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
      if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
      if (smallest === i) return;
      [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
      i = smallest;
    }
  }
}

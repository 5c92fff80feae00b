/** Source of time, injectable so expiry is tested without sleeping. Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. For tests. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = Date.UTC(2030, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance() takes a finite, non-negative number of milliseconds');
    this.#now += ms;
  }
  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
  set(ms: number): void {
    this.#now = ms;
  }
}

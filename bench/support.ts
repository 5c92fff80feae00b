/** Shared helpers for benchmarks: closed-loop throughput and latency percentiles. */

export interface Throughput {
  ops: number;
  seconds: number;
  opsPerSecond: number;
}

/**
 * Runs `op` with `concurrency` workers for about `durationMs` after a warm-up, and returns throughput.
 * Closed loop: each worker awaits its operation before starting the next.
 */
export async function measureThroughput(
  op: (i: number) => Promise<unknown> | unknown,
  options: { durationMs?: number; warmupMs?: number; concurrency?: number } = {},
): Promise<Throughput> {
  const { durationMs = 2000, warmupMs = 300, concurrency = 1 } = options;
  let counter = 0;
  const runFor = async (ms: number) => {
    const end = performance.now() + ms;
    let ops = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          // Batches of 64 between clock reads keep the timer off the hot path for sync-ish operations.
          for (let k = 0; k < 64; k++) await op(counter++);
          ops += 64;
        }
      }),
    );
    return ops;
  };
  await runFor(warmupMs);
  const started = performance.now();
  const ops = await runFor(durationMs);
  const seconds = (performance.now() - started) / 1000;
  return { ops, seconds, opsPerSecond: ops / seconds };
}

/** Median of a list of numbers (mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Percentile (0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function printTable(title: string, rows: Array<Record<string, string | number>>): void {
  console.log(`\n${title}`);
  console.table(rows);
}

/** Rounds of A then B (order swapped each round); medians of each side and of the per-round ratio A/B. */
export async function interleaved(rounds: number, durationMs: number, concurrency: number, a: () => unknown, b: () => unknown) {
  await closedLoop(Math.min(1000, durationMs), concurrency, a);
  await closedLoop(Math.min(1000, durationMs), concurrency, b);
  const as: number[] = [];
  const bs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      as.push(await closedLoop(durationMs, concurrency, a));
      bs.push(await closedLoop(durationMs, concurrency, b));
    } else {
      bs.push(await closedLoop(durationMs, concurrency, b));
      as.push(await closedLoop(durationMs, concurrency, a));
    }
  }
  return { a: median(as), b: median(bs), ratio: median(as.map((value, round) => value / bs[round]!)) };
}

/** `concurrency` closed loops for `durationMs`; returns operations per second. The clock is read every 16 operations. */
export async function closedLoop(durationMs: number, concurrency: number, operation: () => unknown): Promise<number> {
  const started = performance.now();
  const deadline = started + durationMs;
  let ops = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        for (let k = 0; k < 16; k++) await operation();
        ops += 16;
      }
    }),
  );
  return ops / ((performance.now() - started) / 1000);
}

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

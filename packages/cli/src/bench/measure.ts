/** One closed-loop measurement. */
export interface Measurement {
  operations: number;
  seconds: number;
  opsPerSecond: number;
  /** Mean time one operation took, in milliseconds (concurrency / throughput). */
  meanLatencyMs: number;
}

/**
 * `concurrency` closed loops calling `operation` for `durationMs` (after a short warm-up), as the
 * repository's bench/ scripts measure: each worker awaits its operation before starting the next.
 * Stops early when `signal` aborts.
 */
export async function measureThroughput(
  operation: (index: number) => Promise<unknown>,
  options: { durationMs: number; concurrency: number; warmupMs?: number; signal?: AbortSignal },
): Promise<Measurement> {
  let counter = 0;
  const runFor = async (ms: number) => {
    const deadline = performance.now() + ms;
    let operations = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < deadline && !options.signal?.aborted) {
          await operation(counter++);
          operations++;
        }
      }),
    );
    return operations;
  };
  await runFor(options.warmupMs ?? Math.min(500, options.durationMs / 5));
  const started = performance.now();
  const operations = await runFor(options.durationMs);
  const seconds = (performance.now() - started) / 1000;
  const opsPerSecond = seconds > 0 ? operations / seconds : 0;
  return { operations, seconds, opsPerSecond, meanLatencyMs: opsPerSecond > 0 ? (options.concurrency / opsPerSecond) * 1000 : Number.NaN };
}

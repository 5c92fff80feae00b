/**
 * What the SQL benchmarks share (bench/rdbms.ts, bench/purge.ts): closed-loop measurement with
 * latencies and client CPU, percentiles, and a migrations folder cut at a schema version.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMigrationsDirectory } from '../packages/rdbms/src/migrations/migration-files.js';
import type { TestBackend } from '../packages/rdbms/test/support/environment.js';

export interface Latency {
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

/** A folder holding the shipped schema files of `backend` up to version `last` (the caller removes it). */
export function schemaUpTo(backend: TestBackend, last: number): string {
  const folder = mkdtempSync(join(tmpdir(), 'tokenstore-bench-schema-'));
  const source = join(defaultMigrationsDirectory(), backend);
  mkdirSync(join(folder, backend));
  for (const name of readdirSync(source).filter((file) => /^\d{3}_/.test(file) && Number(file.slice(0, 3)) <= last))
    cpSync(join(source, name), join(folder, backend, name));
  return folder;
}

export interface Measurement {
  ops: number;
  opsPerSec: number;
  /** Node.js CPU (user + system) per operation, in microseconds. */
  cpuMicrosPerOp: number;
  latencies: number[];
}

/** `concurrency` closed loops calling `operation` for `durationMs`. */
export function measure(durationMs: number, concurrency: number, operation: () => Promise<unknown>): Promise<Measurement> {
  const deadline = performance.now() + durationMs;
  return measureWhile(() => performance.now() < deadline, concurrency, operation);
}

export async function measureWhile(running: () => boolean, concurrency: number, operation: () => Promise<unknown>): Promise<Measurement> {
  const latencies: number[] = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (running()) {
        const t = performance.now();
        await operation();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    ops: latencies.length,
    opsPerSec: latencies.length / elapsed,
    cpuMicrosPerOp: (used.user + used.system) / Math.max(1, latencies.length),
    latencies,
  };
}

export function percentiles(latencies: number[]): Latency {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99), samples: sorted.length };
}

/** `process.env[name]` as a whole number ≥ 0, or `fallback` when unset or empty; anything else throws. */
export function envWholeNumber(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`${name} must be a whole number`);
  return parsed;
}

const URL_VARIABLES: Record<TestBackend, string> = { postgres: 'TOKENSTORE_TEST_POSTGRES_URL', mysql: 'TOKENSTORE_TEST_MYSQL_URL' };

/** The backends whose URL is set, with it; one line under `label` for each one skipped. */
export function backendsWithUrl(backends: readonly TestBackend[], label: string): Array<{ backend: TestBackend; url: string }> {
  return backends.flatMap((backend) => {
    const url = process.env[URL_VARIABLES[backend]];
    if (url) return [{ backend, url }];
    console.log(`[bench:${label}] ${backend}: skipped — ${URL_VARIABLES[backend]} is not set`);
    return [];
  });
}

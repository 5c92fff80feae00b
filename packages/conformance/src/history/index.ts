import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { selectModes } from '../modes.js';
import type { Violation } from './checker.js';
import { formatOp } from './log.js';
import { historySeed } from './prng.js';
import { runHistory } from './runner.js';

export { checkHistory, purgeableByDesign, type Violation } from './checker.js';

const WORKERS = 6;
/**
 * Bounds the run on fast (in-memory) backends: 400 operations per worker advance the ManualClock by
 * some 8 minutes; the bound grows with the duration asked for (one operation per 2 ms and worker: some 2.5 hours of clock for 15 s),
 * which keeps the clock well inside the suite's one-day inactive retention.
 */
const MIN_OPS_PER_WORKER = 400;
const opsPerWorker = (durationMs: number) => Math.max(MIN_OPS_PER_WORKER, Math.ceil(durationMs / 2));
/** Violations printed (with their operations) per invariant when the test fails. */
const PRINTED_PER_INVARIANT = 3;

/** The first few violations of each invariant, in invariant order: one kind of failure must not hide the others. */
function firstPerInvariant(violations: readonly Violation[]): Violation[] {
  const shown: Violation[] = [];
  for (const invariant of [1, 2, 3, 4, 5, 6])
    shown.push(...violations.filter((violation) => violation.invariant === invariant).slice(0, PRINTED_PER_INVARIANT));
  return shown;
}

/**
 * The randomized history: one test, only in the first protection mode a backend runs (it is expensive;
 * the deterministic topics cover every mode). See `runner.ts` for the workload and `checker.ts` for the
 * guarantees it checks.
 */
export function historyTests(ctx: ConformanceContext): void {
  if (selectModes(ctx.options.modes)[0]?.name !== ctx.mode.name) return;
  const durationMs = ctx.capabilities.historyMs;
  describe('history', () => {
    it(
      'keeps every guarantee under a random mix of concurrent operations (revocation complete, one reuse token, one code use, current secret, purge within retention)',
      async () => {
        const seed = historySeed(process.env.TOKENSTORE_CONFORMANCE_SEED);
        const origin = ctx.clock.now();
        const began = performance.now();
        const outcome = await runHistory(ctx, { seed, durationMs, workers: WORKERS, maxOpsPerWorker: opsPerWorker(durationMs) });
        const { violations, record } = outcome;
        const counts = Object.entries(outcome.counts)
          .map(([kind, n]) => `${kind}=${n}`)
          .join(' ');
        const errors = Object.entries(outcome.errors)
          .map(([code, n]) => `${code}=${n}`)
          .join(' ');
        const total = Object.values(outcome.counts).reduce((sum, n) => sum + n, 0);
        const seconds = ((performance.now() - began) / 1000).toFixed(1);
        console.log(
          `[history] ${ctx.options.name} [${ctx.mode.name}] seed=${seed} ops=${total} in ${seconds} s (${counts}; errors ${errors || 'none'}; active at end ${record.final.activeRows.length}; rewrap ${outcome.rewrap}) violations=${violations.length}`,
        );
        const shown = firstPerInvariant(violations);
        if (violations.length > 0) {
          const lines: string[] = [];
          for (const violation of shown) {
            lines.push(`  invariant ${violation.invariant}: ${violation.message}`);
            for (const id of violation.ops) lines.push(`    ${formatOp(record.ops[id]!, origin)}`);
          }
          const byInvariant = new Map<number, number>();
          for (const violation of violations) byInvariant.set(violation.invariant, (byInvariant.get(violation.invariant) ?? 0) + 1);
          lines.push(
            `  per invariant: ${[...byInvariant].map(([invariant, n]) => `${invariant}: ${n}`).join(', ')}; reproduce with TOKENSTORE_CONFORMANCE_SEED=${seed}`,
          );
          console.log(`[history] first violations of seed=${seed}:\n${lines.join('\n')}`);
        }
        const logFile = process.env.TOKENSTORE_CONFORMANCE_HISTORY_LOG;
        // The whole log, to dig into a failure: handles and short ids only, never a value.
        if (logFile)
          writeFileSync(
            logFile,
            [...record.ops.map((op) => formatOp(op, origin)), ...violations.map((v) => `invariant ${v.invariant}: ${v.message}`), ''].join(
              '\n',
            ),
          );
        expect(
          shown.map((violation) => `invariant ${violation.invariant}: ${violation.message}`),
          `history seed=${seed}: ${violations.length} violations (TOKENSTORE_CONFORMANCE_SEED=${seed} replays the same operations)`,
        ).toEqual([]);
      },
      durationMs + 120_000,
    );
  });
}

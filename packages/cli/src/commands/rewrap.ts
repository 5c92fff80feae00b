import {
  fileCheckpoint,
  memoryCheckpoint,
  REWRAP_KINDS,
  type RewrapCheckpoint,
  RewrapJob,
  type RewrapKind,
  type RewrapSummary,
} from '@tokenstore/core';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatNumber, KIND_LABELS, writeJson, writeTable } from '../output.js';
import { createProgressBar } from '../progress.js';
import { forEachArtifact, forEachRow } from '../scan-rows.js';

export interface RewrapCommandOptions {
  json?: boolean;
  checkpoint?: string;
  batchSize?: number;
  /** Default: every kind the store holds (provider artifacts only when it keeps them). */
  kinds?: RewrapKind[];
  pause?: number;
  maxBatches?: number;
  /** `--no-count`: skip the counting scan that gives the progress bar its total. */
  count?: boolean;
  keepCheckpoint?: boolean;
}

/** What `tokenstore rewrap --json` prints: the job's summary plus where it stands. */
export interface RewrapReport extends RewrapSummary {
  backend: string;
  protection: string;
  /** Path of the checkpoint file, when one was used. */
  checkpoint: string | null;
  /** Whether the checkpoint file was removed (the pass completed). */
  checkpointCleared: boolean;
}

/**
 * `tokenstore rewrap`: converts stored rows from the older protection modes and keys (the fallback
 * chain: TOKENSTORE_PROTECTION_FALLBACK, old peppers and keys after the active ones) to the configured
 * one with core's RewrapJob: bounded batches, a checkpoint after each, resumable after a crash or
 * Ctrl+C. A completed pass removes its checkpoint file (it may hold a lookup key).
 */
export async function rewrapCommand(context: CommandContext, options: RewrapCommandOptions): Promise<number> {
  const config = context.config();
  const store = await context.openStore({ ...config, readCache: undefined });
  const kinds = options.kinds ?? REWRAP_KINDS.filter((kind) => kind !== 'artifact' || store.artifacts !== undefined);
  const service = context.createService(config, store);
  const stop = context.stopRequested();
  const file = options.checkpoint === undefined ? undefined : fileCheckpoint(options.checkpoint);
  const checkpoint: RewrapCheckpoint = file ?? memoryCheckpoint();
  try {
    const saved = await checkpoint.load();
    if (saved && !saved.finished)
      context.info(`tokenstore: resuming the rewrap from ${options.checkpoint} (${saved.batches} batches done)`);
    let total: number | null = null;
    if (options.count !== false) {
      total = 0;
      const now = context.clock.now();
      for (const kind of kinds) {
        // Token tables through the store's count (no scan; an estimate on Cassandra is fine for a progress bar).
        if (kind === 'artifact') await forEachArtifact(store, () => total!++, stop.signal);
        else if (kind !== 'client' && store.count !== undefined) total += (await store.count(kind, now)).total;
        else await forEachRow(store, kind, () => total!++, stop.signal);
      }
      // Interrupted while counting: the job below sees the same signal and stops before its first batch.
    }
    const bar = createProgressBar(context.stderr, 'rewrap {bar} {value}/{total} rows | {kind} | converted {converted} | {rate} rows/s');
    const done = Object.fromEntries(
      kinds.map((kind) => [kind, saved && !saved.finished ? (saved.counts[kind]?.scanned ?? 0) : 0]),
    ) as Record<RewrapKind, number>;
    const converted = Object.fromEntries(
      kinds.map((kind) => [kind, saved && !saved.finished ? (saved.counts[kind]?.converted ?? 0) : 0]),
    ) as Record<RewrapKind, number>;
    const sumOf = (counts: Record<RewrapKind, number>) => kinds.reduce((acc, kind) => acc + (counts[kind] ?? 0), 0);
    bar.start(Math.max(total ?? 0, 1), { kind: KIND_LABELS[kinds[0]!], converted: sumOf(converted), rate: 0 });
    bar.update(sumOf(done));
    const onProgress = (event: { kind: RewrapKind; done: number; converted: number; ratePerSecond: number }) => {
      done[event.kind] = event.done;
      converted[event.kind] = event.converted;
      const value = sumOf(done);
      if (total !== null && value > total) bar.setTotal(value);
      bar.update(value, { kind: KIND_LABELS[event.kind], converted: sumOf(converted), rate: Math.round(event.ratePerSecond) });
    };
    service.events.on('rewrap:progress', onProgress);
    let summary: RewrapSummary;
    try {
      summary = await new RewrapJob(service, {
        kinds,
        checkpoint,
        signal: stop.signal,
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.pause === undefined ? {} : { pauseBetweenBatchesMs: options.pause }),
        ...(options.maxBatches === undefined ? {} : { abortAfterBatches: options.maxBatches }),
      }).run();
    } finally {
      service.events.off('rewrap:progress', onProgress);
      bar.stop();
    }
    let checkpointCleared = false;
    if (summary.completed && file && !options.keepCheckpoint) {
      await file.clear();
      checkpointCleared = true;
    }
    const report: RewrapReport = {
      ...summary,
      backend: store.backend,
      protection: config.protection.summary,
      checkpoint: options.checkpoint ?? null,
      checkpointCleared,
    };
    if (options.json) writeJson(context.stdout, report);
    else printSummary(context, report, kinds);
    if (!summary.completed) return ExitCode.Incomplete;
    return summary.totals.failed > 0 ? ExitCode.Failure : ExitCode.Ok;
  } finally {
    stop.dispose();
    await service.close();
  }
}

function printSummary(context: CommandContext, report: RewrapReport, kinds: RewrapKind[]): void {
  const columns = ['scanned', 'converted', 'current', 'unconvertible', 'failed', 'skipped'] as const;
  writeTable(
    context.stdout,
    ['kind', ...columns],
    [
      ...kinds.map((kind) => [KIND_LABELS[kind], ...columns.map((column) => report.counts[kind][column])]),
      ['total', ...columns.map((column) => report.totals[column])],
    ],
  );
  const state = report.completed
    ? 'completed'
    : `stopped (${report.stoppedBy === 'signal' ? 'interrupted' : '--max-batches reached'}); run the same command again to resume${report.checkpoint ? '' : ' (without --checkpoint it starts over)'}`;
  context.stdout.write(
    `\nrewrap to ${report.protection}: ${state}${report.resumed ? ', resumed from the checkpoint' : ''}; ${formatNumber(report.batches)} batch(es), ${formatNumber(Math.round(report.durationMs))} ms\n`,
  );
  if (report.totals.failed > 0)
    context.stdout.write('some sealed values did not open (tampered, or written under a key no longer configured): see "failed"\n');
  if (report.completed && report.totals.converted === 0 && report.totals.unconvertible === 0 && report.totals.failed === 0)
    context.stdout.write('nothing left to convert: the fallback (TOKENSTORE_PROTECTION_FALLBACK, old peppers/keys) can be removed\n');
}

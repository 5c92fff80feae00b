import { isPurgeable, type KindCounts, TOKEN_KINDS, type TokenService } from '@tokenstore/core';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatNumber, KIND_LABELS, writeJson, writeTable } from '../output.js';
import { createProgressBar } from '../progress.js';
import { forEachRow } from '../scan-rows.js';

export interface PurgeCommandOptions {
  json?: boolean;
  batchSize?: number;
  timeBudget?: number;
  maxRuns?: number;
  /** `--no-count`: skip the counting scan that gives the progress bar its total. */
  count?: boolean;
}

/** What `tokenstore purge --json` prints. */
export interface PurgeReport {
  backend: string;
  removed: KindCounts;
  total: number;
  /** Purge runs made (each bounded by the time budget). */
  runs: number;
  batches: number;
  durationMs: number;
  /** True when `--max-runs` stopped it with purgeable rows left. */
  backlog: boolean;
  /**
   * Before the first run: with the store's count primitive, the rows that may be purgeable (retired
   * or past expiry: an upper bound); without it, the purgeable rows by a scan. `null` with `--no-count`.
   */
  counted: number | null;
}

/**
 * `tokenstore purge`: deletes expired rows and revoked/inactive rows once both retention windows have passed, with
 * the service's Purger (bounded batches, a time budget per run, the lease on shared stores), run after
 * run until nothing purgeable is left.
 */
export async function purgeCommand(context: CommandContext, options: PurgeCommandOptions): Promise<number> {
  const config = context.config();
  const purge = {
    ...config.service.purge,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.timeBudget === undefined ? {} : { timeBudgetMs: options.timeBudget }),
  };
  const store = await context.openStore({ ...config, readCache: undefined });
  const service = context.createService({ ...config, service: { ...config.service, purge } }, store);
  try {
    const counted = options.count === false ? null : await countPurgeable(service);
    const bar = createProgressBar(
      context.stderr,
      'purge {bar} {value}/{total} rows | access {accessToken} | refresh {refreshToken} | codes {authorizationCode} | run {runs}',
    );
    const removed: KindCounts = { accessToken: 0, refreshToken: 0, authorizationCode: 0 };
    let runs = 0;
    let batches = 0;
    let backlog = true;
    const started = performance.now();
    bar.start(Math.max(counted ?? 0, 1), { ...removed, runs });
    try {
      while (backlog && (options.maxRuns === undefined || runs < options.maxRuns)) {
        const run = await service.purgeExpired();
        runs++;
        if (run.skipped === 'lease-held') {
          context.info('tokenstore: another node holds the purge lease; nothing purged (try again later)');
          return ExitCode.Failure;
        }
        if (run.error) {
          context.info(`tokenstore: purge run ${runs} failed: ${run.error.code} ${run.error.message}`);
          return ExitCode.Failure;
        }
        for (const kind of TOKEN_KINDS) removed[kind] += run.removed[kind];
        batches += run.batches;
        backlog = run.backlog;
        const total = sum(removed);
        if (counted !== null && total > counted) bar.setTotal(total);
        bar.update(total, { ...removed, runs });
      }
    } finally {
      bar.stop();
    }
    const report: PurgeReport = {
      backend: store.backend,
      removed,
      total: sum(removed),
      runs,
      batches,
      durationMs: Math.round(performance.now() - started),
      backlog,
      counted,
    };
    if (options.json) writeJson(context.stdout, report);
    else {
      writeTable(
        context.stdout,
        ['kind', 'removed'],
        [...TOKEN_KINDS.map((kind) => [KIND_LABELS[kind], removed[kind]]), ['total', report.total]],
      );
      context.stdout.write(
        `\n${formatNumber(report.total)} rows removed in ${runs} run(s), ${batches} batch(es), ${formatNumber(report.durationMs)} ms${backlog ? ' — stopped by --max-runs, rows are left' : ''}\n`,
      );
    }
    return ExitCode.Ok;
  } finally {
    await service.close();
  }
}

/**
 * The progress bar's total. With the store's `count` primitive (no scan): the retired rows and the
 * ACTIVE rows past expiry — an upper bound of what purge deletes, since rows still inside their
 * retention window are included. Without one: exactly the purgeable rows, by a scan and core's one
 * definition of purgeable.
 */
async function countPurgeable(service: TokenService): Promise<number> {
  const now = service.clock.now();
  const store = service.store;
  if (store.count !== undefined) {
    let bound = 0;
    for (const kind of TOKEN_KINDS) {
      const counted = await store.count(kind, now);
      const { byState, activeExpired } = counted;
      bound += byState === null || activeExpired === null ? counted.total : counted.total - byState.ACTIVE + activeExpired;
    }
    return bound;
  }
  const criteria = {
    now,
    expiredBefore: now - service.options.retention.expiredSeconds * 1000,
    inactiveBefore: now - service.options.retention.inactiveSeconds * 1000,
    limit: Number.MAX_SAFE_INTEGER,
  };
  let count = 0;
  for (const kind of TOKEN_KINDS)
    await forEachRow(service.store, kind, (row) => {
      if (isPurgeable(row, criteria)) count++;
    });
  return count;
}

function sum(counts: KindCounts): number {
  return counts.accessToken + counts.refreshToken + counts.authorizationCode;
}

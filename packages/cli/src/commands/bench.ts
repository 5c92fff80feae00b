import { randomBytes } from 'node:crypto';
import type { TokenService } from '@tokenstore/core';
import { measureThroughput } from '../bench/measure.js';
import { type RawLookup, rawLookupFor } from '../bench/raw-lookup.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatNumber, writeJson, writeTable } from '../output.js';

export interface BenchCommandOptions {
  json?: boolean;
  /** Seconds per measured operation. */
  duration: number;
  concurrency: number;
  /** Tokens validated at random (issued first). */
  tokens: number;
  /** `--no-raw`: skip the raw-driver comparison. */
  raw?: boolean;
}

/** One measured operation. */
export interface BenchResult {
  operation: 'issue' | 'validate';
  opsPerSecond: number;
  meanLatencyMs: number;
  operations: number;
  /** The same query with the bare driver (validate on PostgreSQL and MySQL/MariaDB). */
  raw: { opsPerSecond: number; meanLatencyMs: number; description: string } | null;
  /** opsPerSecond / raw.opsPerSecond. */
  ratio: number | null;
}

/** What `tokenstore bench --json` prints. */
export interface BenchReport {
  backend: string;
  protection: string;
  durationSeconds: number;
  concurrency: number;
  tokens: number;
  results: BenchResult[];
}

/**
 * `tokenstore bench`: issue and validate throughput of the configured backend through the
 * TokenService (with the configured protection and read cache), and for validation on PostgreSQL and
 * MySQL/MariaDB the very same SQL sent with the bare driver. It writes: tokens are issued to a
 * temporary client `tokenstore-bench-<random>`, which is deleted (its tokens revoked) at the end;
 * purge removes them later. Do not point it at a production database at peak time.
 */
export async function benchCommand(context: CommandContext, options: BenchCommandOptions): Promise<number> {
  const config = context.config();
  const store = await context.openStore(config);
  const service = context.createService(config, store);
  const stop = context.stopRequested();
  const consumerKey = `tokenstore-bench-${randomBytes(4).toString('hex')}`;
  let raw: RawLookup | undefined;
  try {
    await service.registerClient({ consumerKey, grantTypes: ['client_credentials', 'password'], name: 'tokenstore bench' });
    raw = options.raw === false ? undefined : await rawLookupFor(store, config.backend.kind === 'sql' ? config.backend.url : undefined);
    const durationMs = options.duration * 1000;
    const measureOptions = { durationMs, concurrency: options.concurrency, signal: stop.signal };
    // The most recent `tokens` issued, not the first: a bounded store (the memory store's maxEntries)
    // evicts the oldest rows when issuing outruns it, and a validation must find what it looks up.
    const issued: string[] = [];
    let issuedCount = 0;
    const issue = async (index: number) => {
      const result = await service.issueAccessToken({ consumerKey, userId: `bench-user-${index % 1000}`, scopes: 'bench' });
      issued[issuedCount++ % options.tokens] = result.accessToken;
    };
    context.info(`tokenstore bench: ${config.backend.label}, ${options.concurrency} in flight, ${options.duration} s per operation`);
    const issueRun = await measureThroughput(issue, measureOptions);
    for (let index = issued.length; issued.length < options.tokens && !stop.signal.aborted; index++) await issue(index);
    const pick = () => issued[Math.floor(Math.random() * issued.length)]!;
    const validate = async () => {
      if ((await service.validateAccessToken(pick())) === null) throw new Error('a token issued by this benchmark did not validate');
    };
    const validateRun = await measureThroughput(validate, measureOptions);
    let rawRun: Awaited<ReturnType<typeof measureThroughput>> | undefined;
    if (raw) {
      const lookup = raw.lookup;
      const keys = issued.map((value) => service.protector.lookupKeys(value)[0]!);
      rawRun = await measureThroughput(() => lookup(keys[Math.floor(Math.random() * keys.length)]!), measureOptions);
    }
    if (stop.signal.aborted) {
      context.info('tokenstore bench: interrupted');
      return ExitCode.Failure;
    }
    const report: BenchReport = {
      backend: store.backend,
      protection: config.protection.summary,
      durationSeconds: options.duration,
      concurrency: options.concurrency,
      tokens: issued.length,
      results: [
        { operation: 'issue', ...pickRun(issueRun), raw: null, ratio: null },
        {
          operation: 'validate',
          ...pickRun(validateRun),
          raw:
            rawRun && raw ? { opsPerSecond: rawRun.opsPerSecond, meanLatencyMs: rawRun.meanLatencyMs, description: raw.description } : null,
          ratio: rawRun ? validateRun.opsPerSecond / rawRun.opsPerSecond : null,
        },
      ],
    };
    if (options.json) writeJson(context.stdout, report);
    else printReport(context, report);
    return ExitCode.Ok;
  } finally {
    stop.dispose();
    await raw?.close().catch(() => undefined);
    await cleanUp(service, consumerKey);
  }
}

function pickRun(run: { opsPerSecond: number; meanLatencyMs: number; operations: number }) {
  return { opsPerSecond: run.opsPerSecond, meanLatencyMs: run.meanLatencyMs, operations: run.operations };
}

async function cleanUp(service: TokenService, consumerKey: string): Promise<void> {
  try {
    await service.deleteClient(consumerKey, { revokeTokens: true });
  } finally {
    await service.close();
  }
}

function printReport(context: CommandContext, report: BenchReport): void {
  context.stdout.write(
    `${report.backend} — protection ${report.protection}, ${report.concurrency} in flight, ${report.durationSeconds} s each\n\n`,
  );
  writeTable(
    context.stdout,
    ['operation', 'ops/s', 'mean ms', 'raw driver ops/s', 'store / raw'],
    report.results.map((result) => [
      result.operation,
      Math.round(result.opsPerSecond),
      result.meanLatencyMs.toFixed(2),
      result.raw ? Math.round(result.raw.opsPerSecond) : '—',
      result.ratio === null ? '—' : `${(result.ratio * 100).toFixed(1)}%`,
    ]),
  );
  const rawLine = report.results.find((result) => result.raw)?.raw?.description;
  context.stdout.write(`\n${rawLine ? `raw: ${rawLine}; ` : ''}${formatNumber(report.tokens)} tokens validated at random\n`);
}

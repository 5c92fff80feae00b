import { type Clock, effectiveState, TOKEN_KINDS, TOKEN_STATES, type TokenKind, type TokenState, type TokenStore } from '@tokenstore/core';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { KIND_LABELS, writeJson, writeTable } from '../output.js';
import { forEachRow } from '../scan-rows.js';

/** Rows of one kind by state. `EXPIRED` counts ACTIVE rows past their expiry too (what validation sees). */
export type StateCounts = Record<TokenState, number> & { total: number; neverExpires: number };

/** What `tokenstore stats --json` prints. */
export interface StatsReport {
  backend: string;
  /** ISO time the counts were taken at (the service clock). */
  at: string;
  tokens: Record<TokenKind, StateCounts>;
  clients: number;
}

/**
 * Counts tokens by kind and state through the store's `scan` primitive (there is no count in the store
 * contract): it reads every row, so on a large database it takes a while and loads the database like a
 * full table scan. Meant for operators, not for monitoring loops.
 */
export async function collectStats(store: TokenStore, clock: Clock, signal?: AbortSignal): Promise<StatsReport> {
  const now = clock.now();
  const tokens = {} as Record<TokenKind, StateCounts>;
  for (const kind of TOKEN_KINDS) {
    const counts = { ...Object.fromEntries(TOKEN_STATES.map((state) => [state, 0])), total: 0, neverExpires: 0 } as StateCounts;
    await forEachRow(
      store,
      kind,
      (row) => {
        counts[effectiveState(row, now)]++;
        counts.total++;
        if (row.expiresAt === null) counts.neverExpires++;
      },
      signal,
    );
    tokens[kind] = counts;
  }
  let clients = 0;
  await forEachRow(store, 'client', () => clients++, signal);
  return { backend: store.backend, at: new Date(now).toISOString(), tokens, clients };
}

/** `tokenstore stats`: tokens by kind and state, and the number of clients. */
export async function statsCommand(context: CommandContext, options: { json?: boolean }): Promise<number> {
  const config = context.config();
  const store = await context.openStore({ ...config, readCache: undefined });
  let report: StatsReport;
  try {
    report = await collectStats(store, context.clock);
  } finally {
    await store.close();
  }
  if (options.json) {
    writeJson(context.stdout, report);
    return ExitCode.Ok;
  }
  context.stdout.write(`${config.backend.label} at ${report.at}\n\n`);
  writeTable(
    context.stdout,
    ['kind', ...TOKEN_STATES, 'total', 'never expire'],
    TOKEN_KINDS.map((kind) => {
      const counts = report.tokens[kind];
      return [KIND_LABELS[kind], ...TOKEN_STATES.map((state) => counts[state]), counts.total, counts.neverExpires];
    }),
  );
  context.stdout.write(`\nclients: ${report.clients}\n`);
  if (config.backend.kind === 'memory')
    context.stdout.write('(memory: is the store of this process only; a running `tokenstore serve` keeps its own)\n');
  return ExitCode.Ok;
}

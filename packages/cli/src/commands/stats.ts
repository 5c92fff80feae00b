import {
  type Clock,
  effectiveState,
  TOKEN_KINDS,
  TOKEN_STATES,
  type TokenCount,
  type TokenKind,
  TokenState,
  type TokenStore,
} from '@tokenstore/core';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { KIND_LABELS, writeJson, writeTable } from '../output.js';
import { forEachRow } from '../scan-rows.js';

/**
 * Rows of one kind by state. `EXPIRED` counts ACTIVE rows past their expiry too (what validation sees).
 * From a store that only estimates (Cassandra), `total` is the estimate and the rest is `null`.
 */
export type StateCounts = Record<TokenState, number | null> & { total: number; neverExpires: number | null };

/** What `tokenstore stats --json` prints. */
export interface StatsReport {
  backend: string;
  /** ISO time the counts were taken at (the service clock). */
  at: string;
  tokens: Record<TokenKind, StateCounts>;
  clients: number;
  /** `false` when the store only estimates its row counts (then per kind only `total`, an estimate). */
  exact: boolean;
}

/**
 * Counts tokens by kind and state with the store's `count` primitive (indexes on SQL, the tables in
 * memory, an estimate on Cassandra); a store without one is counted through `scan`, which reads every
 * row. Clients are always counted by `scan` (a small table).
 */
export async function collectStats(store: TokenStore, clock: Clock, signal?: AbortSignal): Promise<StatsReport> {
  const now = clock.now();
  const tokens = {} as Record<TokenKind, StateCounts>;
  let exact = true;
  for (const kind of TOKEN_KINDS) {
    if (store.count !== undefined) {
      const counted = await store.count(kind, now);
      exact &&= counted.exact;
      tokens[kind] = fromCount(counted);
      continue;
    }
    const counts = { ...Object.fromEntries(TOKEN_STATES.map((state) => [state, 0])), total: 0, neverExpires: 0 } as Record<
      TokenState | 'total' | 'neverExpires',
      number
    >;
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
  return { backend: store.backend, at: new Date(now).toISOString(), tokens, clients, exact };
}

/** A store's count in the report's terms: ACTIVE rows past expiry move from ACTIVE to EXPIRED. */
function fromCount(counted: TokenCount): StateCounts {
  const { byState, activeExpired } = counted;
  if (byState === null || activeExpired === null) {
    return {
      ...(Object.fromEntries(TOKEN_STATES.map((state) => [state, null])) as Record<TokenState, null>),
      total: counted.total,
      neverExpires: null,
    };
  }
  return {
    ...byState,
    [TokenState.Active]: byState[TokenState.Active] - activeExpired,
    [TokenState.Expired]: byState[TokenState.Expired] + activeExpired,
    total: counted.total,
    neverExpires: counted.neverExpires,
  };
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
      const cell = (value: number | null) => (value === null ? '—' : value);
      const total = report.exact ? counts.total : `~${counts.total}`;
      return [KIND_LABELS[kind], ...TOKEN_STATES.map((state) => cell(counts[state])), total, cell(counts.neverExpires)];
    }),
  );
  context.stdout.write(`\nclients: ${report.clients}\n`);
  if (!report.exact) context.stdout.write("(~: the backend's estimate of its rows; it keeps no exact count without reading every row)\n");
  if (config.backend.kind === 'memory')
    context.stdout.write('(memory: is the store of this process only; a running `tokenstore serve` keeps its own)\n');
  return ExitCode.Ok;
}

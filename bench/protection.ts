/**
 * Protection-at-rest benchmark (issue 3): validate and issue throughput through TokenService on the
 * MemoryStore in every protection mode, plus reveal (decryption: used only by token reuse and rewrap).
 * Each mode is measured in its own process, in interleaved rounds, keeping the best round, so neither JIT
 * state left by another mode nor a neighbour process stealing the CPU for a moment decides the comparison.
 * Run: node --import tsx bench/protection.ts   (BENCH_DURATION_MS scales every measurement; default 800)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { MemoryStore } from '@tokenstore/cache';
import {
  createProtector,
  generateAesKey,
  generatePepper,
  generateRsaKeyPair,
  type ProtectionOptions,
  type Protector,
  TokenService,
} from '@tokenstore/core';
import { formatRate, measureThroughput, printTable } from './support.js';

const execFileAsync = promisify(execFile);
const TOKENS = 20_000;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 1500);
const VALIDATE_ROUNDS = 3;

export interface ProtectionBenchRow {
  mode: string;
  validatePerSecond: number;
  issuePerSecond: number;
  /** Decryptions per second; `null` where nothing can be revealed (hash modes). */
  revealPerSecond: number | null;
  /** validate(mode) / validate(plain). */
  validateRatio: number;
}

interface BenchMode {
  name: string;
  protection: ProtectionOptions;
  /** The mode the measured tokens were written in, when not `protection` (a migration window). */
  writtenIn?: ProtectionOptions;
}

interface PreparedMode {
  mode: BenchMode;
  protector: Protector;
  service: TokenService;
  consumerKey: string;
  tokens: string[];
}

function modes(): BenchMode[] {
  const peppers = [{ id: 'p1', secret: generatePepper() }];
  const rsa = generateRsaKeyPair(2048);
  const hash: ProtectionOptions = { mode: 'hash', peppers };
  return [
    { name: 'plain', protection: { mode: 'plain' } },
    { name: 'hash (HMAC-SHA-256)', protection: hash },
    { name: 'hash (SHA-256)', protection: { mode: 'hash', algorithm: 'sha256' } },
    {
      name: 'encrypt (AES-256-GCM)',
      protection: {
        mode: 'encrypt',
        peppers,
        cipher: { algorithm: 'aes-256-gcm', keys: [{ id: 'k1', key: generateAesKey() }], activeKey: 'k1' },
      },
    },
    {
      name: 'encrypt (RSA-OAEP)',
      protection: { mode: 'encrypt', peppers, cipher: { algorithm: 'rsa-oaep', keys: [{ id: 'r1', ...rsa }], activeKey: 'r1' } },
    },
    // Worst case of a migration window: every token still plain, so each lookup misses the hash key first.
    { name: 'hash, fallback to plain rows', protection: { ...hash, fallback: [{ mode: 'plain' }] }, writtenIn: { mode: 'plain' } },
  ];
}

async function prepare(mode: BenchMode): Promise<PreparedMode> {
  const protector = createProtector(mode.protection);
  const store = new MemoryStore({ maxEntries: 200_000 });
  const writer = new TokenService({ store, protector: createProtector(mode.writtenIn ?? mode.protection) });
  const client = await writer.registerClient({ name: 'bench' });
  const tokens: string[] = [];
  for (let i = 0; i < TOKENS; i++)
    tokens.push(
      (await writer.issueAccessToken({ consumerKey: client.consumerKey, userId: `user-${i}`, scopes: 'read write' })).accessToken,
    );
  return { mode, protector, service: new TokenService({ store, protector }), consumerKey: client.consumerKey, tokens };
}

async function measureValidate(prepared: PreparedMode): Promise<number> {
  const { service, tokens } = prepared;
  const result = await measureThroughput(
    async (i) => {
      if ((await service.validateAccessToken(tokens[i % TOKENS] as string)) === null) throw new Error('a valid token did not validate');
    },
    { durationMs: DURATION_MS, warmupMs: 200 },
  );
  return result.opsPerSecond;
}

async function measureIssue(prepared: PreparedMode, round: number): Promise<number> {
  const { service, consumerKey } = prepared;
  const result = await measureThroughput((i) => service.issueAccessToken({ consumerKey, userId: `issued-${round}-${i}`, scopes: 'read' }), {
    durationMs: DURATION_MS / 2,
    warmupMs: 100,
  });
  return result.opsPerSecond;
}

async function measureReveal(prepared: PreparedMode): Promise<number | null> {
  const { protector, tokens } = prepared;
  if (!protector.recoverable) return null;
  const stored = tokens.slice(0, 256).map((token) => protector.protect(token));
  const result = await measureThroughput((i) => protector.reveal(stored[i % stored.length]!), {
    durationMs: DURATION_MS / 2,
    warmupMs: 100,
  });
  return result.opsPerSecond;
}

/** Measures one mode in this process and returns its figures (the child side of {@link benchProtection}). */
async function measureMode(index: number, round: number): Promise<{ validate: number; issue: number; reveal: number | null }> {
  const mode = modes()[index]!;
  const prepared = await prepare(mode);
  const validate = await measureValidate(prepared);
  const issue = await measureIssue(prepared, round);
  const reveal = mode.writtenIn ? null : await measureReveal(prepared);
  await prepared.service.close();
  return { validate, issue, reveal };
}

/**
 * Every mode runs in a fresh Node process per round: in one shared isolate the first mode measured
 * would get monomorphic JIT code and every later mode would pay for call sites made megamorphic by the
 * modes before it, which measures V8, not the protection. Rounds are interleaved and the best kept.
 */
export async function benchProtection(): Promise<ProtectionBenchRow[]> {
  const count = modes().length;
  const best = Array.from({ length: count }, () => ({ validate: 0, issue: 0, reveal: null as number | null }));
  for (let round = 0; round < VALIDATE_ROUNDS; round++) {
    for (let index = 0; index < count; index++) {
      const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, BENCH_PROTECTION_CHILD: `${index}:${round}` },
        maxBuffer: 1 << 20,
      });
      const figures = JSON.parse(stdout.trim().split('\n').pop() as string) as { validate: number; issue: number; reveal: number | null };
      const entry = best[index]!;
      entry.validate = Math.max(entry.validate, figures.validate);
      entry.issue = Math.max(entry.issue, figures.issue);
      entry.reveal = figures.reveal === null ? null : Math.max(entry.reveal ?? 0, figures.reveal);
    }
  }
  const rows: ProtectionBenchRow[] = modes().map((mode, index) => ({
    mode: mode.name,
    validatePerSecond: best[index]!.validate,
    issuePerSecond: best[index]!.issue,
    revealPerSecond: best[index]!.reveal,
    validateRatio: best[index]!.validate / best[0]!.validate,
  }));

  printTable(
    `Protection modes: TokenService on MemoryStore, ${TOKENS.toLocaleString('en-US')} tokens, one caller, one process per mode, best of ${VALIDATE_ROUNDS} interleaved rounds (ops/s)`,
    rows.map((row) => ({
      mode: row.mode,
      'validate/s': formatRate(row.validatePerSecond),
      'vs plain': row.validateRatio.toFixed(2),
      'issue/s': formatRate(row.issuePerSecond),
      'reveal/s': row.revealPerSecond === null ? '—' : formatRate(row.revealPerSecond),
    })),
  );
  const hashRatio = rows[1]!.validateRatio;
  console.log(`validate(hash HMAC) / validate(plain) = ${hashRatio.toFixed(2)} (target ≥ 0.70: ${hashRatio >= 0.7 ? 'met' : 'NOT met'})`);
  return rows;
}

const child = process.env.BENCH_PROTECTION_CHILD;
if (child !== undefined) {
  const [index, round] = child.split(':').map(Number) as [number, number];
  console.log(JSON.stringify(await measureMode(index, round)));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchProtection();
}

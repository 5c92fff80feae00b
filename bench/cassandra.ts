/**
 * Cassandra store benchmark: validate, issue and revoke ops/sec through the store (via TokenService)
 * against the very same CQL (the store's own prepared statements, same consistency levels) sent with the
 * raw driver, same client, same concurrency. Target: validate ≥ 90% of raw. Runs once per consistency
 * preset (the Axway defaults and the recommended production setting), each in a process of its own so
 * neither the JIT state nor the garbage of the previous preset weighs on the next, and prints the levels.
 *
 *   TOKENSTORE_TEST_CASSANDRA_URL=cassandra://127.0.0.1:9042/?dc=datacenter1 node --import tsx bench/cassandra.ts
 *
 * Sizes (env): BENCH_DURATION_MS=1500 BENCH_CONCURRENCY=32 BENCH_TOKENS=10000 BENCH_ROUNDS=7
 * BENCH_PRESETS=axway,production. Uses (and empties first) the keyspace `tokenstore_bench`.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CassandraStore, CONSISTENCY_PRESETS, type OperationConsistency, parseCassandraUrl } from '@tokenstore/cassandra';
import { computeReuseKey, generateGrantId, generateTokenValue, type StoredAccessToken, TokenService, UserType } from '@tokenstore/core';
import cassandra from 'cassandra-driver';
import { bucketOf } from '../packages/cassandra/src/purge-index.js';
import { DATA_TABLES } from '../packages/cassandra/src/schema.js';
import { buildStatements } from '../packages/cassandra/src/statements.js';
import { tokenParams } from '../packages/cassandra/src/token-rows.js';
import { entryTtl, inactiveEntryTtl, rowTtl } from '../packages/cassandra/src/ttl.js';
import { formatRate, measureThroughput, median } from './support.js';

const KEYSPACE = 'tokenstore_bench';
const HOUR = 3_600_000;
const BUCKET_MS = HOUR;
/** The store's defaults (retention and index backstop), so the raw side computes the same TTLs. */
const TTL_POLICY = { expiredSeconds: 0, inactiveSeconds: 86_400, extraTtlSeconds: 7 * 86_400, maxTtlSeconds: 5 * 365 * 86_400 };

type Preset = keyof typeof CONSISTENCY_PRESETS;

interface Settings {
  durationMs: number;
  concurrency: number;
  tokens: number;
  rounds: number;
  presets: Preset[];
}

export interface CassandraThroughput {
  preset: Preset;
  operation: 'validate' | 'issue' | 'revoke';
  storeOpsPerSec: number;
  rawOpsPerSec: number;
  /** Median over the rounds of store / raw. */
  ratio: number;
  /** Client CPU (this process: service, store, driver) per operation, microseconds, median over the rounds. */
  storeCpuMicros: number;
  rawCpuMicros: number;
  /** The consistency levels the operation ran with, e.g. `read ONE`. */
  levels: string;
}

function settingsFromEnv(): Settings {
  const number = (name: string, fallback: number) => {
    const value = process.env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive whole number`);
    return parsed;
  };
  const presets = (process.env.BENCH_PRESETS ?? 'axway,production').split(',').map((name) => name.trim());
  for (const preset of presets) if (!(preset in CONSISTENCY_PRESETS)) throw new Error(`unknown preset ${preset}`);
  return {
    durationMs: number('BENCH_DURATION_MS', 1500),
    concurrency: number('BENCH_CONCURRENCY', 32),
    tokens: number('BENCH_TOKENS', 10_000),
    rounds: number('BENCH_ROUNDS', 7),
    presets: presets as Preset[],
  };
}

/** Runs the benchmark against TOKENSTORE_TEST_CASSANDRA_URL; prints a report and returns the figures. */
export async function benchCassandra(overrides: Partial<Settings> = {}): Promise<CassandraThroughput[]> {
  const url = process.env.TOKENSTORE_TEST_CASSANDRA_URL;
  if (!url) {
    console.log('[bench:cassandra] skipped — TOKENSTORE_TEST_CASSANDRA_URL is not set');
    return [];
  }
  const settings = { ...settingsFromEnv(), ...overrides };
  const results: CassandraThroughput[] = [];
  for (const preset of settings.presets) {
    console.log(
      `[bench:cassandra] preset ${preset}: ${settings.concurrency} in flight, ${settings.durationMs} ms per run, ${settings.rounds} rounds`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: {
        ...process.env,
        BENCH_CASSANDRA_CHILD: preset,
        BENCH_DURATION_MS: String(settings.durationMs),
        BENCH_CONCURRENCY: String(settings.concurrency),
        BENCH_TOKENS: String(settings.tokens),
        BENCH_ROUNDS: String(settings.rounds),
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = stdout.trim().split('\n');
    for (const line of lines.slice(0, -1)) console.log(line);
    const rows = JSON.parse(lines.at(-1) ?? '[]') as CassandraThroughput[];
    console.table(
      rows.map((row) => ({
        operation: row.operation,
        'store ops/s': formatRate(row.storeOpsPerSec),
        'raw ops/s': formatRate(row.rawOpsPerSec),
        'store / raw': `${(row.ratio * 100).toFixed(1)}%`,
        'client CPU µs/op store / raw': `${row.storeCpuMicros.toFixed(0)} / ${row.rawCpuMicros.toFixed(0)}`,
        levels: row.levels,
      })),
    );
    results.push(...rows);
  }
  return results;
}

/** The child process: one preset, figures as JSON on the last line of stdout. */
async function measurePreset(url: string, preset: Preset, settings: Settings): Promise<CassandraThroughput[]> {
  const { contactPoints, localDataCenter } = parseCassandraUrl(url);
  const client = new cassandra.Client({ contactPoints, localDataCenter: localDataCenter ?? 'datacenter1' });
  await client.connect();
  try {
    await CassandraStore.create({ client, keyspace: KEYSPACE, createSchema: true }).then((store) => store.close());
    for (const table of DATA_TABLES) await client.execute(`TRUNCATE ${KEYSPACE}.${table}`);
    return await benchPreset(client, preset, settings);
  } finally {
    await client.shutdown();
  }
}

async function benchPreset(client: cassandra.Client, preset: Preset, settings: Settings): Promise<CassandraThroughput[]> {
  const store = new CassandraStore({ client, keyspace: KEYSPACE, consistency: CONSISTENCY_PRESETS[preset] });
  const service = new TokenService({ store });
  const { consumerKey } = await service.registerClient({ name: 'bench' });
  const cql = buildStatements(KEYSPACE);
  const levels = store.consistency;

  // Tokens to validate (and to revoke: each revocation takes a fresh one, store and raw alike).
  const issueMany = async (count: number) => {
    const tokens: string[] = [];
    await measureThroughputOnce(count, settings.concurrency, async () => {
      tokens.push(
        (await service.issueAccessToken({ consumerKey, userId: `user-${tokens.length % 1000}`, scopes: 'openid profile' })).accessToken,
      );
    });
    return tokens;
  };
  const loadStarted = performance.now();
  const validateTokens = await issueMany(settings.tokens);
  const revokeTokens = await issueMany(settings.tokens * 2);
  console.log(
    `[bench:cassandra] loaded ${formatRate(validateTokens.length + revokeTokens.length)} tokens in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
  );
  const randomToken = () => validateTokens[Math.floor(Math.random() * validateTokens.length)]!;
  let nextToRevoke = 0;
  const tokenToRevoke = () => revokeTokens[nextToRevoke++ % revokeTokens.length]!;

  const execute = (query: string, params: unknown[], options: cassandra.QueryOptions) =>
    client.execute(query, params, { prepare: true, ...options });
  const plain = (level: OperationConsistency) => ({ consistency: level.codes.write });
  const lwt = (level: OperationConsistency) => ({ consistency: level.codes.commit, serialConsistency: level.codes.serial });

  const operations: Array<{
    name: CassandraThroughput['operation'];
    levels: string;
    store: () => Promise<unknown>;
    raw: () => Promise<unknown>;
  }> = [
    {
      name: 'validate',
      levels: `read ${levels.get.read}`,
      store: () => service.validateAccessToken(randomToken()),
      raw: () => execute(cql.tokens.accessToken.select, [randomToken()], { consistency: levels.get.codes.read }),
    },
    {
      name: 'issue',
      levels: `read ${levels.clients.read}, write ${levels.insert.write}, lwt ${levels.insert.commit}+${levels.insert.serial}`,
      store: () => service.issueAccessToken({ consumerKey, userId: `user-${Math.floor(Math.random() * 1000)}`, scopes: 'openid profile' }),
      raw: async () => {
        // What issueAccessToken sends: the client row, the lookup and index entries, then the row itself.
        await execute(cql.clients.select, [consumerKey], { consistency: levels.clients.codes.read });
        const row = freshAccessToken(consumerKey);
        const ttl = rowTtl(row.expiresAt, row.issuedAt, TTL_POLICY);
        const level = levels.insert;
        await Promise.all([
          execute(cql.lookups.byUser.insert, [row.userId, 'accessToken', row.key, row.consumerKey, row.userType, ttl], plain(level)),
          execute(cql.lookups.byConsumer.insert, [row.consumerKey, 'accessToken', row.key, ttl], plain(level)),
          execute(cql.lookups.byGrant.insert, [row.grantId, 'accessToken', row.key, ttl], plain(level)),
          execute(
            cql.purge.insertEntry,
            [
              'accessToken',
              'expiry',
              new Date(bucketOf(row.expiresAt!, BUCKET_MS)),
              new Date(row.expiresAt!),
              row.key,
              entryTtl(ttl, TTL_POLICY),
            ],
            plain(level),
          ),
        ]);
        await execute(cql.tokens.accessToken.insert, [...tokenParams('accessToken', row), randomUUID(), ttl], lwt(level));
      },
    },
    {
      name: 'revoke',
      levels: `read ${levels.compareAndSetState.read}, write ${levels.compareAndSetState.write}, lwt ${levels.compareAndSetState.commit}+${levels.compareAndSetState.serial}`,
      store: () => service.revokeAccessToken(tokenToRevoke()),
      raw: async () => {
        // What revokeAccessToken sends: the lookup, the read for update, the index entry, the LWT.
        const key = tokenToRevoke();
        const level = levels.compareAndSetState;
        await execute(cql.tokens.accessToken.select, [key], { consistency: levels.get.codes.read });
        const current = (await execute(cql.tokens.accessToken.selectForUpdate, [key], { consistency: level.codes.read })).first();
        const at = Date.now();
        await execute(
          cql.purge.insertEntry,
          ['accessToken', 'inactive', new Date(bucketOf(at, BUCKET_MS)), new Date(at), key, inactiveEntryTtl(at, at, TTL_POLICY)],
          plain(level),
        );
        await execute(
          cql.tokens.accessToken.changeState,
          [current?.row_ttl ?? 0, 'REVOKED', new Date(at), randomUUID(), key, 'ACTIVE'],
          lwt(level),
        );
      },
    },
  ];

  const results: CassandraThroughput[] = [];
  for (const operation of operations) {
    const warmup = Math.min(1000, settings.durationMs);
    await measureThroughput(operation.store, { durationMs: warmup, concurrency: settings.concurrency });
    await measureThroughput(operation.raw, { durationMs: warmup, concurrency: settings.concurrency });
    // Interleaved rounds, order swapped each round, medians: background load on a shared machine then
    // shifts both sides of a round alike instead of one side of the comparison.
    // CPU time of this process per operation is measured too: unlike ops/s, it does not move when
    // other processes compete for the cores, so it shows the store's own overhead.
    const storeRates: number[] = [];
    const rawRates: number[] = [];
    const ratios: number[] = [];
    const storeCpu: number[] = [];
    const rawCpu: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const measure = async (op: () => Promise<unknown>, cpu: number[]) => {
        const before = process.cpuUsage();
        const run = await measureThroughput(op, { durationMs: settings.durationMs, concurrency: settings.concurrency, warmupMs: 0 });
        const used = process.cpuUsage(before);
        cpu.push((used.user + used.system) / run.ops);
        return run.opsPerSecond;
      };
      let storeRate: number;
      let rawRate: number;
      if (round % 2 === 0) {
        storeRate = await measure(operation.store, storeCpu);
        rawRate = await measure(operation.raw, rawCpu);
      } else {
        rawRate = await measure(operation.raw, rawCpu);
        storeRate = await measure(operation.store, storeCpu);
      }
      storeRates.push(storeRate);
      rawRates.push(rawRate);
      ratios.push(storeRate / rawRate);
    }
    results.push({
      preset,
      operation: operation.name,
      storeOpsPerSec: median(storeRates),
      rawOpsPerSec: median(rawRates),
      ratio: median(ratios),
      storeCpuMicros: median(storeCpu),
      rawCpuMicros: median(rawCpu),
      levels: operation.levels,
    });
  }
  await service.close();
  return results;
}

/** Runs `op` `count` times with `concurrency` in flight (loading data, not measured). */
async function measureThroughputOnce(count: number, concurrency: number, op: () => Promise<unknown>): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started++;
        await op();
      }
    }),
  );
}

function freshAccessToken(consumerKey: string): StoredAccessToken {
  const now = Date.now();
  const userId = `user-${Math.floor(Math.random() * 1000)}`;
  const key = generateTokenValue();
  return {
    key,
    value: key,
    consumerKey,
    userId,
    userType: UserType.ApplicationUser,
    scopes: ['openid', 'profile'],
    grantId: generateGrantId(),
    state: 'ACTIVE',
    issuedAt: now,
    expiresAt: now + HOUR,
    stateChangedAt: now,
    reuseKey: computeReuseKey(consumerKey, userId, UserType.ApplicationUser, ['openid', 'profile']),
    exclusive: false,
    grantType: 'password',
  };
}

const childPreset = process.env.BENCH_CASSANDRA_CHILD;
if (childPreset !== undefined) {
  const figures = await measurePreset(process.env.TOKENSTORE_TEST_CASSANDRA_URL ?? '', childPreset as Preset, settingsFromEnv());
  console.log(JSON.stringify(figures));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchCassandra();
}

/**
 * HTTP benchmark (issue 12): the reference service (`@tokenstore/server`) under autocannon, 32
 * connections, `POST /introspect` (a resource-server client introspecting an application's tokens)
 * and `client_credentials` at `POST /token`, on the memory store, on PostgreSQL and on PostgreSQL
 * behind the read cache; in the same run, the ceiling (a bare node:http server doing the same parsing
 * and Basic check against a Map, answering from a Map: see bench/http-server.ts). Each figure is
 * given as a share of the ceiling, with latency p50/p99.
 *
 * Every server runs in a child process of its own, one at a time; autocannon runs in this process.
 * In one process the load generator would compete with the server for its single event loop; in two
 * they still share this machine's cores (as a real client on the same host would), which is why each
 * figure is a share of a ceiling measured the same way: all servers are started first, then each
 * round measures every target right beside a ceiling run of its own (order swapped every round),
 * and a share is the median of those paired ratios. `server cpu µs/req` is the server process's own CPU per request (from /proc).
 *
 *   node --import tsx bench/http.ts
 *
 * Env: BENCH_HTTP_DURATION_S=2 BENCH_HTTP_ROUNDS=5 BENCH_HTTP_CONNECTIONS=32 BENCH_HTTP_TARGETS=ceiling,memory,postgres,postgres+cache
 * BENCH_HTTP_ENDPOINTS=introspect,token BENCH_HTTP_PROFILE=<dir> (every server child runs with
 * `node --cpu-prof --cpu-prof-dir=<dir>`). The PostgreSQL targets need TOKENSTORE_TEST_POSTGRES_URL and
 * use the schema `tokenstore_bench_http`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { HTTP_TARGETS, type HttpTarget, type ReadyLine } from './http-server.js';
import { formatRate, median } from './support.js';

export type HttpEndpoint = 'introspect' | 'token';

export interface HttpFigure {
  target: HttpTarget;
  endpoint: HttpEndpoint;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx, errors and timeouts: must be 0 for the figure to count. */
  failures: number;
  /** The server process's CPU (user + system, from /proc) per answered request: independent of what else loads the machine. */
  serverCpuMicrosPerRequest: number;
}

export interface ServerChild {
  ready: ReadyLine;
  child: ChildProcess;
  /** The child's stdout after the ready line, line by line. */
  lines: Interface;
  url: string;
  stop(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('./http-server.ts', import.meta.url));

/** Starts bench/http-server.ts for `target` in a child process and waits for its ready line. */
export async function startServerChild(target: HttpTarget, options: { tokens?: number; nodeFlags?: string[] } = {}): Promise<ServerChild> {
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', SERVER_SCRIPT, target, String(options.tokens ?? 1000)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the ${target} server exited (${code}) before it was ready`);
  });
  const first = new Promise<string>((resolve) => lines.once('line', resolve));
  const ready = JSON.parse(await Promise.race([first, exited])) as ReadyLine;
  exited.catch(() => undefined);
  return {
    ready,
    child,
    lines,
    url: `http://127.0.0.1:${ready.port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      await done;
    },
  };
}

export function basic(credentials: { id: string; secret: string }): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(credentials.id)}:${encodeURIComponent(credentials.secret)}`).toString('base64')}`;
}

/** autocannon options for one endpoint against a started server. */
export function loadFor(server: ServerChild, endpoint: HttpEndpoint): autocannon.Options {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  if (endpoint === 'token')
    return {
      url: `${server.url}/token`,
      method: 'POST',
      headers: { ...form, authorization: basic(server.ready.application) },
      body: 'grant_type=client_credentials&scope=read',
    };
  const tokens = server.ready.tokens;
  let next = 0;
  return {
    url: `${server.url}/introspect`,
    method: 'POST',
    headers: { ...form, authorization: basic(server.ready.resourceServer) },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: `token=${tokens[next++ % tokens.length]}` }),
      },
    ],
  };
}

/** User + system CPU of a process so far, in microseconds (Linux /proc; clock ticks of 10 ms). */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state, field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture Node.js runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export async function runAutocannon(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon(options);
}

export async function benchHttp(): Promise<HttpFigure[]> {
  const duration = Number(process.env.BENCH_HTTP_DURATION_S ?? 2);
  const rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 5);
  const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 32);
  const profileDir = process.env.BENCH_HTTP_PROFILE;
  const endpoints = (process.env.BENCH_HTTP_ENDPOINTS ?? 'introspect,token').split(',') as HttpEndpoint[];
  let targets = (process.env.BENCH_HTTP_TARGETS ?? HTTP_TARGETS.join(',')).split(',') as HttpTarget[];
  if (!process.env.TOKENSTORE_TEST_POSTGRES_URL && targets.some((t) => t.startsWith('postgres'))) {
    console.log('[bench:http] PostgreSQL targets skipped — TOKENSTORE_TEST_POSTGRES_URL is not set');
    targets = targets.filter((t) => !t.startsWith('postgres'));
  }
  console.log(
    `[bench:http] ${connections} connections; per endpoint ${rounds} rounds, each target ${duration} s beside a ${duration} s ceiling run (order swapped each round) after a 1 s warm-up; servers in child processes, all started first (an idle one costs nothing)`,
  );
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const servers = new Map<HttpTarget, ServerChild>();
  const figures: HttpFigure[] = [];
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (const target of targets) servers.set(target, await startServerChild(target, { nodeFlags }));
    for (const endpoint of endpoints) {
      const runs = new Map<HttpTarget, HttpFigure[]>(targets.map((t) => [t, []]));
      for (const target of targets) await runAutocannon({ ...loadFor(servers.get(target)!, endpoint), connections, duration: 1 });
      const measureOnce = async (target: HttpTarget): Promise<HttpFigure> => {
        const server = servers.get(target)!;
        const cpuBefore = processCpuMicros(server.child.pid!);
        const result = await runAutocannon({ ...loadFor(server, endpoint), connections, duration });
        const cpu = processCpuMicros(server.child.pid!) - cpuBefore;
        const figure: HttpFigure = {
          target,
          endpoint,
          requestsPerSec: result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          failures: result.non2xx + result.errors + result.timeouts,
          serverCpuMicrosPerRequest: cpu / Math.max(1, result.requests.total),
        };
        figures.push(figure);
        return figure;
      };
      // Each target is measured right next to a ceiling run of its own (order swapped every round), so
      // the two sides of one ratio see the same machine; the share is the median of those ratios.
      const pairs = new Map<HttpTarget, Array<{ mine: HttpFigure; ceiling: HttpFigure }>>(targets.map((t) => [t, []]));
      for (let round = 0; round < rounds; round++) {
        for (const target of targets) {
          if (target === 'ceiling' || !targets.includes('ceiling')) {
            if (!targets.includes('ceiling')) runs.get(target)!.push(await measureOnce(target));
            continue;
          }
          const first = round % 2 === 0 ? 'ceiling' : target;
          const a = await measureOnce(first);
          const b = await measureOnce(first === 'ceiling' ? target : 'ceiling');
          const [ceilingRun, mine] = first === 'ceiling' ? [a, b] : [b, a];
          runs.get('ceiling')!.push(ceilingRun);
          runs.get(target)!.push(mine);
          pairs.get(target)!.push({ mine, ceiling: ceilingRun });
        }
      }
      const ceiling = runs.get('ceiling');
      for (const target of targets) {
        const mine = runs.get(target)!;
        const share =
          ceiling && target !== 'ceiling' ? median(mine.map((f, round) => f.requestsPerSec / ceiling[round]!.requestsPerSec)) : undefined;
        const cpuShare =
          ceiling && target !== 'ceiling'
            ? median(mine.map((f, round) => ceiling[round]!.serverCpuMicrosPerRequest / f.serverCpuMicrosPerRequest))
            : undefined;
        rows.push({
          endpoint: endpoint === 'token' ? 'POST /token client_credentials' : 'POST /introspect',
          store: target === 'ceiling' ? 'ceiling (bare node:http)' : target,
          'req/s': formatRate(median(mine.map((f) => f.requestsPerSec))),
          'share of ceiling': share === undefined ? '' : `${(share * 100).toFixed(1)}%`,
          'p50 ms': median(mine.map((f) => f.p50Ms)),
          'p99 ms': median(mine.map((f) => f.p99Ms)),
          'server cpu µs/req': Math.round(median(mine.map((f) => f.serverCpuMicrosPerRequest))),
          'ceiling cpu / cpu': cpuShare === undefined ? '' : `${(cpuShare * 100).toFixed(1)}%`,
          failures: mine.reduce((sum, f) => sum + f.failures, 0),
          target:
            endpoint === 'introspect' && target === 'memory' && share !== undefined
              ? share >= 0.6
                ? 'met (≥ 60%)'
                : 'MISSED (≥ 60%)'
              : '',
        });
      }
    }
  } finally {
    for (const server of servers.values()) await server.stop();
  }
  console.log('medians over the rounds; shares are medians of the paired ratios (target / the ceiling run beside it)');
  console.table(rows);
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchHttp();
}

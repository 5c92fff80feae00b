/**
 * Soak (issue 12): the reference service on a default MemoryStore (maxEntries 100,000) for
 * BENCH_SOAK_SECONDS (300), issuing and introspecting through HTTP at full speed (autocannon, 32
 * connections; each connection issues a token with client_credentials, then introspects it), with the
 * server's RSS (from /proc) and V8 heap sampled every 10 s. Passes when the RSS at the end is within
 * 10% of its value at minute 1. BENCH_SOAK_SIZES=1 prints the store's structure sizes with each sample;
 * BENCH_SOAK_GC=1 runs a full GC before each sample (the live heap); BENCH_SOAK_NODE_FLAGS passes
 * flags to the server's node. Not part of the default `npm run bench`: run it by name,
 * `BENCH=soak npm run bench` or `node --import tsx bench/soak.ts`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { basic, runAutocannon, startServerChild } from './http.js';
import { formatRate } from './support.js';

interface Sample {
  second: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

const MB = 2 ** 20;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb) * 1024;
}

export async function benchSoak(): Promise<{ samples: Sample[]; flat: boolean }> {
  const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
  const sampleMs = 10_000;
  process.env.BENCH_REPORT_MEMORY_MS = String(sampleMs);
  // BENCH_SOAK_GC=1: a full GC before each sample (node --expose-gc), so the sample shows the live heap.
  // BENCH_SOAK_NODE_FLAGS: extra flags for the server's node, e.g. `--max-old-space-size=256`.
  const gcFlags = process.env.BENCH_SOAK_GC === '1' ? ['--expose-gc'] : [];
  const extraFlags = (process.env.BENCH_SOAK_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const server = await startServerChild('memory', { tokens: 1, nodeFlags: [...gcFlags, ...extraFlags] });
  delete process.env.BENCH_REPORT_MEMORY_MS;
  const pid = server.child.pid!;
  const started = performance.now();
  const samples: Sample[] = [];
  server.lines.on('line', (line) => {
    const { memory, sizes } = JSON.parse(line) as { memory?: NodeJS.MemoryUsage; sizes?: unknown };
    if (!memory) return;
    const sample = {
      second: Math.round((performance.now() - started) / 1000),
      rssMb: rssBytes(pid) / MB,
      heapUsedMb: memory.heapUsed / MB,
      heapTotalMb: memory.heapTotal / MB,
      externalMb: memory.external / MB,
    };
    samples.push(sample);
    console.log(
      `[bench:soak] ${sample.second}s RSS ${sample.rssMb.toFixed(0)} MB, heap used ${sample.heapUsedMb.toFixed(0)} / ${sample.heapTotalMb.toFixed(0)} MB, external ${sample.externalMb.toFixed(0)} MB`,
    );
    if (process.env.BENCH_SOAK_SIZES === '1') console.log(`[bench:soak]   store structures: ${JSON.stringify(sizes)}`);
  });
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  try {
    const result = await runAutocannon({
      url: server.url,
      connections: 32,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: '/token',
          headers: { ...form, authorization: basic(server.ready.application) },
          body: 'grant_type=client_credentials&scope=read',
          onResponse: (_status, body, context) => {
            (context as { token?: string }).token = (JSON.parse(body) as { access_token?: string }).access_token;
          },
        },
        {
          method: 'POST',
          path: '/introspect',
          headers: { ...form, authorization: basic(server.ready.resourceServer) },
          setupRequest: (request, context) => ({ ...request, body: `token=${(context as { token?: string }).token}` }),
        },
      ],
    });
    const atMinute = samples.find((s) => s.second >= 60) ?? samples[0];
    const last = samples.at(-1);
    const growth = atMinute && last ? last.rssMb / atMinute.rssMb - 1 : Number.NaN;
    const flat = Math.abs(growth) <= 0.1;
    console.log(
      `[bench:soak] ${formatRate(result.requests.total)} requests in ${seconds} s (${formatRate(result.requests.average)} req/s, half issue, half introspect), non-2xx ${result.non2xx}, errors ${result.errors}`,
    );
    console.log(
      `[bench:soak] RSS at ${atMinute?.second}s ${atMinute?.rssMb.toFixed(0)} MB, at ${last?.second}s ${last?.rssMb.toFixed(0)} MB: ${(growth * 100).toFixed(1)}% (target within ±10%: ${flat ? 'met' : 'MISSED'})`,
    );
    return { samples, flat };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchSoak();
}

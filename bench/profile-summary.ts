/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `BENCH_HTTP_PROFILE=<dir>` of
 * bench/http.ts) by layer: self time per group of source files, plus the heaviest functions.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The layer a frame belongs to, by its source URL. */
export function layerOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : `native ${functionName}`;
  const workspace = /\/packages\/([^/]+)\/src\//.exec(url);
  if (workspace) return `@tokenstore/${workspace[1]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith('node:internal/http') || url.startsWith('node:_http') || url.includes('http_parser')) return 'node:http';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node:streams';
  if (url.startsWith('node:net') || url.includes('stream_base')) return 'node:net';
  if (url.startsWith('node:internal/url') || url.startsWith('node:url')) return 'node:url';
  if (url.startsWith('node:internal/process') || url.startsWith('node:internal/async_hooks') || url.startsWith('node:internal/timers'))
    return 'node:event loop';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[url.startsWith('node:internal/') ? 1 : 0]}`;
  if (url.includes('/bench/')) return 'bench';
  return url;
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  for (const [index, id] of profile.samples.entries()) selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfMicros].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const layers = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const layer = layerOf(frame.url, frame.functionName);
    layers.set(layer, (layers.get(layer) ?? 0) + micros);
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(packages|node_modules)\//, '')}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
  }
  const share = (micros: number) => `${((micros / busy) * 100).toFixed(1)}%`;
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((busy / total) * 100).toFixed(0)}%)`);
  console.table(
    [...layers]
      .sort((a, b) => b[1] - a[1])
      .map(([layer, micros]) => ({ layer, 'self ms': Math.round(micros / 1000), 'share of busy': share(micros) })),
  );
  console.table(
    [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(topArg ?? 25))
      .map(([name, micros]) => ({ function: name, 'self ms': Math.round(micros / 1000), 'share of busy': share(micros) })),
  );
}

main();

import cliProgress from 'cli-progress';
import type { OutputStream } from './output.js';

/** A progress bar on `stream` (stderr, so `--json` output stays clean); silent when it is not a terminal. */
export interface ProgressBar {
  start(total: number, payload?: Record<string, string | number>): void;
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

/** Builds a bar with `format` (cli-progress tokens: `{bar}`, `{value}`, `{total}`, `{percentage}`, payload names). */
export function createProgressBar(stream: OutputStream, format: string): ProgressBar {
  if (!stream.isTTY) return { start() {}, update() {}, setTotal() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format, stream: stream as unknown as NodeJS.WritableStream, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total, payload) => bar.start(total, 0, payload),
    update: (value, payload) => bar.update(value, payload),
    setTotal: (total) => bar.setTotal(total),
    stop: () => bar.stop(),
  };
}

import { type RunCliOptions, runCli } from '../../src/index.js';

/** Collects what a command writes. */
export class Collector {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tokenstore <argv>` in-process with `env` (not the test process's environment) and collects its output. */
export async function cli(argv: string[], options: Omit<RunCliOptions, 'stdout' | 'stderr'> = {}): Promise<CliRun> {
  const stdout = new Collector();
  const stderr = new Collector();
  const code = await runCli(argv, { env: {}, handleSignals: false, ...options, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function until<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

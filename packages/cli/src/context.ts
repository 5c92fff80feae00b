import { type Clock, systemClock, TokenService, type TokenStore } from '@tokenstore/core';
import { type CliConfig, type Environment, loadConfig } from './config.js';
import { type OpenStoreOptions, openStore } from './open-store.js';
import type { OutputStream } from './output.js';
import type { StartTokenServer } from './server-api.js';

/** How {@link runCli} talks to the world; every field has a default taken from `process`. */
export interface RunCliOptions {
  /** Default `process.env`. */
  env?: Environment;
  /** Default `process.stdout`. */
  stdout?: OutputStream;
  /** Default `process.stderr`. */
  stderr?: OutputStream;
  /**
   * Stops a long-running command (`serve`, `rewrap`, `bench`) the way SIGINT/SIGTERM do. The real
   * process listens to both signals as well.
   */
  signal?: AbortSignal;
  /** Test seam: the service's clock (e.g. a core `ManualClock`). Default the system clock. */
  clock?: Clock;
  /** Test seam: opens the store instead of {@link openStore} (e.g. to hand a pre-filled in-memory store). */
  openStore?: (config: CliConfig, options: OpenStoreOptions) => Promise<TokenStore>;
  /** Test seam: replaces `startTokenServer` from `@tokenstore/server`. */
  startTokenServer?: StartTokenServer;
  /** Test seam: reads the clients file and PEM files. Default `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
  /** Whether to listen to SIGINT/SIGTERM of this process. Default true. */
  handleSignals?: boolean;
}

/** What a command runs with. */
export class CommandContext {
  readonly env: Environment;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly clock: Clock;
  readonly options: RunCliOptions;

  constructor(options: RunCliOptions) {
    this.options = options;
    this.env = options.env ?? process.env;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.clock = options.clock ?? systemClock;
  }

  /** The configuration; a bad variable throws a ConfigError (exit code 2). */
  config(): CliConfig {
    return loadConfig(this.env, this.options.readFile ? { readFile: this.options.readFile } : {});
  }

  openStore(config: CliConfig, options: OpenStoreOptions = {}): Promise<TokenStore> {
    const open = this.options.openStore ?? openStore;
    return open(config, { ...options, ...(this.options.clock ? { clock: this.options.clock } : {}) });
  }

  /**
   * The TokenService on `store` with the configured protection and options. The background purger
   * runs only where `backgroundPurge` is set (`serve`): a one-off command must not start it.
   */
  createService(config: CliConfig, store: TokenStore, options: { backgroundPurge?: boolean } = {}): TokenService {
    const purge = options.backgroundPurge ? config.service.purge : { ...config.service.purge, intervalSeconds: 0 };
    return new TokenService({ ...config.service, purge, store, clock: this.clock, protector: config.protection.protector });
  }

  /** A line for the operator on stderr (stdout carries results and `--json`). */
  info(line: string): void {
    this.stderr.write(`${line}\n`);
  }

  /**
   * Resolves when the command should stop: SIGINT/SIGTERM or the `signal` option. `dispose` removes
   * the listeners.
   */
  stopRequested(): { promise: Promise<string>; signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    let resolve!: (reason: string) => void;
    const promise = new Promise<string>((r) => {
      resolve = r;
    });
    const stop = (reason: string) => {
      if (!controller.signal.aborted) controller.abort(reason);
      resolve(reason);
    };
    const onSigint = () => stop('SIGINT');
    const onSigterm = () => stop('SIGTERM');
    const listen = this.options.handleSignals ?? true;
    if (listen) {
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
    }
    const external = this.options.signal;
    const onAbort = () => stop('abort');
    if (external?.aborted) stop('abort');
    else external?.addEventListener('abort', onAbort, { once: true });
    return {
      promise,
      signal: controller.signal,
      dispose: () => {
        if (listen) {
          process.off('SIGINT', onSigint);
          process.off('SIGTERM', onSigterm);
        }
        external?.removeEventListener('abort', onAbort);
      },
    };
  }
}

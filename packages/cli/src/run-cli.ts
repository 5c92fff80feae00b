import { isTokenStoreError, REWRAP_KINDS, type RewrapKind } from '@tokenstore/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { benchCommand } from './commands/bench.js';
import { migrateCommand } from './commands/migrate.js';
import { purgeCommand } from './commands/purge.js';
import { rewrapCommand } from './commands/rewrap.js';
import { serveCommand } from './commands/serve.js';
import { statsCommand } from './commands/stats.js';
import { CommandContext, type RunCliOptions } from './context.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';

export type { RunCliOptions } from './context.js';

const VERSION = '0.1.0';

const ENVIRONMENT_HELP = `
Configuration (environment):
  TOKENSTORE_URL                 memory: (default) | postgres://… | mysql://… | mariadb://… | mssql://… | oracle://… | db2://… | cassandra://host:port/keyspace?dc=…
  PORT, HOST                     where serve listens (8080, 127.0.0.1)
  TOKENSTORE_CLIENTS             "id:secret[:grant,grant] …" or the path of a JSON file
  TOKENSTORE_USERS               "user:password …" (development login, password grant)
  TOKENSTORE_SCOPES              scopes every client may request besides its own (default none: scopes are denied unless allowed)
  TOKENSTORE_ISSUER              serve: the issuer of /.well-known/oauth-authorization-server (default: the URL it listens on)
  TOKENSTORE_METRICS_PORT        serve: OpenTelemetry metrics for Prometheus at http://HOST:<port>/metrics (default off)
  TOKENSTORE_PROTECTION          plain (default) | hash | encrypt; see TOKENSTORE_PEPPERS, TOKENSTORE_ENCRYPTION_KEYS, TOKENSTORE_PROTECTION_FALLBACK
  TOKENSTORE_REUSE, TOKENSTORE_PURGE_INTERVAL, TOKENSTORE_*_VALIDITY, … — see the README of @tokenstore/cli

Exit codes:
  0 done   1 operational failure (backend down, run failed)   2 usage or configuration error (nothing done)   3 rewrap stopped early (run again to resume)`;

/**
 * Runs the `tokenstore` command line with `argv` (the arguments after the program name) and returns
 * the exit code instead of exiting, so tests run it in-process:
 *
 * ```ts
 * const code = await runCli(['stats', '--json'], { env: { TOKENSTORE_URL: 'memory:' }, stdout, stderr });
 * ```
 */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const context = new CommandContext(options);
  let exitCode: number = ExitCode.Ok;
  const run = (command: () => Promise<number>) => async () => {
    exitCode = await command();
  };
  const program = buildProgram(context, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are exits with code 0; every other commander error is a usage error.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    context.stderr.write(`tokenstore: ${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

function describeError(error: unknown): string {
  if (isTokenStoreError(error)) return error.message.replace(/^\[tokenstore\] (\[cli\] )?/, '');
  if (error instanceof Error) return error.message;
  return String(error);
}

type Run = (command: () => Promise<number>) => () => Promise<void>;

function buildProgram(context: CommandContext, run: Run): Command {
  const program = new Command('tokenstore')
    .description('tokenstore: OAuth2 token persistence — serve, migrate, purge, rewrap, stats, bench')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', ENVIRONMENT_HELP);
  configure(program, context);

  program
    .command('serve')
    .description(
      'run the reference OAuth2 token service (POST /token, GET /authorize, POST /revoke, POST /introspect, GET /health, GET /.well-known/oauth-authorization-server) until SIGINT/SIGTERM',
    )
    .addHelpText(
      'after',
      `
Registers (or updates) the clients of TOKENSTORE_CLIENTS at start-up, so a restart against a persistent
database never fails. On memory: with neither TOKENSTORE_CLIENTS nor TOKENSTORE_USERS set, seeds the demo
client "demo-client" and user "demo" with random secrets printed once, and prints curl lines to try them.
TOKENSTORE_MIGRATE=true applies the schema first.`,
    )
    .action(run(() => serveCommand(context)));

  program
    .command('migrate')
    .description('apply the schema of the backend in TOKENSTORE_URL (safe to run twice)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nSQL: the numbered files of sql/<dialect>/ via the migration runner. Cassandra: keyspace and tables (IF NOT EXISTS). memory: nothing to do.',
    )
    .action(run(() => migrateCommand(context, subcommand(program, 'migrate').opts())));

  program
    .command('purge')
    .description('delete expired rows and revoked/inactive rows past retention, with a progress bar and counts per kind')
    .option('--json', 'print the result as JSON')
    .option('--batch-size <rows>', 'rows per delete batch (default TOKENSTORE_PURGE_BATCH_SIZE or 1000)', positiveInteger)
    .option(
      '--time-budget <ms>',
      'milliseconds per purge run before it yields (default TOKENSTORE_PURGE_TIME_BUDGET_MS or 5000)',
      positiveInteger,
    )
    .option('--max-runs <n>', 'stop after this many runs even if rows are left', positiveInteger)
    .option('--no-count', 'skip the counting scan that gives the progress bar its total')
    .action(run(() => purgeCommand(context, subcommand(program, 'purge').opts())));

  program
    .command('rewrap')
    .description('convert stored rows to the configured protection (plain → hash, key A → key B, pepper rotation); resumable')
    .option('--json', 'print the result as JSON')
    .option(
      '--checkpoint <file>',
      'save progress to this file after every batch and resume from it (mode 0600; removed when the pass completes)',
    )
    .option('--batch-size <rows>', 'rows per batch (default 500)', positiveInteger)
    .addOption(
      new Option('--kinds <list>', `comma-separated kinds to convert (default all the store holds: ${REWRAP_KINDS.join(',')})`).argParser(
        kindList,
      ),
    )
    .option('--pause <ms>', 'pause between batches to spare a busy database', nonNegativeInteger)
    .option('--max-batches <n>', 'stop after this many batches (exit code 3; run again to resume)', positiveInteger)
    .option('--no-count', 'skip the counting scan that gives the progress bar its total')
    .option('--keep-checkpoint', 'keep the checkpoint file after a completed pass')
    .addHelpText(
      'after',
      `
Configure the target protection (TOKENSTORE_PROTECTION, TOKENSTORE_PEPPERS, TOKENSTORE_ENCRYPTION_KEYS) and
where rows still are (TOKENSTORE_PROTECTION_FALLBACK, old peppers/keys listed after the active one), e.g.
plain → hash:  TOKENSTORE_PROTECTION=hash TOKENSTORE_PEPPERS=p1:<base64> TOKENSTORE_PROTECTION_FALLBACK=plain
A second pass that converts nothing means the fallback can be removed.`,
    )
    .action(run(() => rewrapCommand(context, subcommand(program, 'rewrap').opts())));

  program
    .command('stats')
    .description('tokens by kind and state, and the number of clients (reads every row: an operator tool)')
    .option('--json', 'print the result as JSON')
    .action(run(() => statsCommand(context, subcommand(program, 'stats').opts())));

  program
    .command('bench')
    .description('measure issue and validate throughput of the configured backend (and the raw driver where meaningful)')
    .option('--json', 'print the result as JSON')
    .option('--duration <seconds>', 'seconds per measured operation', positiveInteger, 5)
    .option('--concurrency <n>', 'operations in flight', positiveInteger, 16)
    .option('--tokens <n>', 'tokens issued and then validated at random', positiveInteger, 1000)
    .option('--no-raw', 'skip the raw-driver comparison')
    .addHelpText('after', '\nIt writes: tokens go to a temporary client that is deleted (tokens revoked) at the end.')
    .action(run(() => benchCommand(context, subcommand(program, 'bench').opts())));

  for (const command of program.commands) configure(command, context);
  return program;
}

function subcommand(program: Command, name: string): Command {
  return program.commands.find((command) => command.name() === name)!;
}

function configure(command: Command, context: CommandContext): void {
  command.exitOverride().configureOutput({
    writeOut: (text) => context.stdout.write(text),
    writeErr: (text) => context.stderr.write(text),
  });
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError('must be a whole number of at least 1');
  return Number(value);
}

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be a whole number of at least 0');
  return Number(value);
}

function kindList(value: string): RewrapKind[] {
  const kinds = value.split(',').map((kind) => kind.trim());
  const unknown = kinds.find((kind) => !(REWRAP_KINDS as readonly string[]).includes(kind));
  if (unknown !== undefined || kinds.length === 0)
    throw new InvalidArgumentError(`must be a comma-separated list of ${REWRAP_KINDS.join(', ')}`);
  return kinds as RewrapKind[];
}

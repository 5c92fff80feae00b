import { randomBytes } from 'node:crypto';
import { generateTokenValue, type TokenService } from '@tokenstore/core';
import type { CliConfig, ClientConfig, UserConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { type MetricsEndpoint, startPrometheusMetrics } from '../metrics.js';
import { loadStartTokenServer, type ServerLog, type TokenServerHandle } from '../server-api.js';
import { ensureClients } from './ensure-clients.js';

/** The client seeded on `memory:` when neither TOKENSTORE_CLIENTS nor TOKENSTORE_USERS is set. */
export const DEMO_CLIENT_ID = 'demo-client';
/** The user seeded with it. */
export const DEMO_USER = 'demo';

/** The demo client and user, with fresh random secrets (printed once at start-up). */
export function demoSeed(): { client: ClientConfig; user: UserConfig } {
  return {
    client: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: generateTokenValue(),
      grants: ['client_credentials', 'password', 'authorization_code', 'refresh_token'],
      redirectUris: [],
      // Scopes are denied unless allowed: these are the ones the printed curl lines ask for.
      scopes: ['read', 'write'],
      // It introspects only its own tokens, which is all the printed lines do.
      resourceServer: false,
      name: 'tokenstore demo client',
    },
    user: { username: DEMO_USER, password: randomBytes(12).toString('base64url') },
  };
}

/**
 * `tokenstore serve`: opens the store, builds the TokenService, registers the configured clients
 * (idempotently), starts the reference token service and runs until SIGINT/SIGTERM, then closes the
 * server and the store.
 */
export async function serveCommand(context: CommandContext): Promise<number> {
  const config = context.config();
  const demo = config.backend.kind === 'memory' && config.clients === undefined && config.users === undefined ? demoSeed() : undefined;
  const clients = demo ? [demo.client] : (config.clients ?? []);
  const users = demo ? [demo.user] : (config.users ?? []);
  const startTokenServer = context.options.startTokenServer ?? (await loadStartTokenServer());
  const stop = context.stopRequested();

  let service: TokenService | undefined;
  let server: TokenServerHandle | undefined;
  let metrics: MetricsEndpoint | undefined;
  try {
    const store = await context.openStore(config, { migrate: config.migrateOnStart });
    service = context.createService(config, store, { backgroundPurge: true });
    if (config.metricsPort !== undefined)
      metrics = await startPrometheusMetrics({ service, store, host: config.host, port: config.metricsPort });
    const outcomes = await ensureClients(service, clients);
    for (const [id, outcome] of outcomes) if (outcome !== 'unchanged') context.info(`tokenstore: client "${id}" ${outcome}`);
    if (clients.length === 0 && config.clients === undefined)
      context.info('tokenstore: TOKENSTORE_CLIENTS is not set: only clients already in the store can get tokens');
    server = await startTokenServer({
      service,
      users: Object.fromEntries(users.map((user) => [user.username, user.password])),
      host: config.host,
      port: config.port,
      model: { scopes: { allowed: config.scopes } },
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
      log: serverLog(context),
    });
    context.stdout.write(`${banner(config, server, service, metrics)}\n`);
    if (demo) context.stdout.write(`${demoInstructions(server.url, demo.client, demo.user)}\n`);
    const reason = await stop.promise;
    context.info(`tokenstore: ${reason === 'abort' ? 'stopping' : `${reason} received, stopping`}`);
    return ExitCode.Ok;
  } finally {
    stop.dispose();
    await server?.close().catch((error: unknown) => context.info(`tokenstore: closing the server failed: ${messageOf(error)}`));
    await metrics?.close().catch((error: unknown) => context.info(`tokenstore: closing the metrics endpoint failed: ${messageOf(error)}`));
    await service?.close().catch((error: unknown) => context.info(`tokenstore: closing the store failed: ${messageOf(error)}`));
  }
}

function banner(config: CliConfig, server: TokenServerHandle, service: TokenService, metrics: MetricsEndpoint | undefined): string {
  const purge = service.options.purge.intervalSeconds > 0 ? `every ${service.options.purge.intervalSeconds} s` : 'off';
  const lines = [
    `tokenstore token service listening on ${server.url}`,
    `  store:      ${config.backend.label}${config.readCache ? ` (read cache ${config.readCache.ttlMs} ms)` : ''}`,
    `  protection: ${config.protection.summary}`,
    `  reuse:      ${service.options.reuseTokens ? 'on' : 'off'}; purge: ${purge}`,
  ];
  if (metrics) lines.push(`  metrics:    ${metrics.url}`);
  return lines.join('\n');
}

/** Ready-to-paste curl lines for the demo client and user. */
export function demoInstructions(url: string, client: ClientConfig, user: UserConfig): string {
  const auth = `-u '${client.clientId}:${client.clientSecret}'`;
  const base = url.replace(/\/+$/, '');
  const extract = `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token'`;
  return [
    '',
    'Demo mode (memory store, nothing configured). Generated for this run only:',
    `  client: ${client.clientId}   secret: ${client.clientSecret}`,
    `  user:   ${user.username}          password: ${user.password}`,
    '',
    '# a token for the application (client credentials)',
    `curl -s -w '\\n' ${auth} -d grant_type=client_credentials -d scope=read ${base}/token`,
    '# a token for the user (password grant)',
    `curl -s -w '\\n' ${auth} -d grant_type=password -d username=${user.username} -d 'password=${user.password}' ${base}/token`,
    '# keep one, introspect it, revoke it, introspect again ({"active":false})',
    `TOKEN=$(curl -s ${auth} -d grant_type=client_credentials ${base}/token | ${extract})`,
    `curl -s -w '\\n' ${auth} --data-urlencode "token=$TOKEN" ${base}/introspect`,
    `curl -s -w '\\n' ${auth} --data-urlencode "token=$TOKEN" ${base}/revoke`,
    `curl -s -w '\\n' ${auth} --data-urlencode "token=$TOKEN" ${base}/introspect`,
    '',
    'Ctrl+C stops the service (the memory store is dropped).',
  ].join('\n');
}

function serverLog(context: CommandContext): ServerLog {
  return (line: string) => context.info(line);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

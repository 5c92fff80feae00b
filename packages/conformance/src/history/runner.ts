// Over 400 lines on purpose: one operation per case of the random mix, each next to its own bookkeeping, reads
// best as one switch; the pieces that stand alone (log, checker, registry, purge observer) are their own modules.
import {
  ErrorCode,
  generateTokenValue,
  type IssuedTokens,
  type PurgeRunEvent,
  RewrapJob,
  type TokenService,
  TokenStoreError,
  UserType,
} from '@tokenstore/core';
import type { ConformanceContext } from '../context.js';
import { createRecordingService } from '../recording-service.js';
import type { HistoryRecord, Violation } from './checker.js';
import { checkHistory } from './checker.js';
import { observeEnd } from './final-observation.js';
import { type GrantInfo, type HandleInfo, type OpArgs, OperationLog, type OpKind, type OpResult } from './log.js';
import { createPrng, indexOf, workerSeed } from './prng.js';
import { historyProtection } from './protection.js';
import { PurgeObserver } from './purge-observer.js';
import { Registry } from './registry.js';
import {
  HISTORY_REFRESH,
  HISTORY_RETENTION,
  HISTORY_VALIDITY,
  type PlannedOp,
  Pools,
  planOperation,
  recent,
  UNIVERSE,
} from './workload.js';

export interface HistoryOptions {
  seed: number;
  /** Real time the workers run. */
  durationMs: number;
  workers: number;
  /** Bound on each worker's operations, whatever the time. */
  maxOpsPerWorker: number;
}

export interface HistoryOutcome {
  record: HistoryRecord;
  violations: Violation[];
  /** Operations per kind. */
  counts: Record<string, number>;
  /** Operations that ended in an error, per error code. */
  errors: Record<string, number>;
  /** The rewrap conversion of this run, or why there was none. */
  rewrap: string;
}

/** A lock that runs its callers one at a time (purges must not overlap; nor do rewrap passes). */
function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** The purge run's failure as an error the log classifies: typed when the purger reported a TokenStoreError code. */
function purgeFailure(error: NonNullable<PurgeRunEvent['error']>): Error {
  if ((Object.values(ErrorCode) as string[]).includes(error.code)) return new TokenStoreError(error.code as ErrorCode, 'purge run failed');
  return Object.assign(new Error('purge run failed'), { name: `purge ${error.code}` });
}

/**
 * One randomized history: W workers run a seeded random mix of operations through the service API
 * against one store until the deadline, then the store is read back and the log checked.
 */
export async function runHistory(ctx: ConformanceContext, options: HistoryOptions): Promise<HistoryOutcome> {
  const log = new OperationLog();
  const registry = new Registry();
  const { handles, grants } = registry;
  const shortGrant = (grantId: string, info?: Omit<GrantInfo, 'id'>) => registry.grant(grantId, info);
  const handleOf = (value: string, info: Omit<HandleInfo, 'id'>) => registry.handle(value, info);
  const plaintextOf = (handle: string) => registry.plaintextOf(handle);
  const pools = new Pools();

  const protection = historyProtection(ctx.mode.name, ctx.mode.createProtector());
  const observer = new PurgeObserver(
    ctx.store,
    () => log.tick(),
    (grantId) => shortGrant(grantId),
  );
  const common = {
    store: observer.store,
    clock: ctx.clock,
    protector: protection.service,
    validity: HISTORY_VALIDITY,
    refresh: HISTORY_REFRESH,
    retention: HISTORY_RETENTION,
  };
  const fresh = createRecordingService(common, ctx.recorder);
  const reuse: TokenService | null = ctx.recoverable ? createRecordingService({ ...common, reuseTokens: true }, ctx.recorder) : null;
  const purgeLock = serial();
  const rewrapLock = serial();

  const run = <T>(worker: number, kind: OpKind, args: OpArgs, call: () => Promise<T>, describe: (value: T) => OpResult) =>
    log.run({ worker, kind, args, clockAt: ctx.clock.now() }, call, describe);

  /** Handles of what an issue, refresh or redemption returned, all of one grant. */
  const issued = (tokens: IssuedTokens, grant: GrantInfo, exclusive: boolean): OpResult => {
    const base = { client: grant.client, grant: grant.id, user: grant.user, userType: grant.userType, scopes: [...tokens.scopes].sort() };
    const access = handleOf(tokens.accessToken, { kind: 'access', ...base, exclusive, expiresAt: tokens.expiresAt });
    if (!pools.access.includes(access)) pools.access.push(access);
    pools.addGrant(grant.id);
    let refresh: string | undefined;
    if (tokens.refreshToken !== undefined) {
      refresh = handleOf(tokens.refreshToken, { kind: 'refresh', ...base, expiresAt: tokens.refreshTokenExpiresAt ?? null });
      pools.addRefresh(grant.id, refresh);
    }
    return { access, refresh, grant: grant.id, reused: tokens.reused };
  };
  const grantOfHandle = (handle: string): GrantInfo => grants.get(handles.get(handle)!.grant!)!;
  /** The grant a refresh or redemption returned, with the owner of the token presented (the sanity check compares the grants). */
  const sameOwner = (grantId: string, presented: GrantInfo): GrantInfo =>
    grants.get(shortGrant(grantId, { client: presented.client, user: presented.user, userType: presented.userType }))!;
  const pick = <T>(items: readonly T[], draw: number): T => items[indexOf(draw, items.length)]!;

  // Setup: the clients, each with a secret the history knows (registration is the first "set").
  for (const client of UNIVERSE.clients) {
    const secret = generateTokenValue();
    const handle = handleOf(secret, { kind: 'secret', client });
    await run(
      -1,
      'register',
      { client, handle },
      () =>
        fresh.registerClient({
          consumerKey: client,
          consumerSecret: secret,
          name: 'history client',
          grantTypes: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
          redirectUris: [UNIVERSE.redirectUri],
        }),
      () => ({ secret: handle }),
    );
    pools.secrets.set(client, [handle]);
  }

  const issue = (worker: number, d: number[]) => {
    const service = reuse !== null && d[0]! < 0.5 ? reuse : fresh;
    const application = d[1]! < 0.25;
    const client = pick(UNIVERSE.clients, d[2]!);
    const user = application ? client : pick(UNIVERSE.users, d[3]!);
    const userType = application ? UserType.Application : UserType.ApplicationUser;
    const scopes = [...pick(UNIVERSE.scopeSets, d[4]!)];
    const withRefresh = d[5]! < 0.5;
    const args: OpArgs = { service: service === reuse ? 'reuse' : 'fresh', client, user, userType, scopes, withRefresh };
    return run(
      worker,
      'issue',
      args,
      () =>
        service.issueAccessToken({ consumerKey: client, ...(application ? {} : { userId: user }), scopes, issueRefreshToken: withRefresh }),
      (tokens) => issued(tokens, grants.get(shortGrant(tokens.grantId, { client, user, userType }))!, service === reuse),
    );
  };

  const issueCode = (worker: number, d: number[]) => {
    const client = pick(UNIVERSE.clients, d[0]!);
    const user = pick(UNIVERSE.users, d[1]!);
    const scopes = [...pick(UNIVERSE.scopeSets, d[2]!)];
    return run(
      worker,
      'issueCode',
      { client, user, scopes },
      () => fresh.issueAuthorizationCode({ consumerKey: client, userId: user, scopes, redirectUri: UNIVERSE.redirectUri }),
      (code) => {
        const grant = shortGrant(code.grantId, { client, user, userType: UserType.ApplicationUser });
        const handle = handleOf(code.code, {
          kind: 'code',
          client,
          grant,
          user,
          userType: UserType.ApplicationUser,
          scopes: [...scopes].sort(),
          expiresAt: code.expiresAt,
        });
        pools.freshCodes.push(handle);
        pools.addGrant(grant);
        return { code: handle, grant };
      },
    );
  };

  const redeem = (worker: number, kind: 'redeem' | 'replay', handle: string, d: number[]) => {
    const grant = grantOfHandle(handle);
    const withRefresh = d[1]! < 0.8;
    return run(
      worker,
      kind,
      { handle, withRefresh },
      () =>
        fresh.redeemAuthorizationCode({
          code: plaintextOf(handle),
          consumerKey: grant.client,
          redirectUri: UNIVERSE.redirectUri,
          issueRefreshToken: withRefresh,
        }),
      (tokens) => issued(tokens, sameOwner(tokens.grantId, grant), false),
    );
  };

  async function execute(worker: number, plan: PlannedOp): Promise<void> {
    const d = plan.draws;
    const service = reuse !== null && d[5]! < 0.5 ? reuse : fresh;
    const serviceName = service === reuse ? 'reuse' : 'fresh';
    switch (plan.kind) {
      case 'issue':
        await issue(worker, d);
        return;
      case 'validate': {
        const handle = recent(pools.access, d[0]!);
        if (handle === undefined) return void (await issue(worker, d));
        await run(
          worker,
          'validate',
          { service: serviceName, handle },
          () => service.validateAccessToken(plaintextOf(handle)),
          (info) => ({ valid: info !== null, ...(info ? { validGrant: shortGrant(info.grantId) } : {}) }),
        );
        return;
      }
      case 'refresh': {
        const old = d[1]! < 0.25;
        const handle = pools.pickRefresh(d[0]!, old, d[2]!);
        if (handle === undefined) return void (await issue(worker, d));
        const grant = grantOfHandle(handle);
        await run(
          worker,
          'refresh',
          { service: serviceName, handle, old },
          () => service.refreshAccessToken({ refreshToken: plaintextOf(handle), consumerKey: grant.client }),
          (tokens) => issued(tokens, sameOwner(tokens.grantId, grant), false),
        );
        return;
      }
      case 'issueCode':
        await issueCode(worker, d);
        return;
      case 'redeem':
      case 'replay': {
        const pool = plan.kind === 'replay' && pools.usedCodes.length > 0 ? pools.usedCodes : pools.freshCodes;
        const handle = recent(pool, d[0]!);
        if (handle === undefined) return void (await issueCode(worker, d));
        if (pool === pools.freshCodes) {
          pools.freshCodes.splice(pools.freshCodes.indexOf(handle), 1);
          pools.usedCodes.push(handle);
        }
        await redeem(worker, pool === pools.usedCodes ? 'replay' : 'redeem', handle, d);
        return;
      }
      case 'revokeGrant': {
        const grant = recent(pools.grants, d[0]!);
        if (grant === undefined) return void (await issue(worker, d));
        await run(
          worker,
          'revokeGrant',
          { grant },
          () => fresh.revokeGrant(registry.grantId(grant)),
          (counts) => ({ note: `${counts.accessToken}/${counts.refreshToken}/${counts.authorizationCode}` }),
        );
        return;
      }
      case 'revokeUser': {
        const user = pick(UNIVERSE.users, d[0]!);
        const filterClient = d[1]! < 0.33 ? pick(UNIVERSE.clients, d[2]!) : undefined;
        const filterUserType = d[1]! >= 0.33 && d[1]! < 0.5 ? UserType.ApplicationUser : undefined;
        await run(
          worker,
          'revokeUser',
          { user, filterClient, filterUserType },
          () =>
            fresh.revokeTokensOfUser(user, {
              ...(filterClient ? { consumerKey: filterClient } : {}),
              ...(filterUserType ? { userType: filterUserType } : {}),
            }),
          (counts) => ({ note: `${counts.accessToken}/${counts.refreshToken}/${counts.authorizationCode}` }),
        );
        return;
      }
      case 'revokeClient': {
        const client = pick(UNIVERSE.clients, d[0]!);
        await run(
          worker,
          'revokeClient',
          { client },
          () => fresh.revokeTokensOfClient(client),
          (counts) => ({ note: `${counts.accessToken}/${counts.refreshToken}/${counts.authorizationCode}` }),
        );
        return;
      }
      case 'revokeToken': {
        const handle = recent(d[0]! < 0.6 ? pools.access : pools.refresh, d[1]!);
        if (handle === undefined) return void (await issue(worker, d));
        const hint = d[2]! < 0.33 ? undefined : d[2]! < 0.66 ? 'access_token' : 'refresh_token';
        await run(
          worker,
          'revokeToken',
          { handle, hint },
          () => fresh.revokeToken(plaintextOf(handle), hint),
          (revoked) => ({ revoked }),
        );
        return;
      }
      case 'regenerateSecret': {
        const client = pick(UNIVERSE.clients, d[0]!);
        const secret = generateTokenValue();
        ctx.recordPlaintext('history secret', secret);
        const handle = handleOf(secret, { kind: 'secret', client });
        const revokeTokens = d[1]! < 0.3;
        const { op } = await run(
          worker,
          'regenerateSecret',
          { client, handle, revokeTokens },
          () => fresh.regenerateClientSecret(client, { revokeTokens, consumerSecret: secret }),
          () => ({ secret: handle }),
        );
        if (op.outcome.status === 'ok') pools.secrets.get(client)!.push(handle);
        return;
      }
      case 'verifySecret': {
        const client = pick(UNIVERSE.clients, d[0]!);
        const secrets = pools.secrets.get(client)!;
        const handle = d[1]! < 0.7 ? secrets[secrets.length - 1]! : pick(secrets, d[2]!);
        await run(
          worker,
          'verifySecret',
          { service: serviceName, client, handle },
          () => service.verifyClientSecret(client, plaintextOf(handle)),
          (valid) => ({ valid }),
        );
        return;
      }
      case 'rewrap': {
        const target = protection.rewrap;
        if (target === null) return;
        const clientsOnly = d[0]! < 0.5;
        await rewrapLock(() =>
          run(
            worker,
            'rewrap',
            { scope: clientsOnly ? 'clients' : 'all' },
            () =>
              new RewrapJob(
                { store: observer.store, protector: target, events: fresh.events },
                // Half the passes convert client secrets only: short passes, so they meet regenerations more often.
                { batchSize: 100, ...(clientsOnly ? { kinds: ['client' as const] } : {}) },
              ).run(),
            (summary) => ({ note: `converted ${summary.totals.converted}, skipped ${summary.totals.skipped}` }),
          ),
        );
        return;
      }
      case 'purge':
        await purgeLock(() =>
          run(
            worker,
            'purge',
            {},
            async () => {
              const event = await fresh.purgeExpired();
              if (event.error) throw purgeFailure(event.error);
              return event;
            },
            (event) => ({ note: `removed ${event.removed.accessToken}/${event.removed.refreshToken}/${event.removed.authorizationCode}` }),
          ),
        );
        return;
      case 'advanceClock': {
        const ms = 1000 + Math.floor(d[0]! * 4001);
        await run(
          worker,
          'advanceClock',
          { ms },
          async () => ctx.clock.advance(ms),
          () => ({}),
        );
        return;
      }
    }
  }

  const deadline = performance.now() + options.durationMs;
  await Promise.all(
    Array.from({ length: options.workers }, async (_, worker) => {
      const rng = createPrng(workerSeed(options.seed, worker));
      for (let n = 0; n < options.maxOpsPerWorker && performance.now() < deadline; n++) await execute(worker, planOperation(rng));
    }),
  );

  const final = await observeEnd(ctx, fresh, protection.service, registry, observer.vanished);
  const record: HistoryRecord = { ops: log.ops, handles, grants, final };
  const counts: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const op of log.ops) {
    if (op.kind === 'register') continue;
    counts[op.kind] = (counts[op.kind] ?? 0) + 1;
    if (op.outcome.status === 'error') errors[op.outcome.code] = (errors[op.outcome.code] ?? 0) + 1;
  }
  return { record, violations: checkHistory(record), counts, errors, rewrap: protection.label };
}

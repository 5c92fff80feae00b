import { effectiveState, type Protector, type StoredRowByKind, TOKEN_KINDS, type TokenService } from '@tokenstore/core';
import type { ConformanceContext } from '../context.js';
import type { ActiveRow, FinalObservation } from './checker.js';
import type { VanishedRow } from './purge-observer.js';
import type { Registry } from './registry.js';

/** Reads the store back at the end: every handle's state, every ACTIVE row, which secrets verify. */
export async function observeEnd(
  ctx: ConformanceContext,
  service: TokenService,
  protector: Pick<Protector, 'lookupKeys'>,
  registry: Registry,
  vanished: readonly VanishedRow[],
): Promise<FinalObservation> {
  const clock = ctx.clock.now();
  const handleStates = new Map<string, string>();
  const secretsVerifying = new Map<string, boolean>();
  const handleOfKey = new Map<string, string>();
  for (const [id, handle] of registry.handles) {
    const value = registry.plaintextOf(id);
    for (const key of protector.lookupKeys(value)) handleOfKey.set(`${handle.kind}:${key}`, id);
    try {
      if (handle.kind === 'secret') secretsVerifying.set(id, await service.verifyClientSecret(handle.client, value));
      else {
        const record =
          handle.kind === 'access'
            ? await service.inspectAccessToken(value)
            : handle.kind === 'refresh'
              ? await service.inspectRefreshToken(value)
              : await service.inspectAuthorizationCode(value);
        handleStates.set(id, record?.state ?? 'MISSING');
      }
    } catch (error) {
      handleStates.set(id, `ERROR ${error instanceof Error ? error.name : typeof error}`);
    }
  }
  const activeRows: ActiveRow[] = [];
  const short = { accessToken: 'access', refreshToken: 'refresh', authorizationCode: 'code' } as const;
  for (const kind of TOKEN_KINDS) {
    let cursor: string | null = null;
    do {
      const page: { rows: StoredRowByKind[typeof kind][]; cursor: string | null } = await ctx.store.scan(kind, { cursor, limit: 500 });
      for (const row of page.rows) {
        if (effectiveState(row, clock) !== 'ACTIVE') continue;
        const grant = registry.grant(row.grantId, { client: row.consumerKey, user: row.userId, userType: row.userType });
        const exclusive = kind === 'accessToken' && (row as { exclusive?: boolean }).exclusive === true;
        activeRows.push({
          kind: short[kind],
          grant,
          handle: handleOfKey.get(`${short[kind]}:${row.key}`) ?? null,
          exclusive,
          reuseKey: exclusive ? `${row.consumerKey}|${row.userId}|${row.userType}|${[...row.scopes].sort().join(' ')}` : null,
        });
      }
      cursor = page.cursor;
    } while (cursor !== null);
  }
  return { clock, handleStates, activeRows, secretsVerifying, vanished };
}

import { MisconfigurationError } from '@tokenstore/core';

/**
 * Cassandra consistency levels by name. The numbers are the native-protocol codes (the same ones
 * `cassandra-driver` exposes as `types.consistencies`), so no driver import is needed to use them.
 */
export const CONSISTENCY_LEVELS = {
  ANY: 0x00,
  ONE: 0x01,
  TWO: 0x02,
  THREE: 0x03,
  QUORUM: 0x04,
  ALL: 0x05,
  LOCAL_QUORUM: 0x06,
  EACH_QUORUM: 0x07,
  SERIAL: 0x08,
  LOCAL_SERIAL: 0x09,
  LOCAL_ONE: 0x0a,
} as const;

export type ConsistencyLevel = keyof typeof CONSISTENCY_LEVELS;
export type SerialConsistencyLevel = 'SERIAL' | 'LOCAL_SERIAL';

/** Levels for one operation (or, at the top level of {@link ConsistencyOptions}, for all of them). */
export interface ConsistencySettings {
  /** Level of reads. Any level but ANY; SERIAL / LOCAL_SERIAL give linearizable reads. */
  read?: ConsistencyLevel;
  /**
   * Level of plain writes, and the commit level of lightweight transactions. ANY is accepted for plain
   * writes (lookup and index entries); a lightweight transaction is never committed at ANY: where the
   * write level is ANY, it commits at ONE instead (see README, "Consistency").
   */
  write?: ConsistencyLevel;
  /** Paxos level of lightweight transactions and of the read-back that resolves an unknown outcome. */
  serial?: SerialConsistencyLevel;
}

/**
 * The store's operations, each configurable on its own through `consistency.perOperation`, named
 * after the store primitives: `get` reads an access token by key (`get('accessToken')`, the gateway's
 * hot path, used by validate, inspect and revoke); `readRefreshToken` and `readAuthorizationCode` are
 * `get` of the other two kinds.
 */
export const STORE_OPERATIONS = [
  'get',
  'readRefreshToken',
  'readAuthorizationCode',
  'findActiveAccessToken',
  'insert',
  'compareAndSetState',
  'rotateRefreshToken',
  'revokeTokens',
  'clients',
  'purge',
  'lease',
  'scan',
  'replaceKey',
  // Provider artifacts (issue 14): every artifact primitive; their purge runs at the purge levels.
  'artifacts',
] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/**
 * Operations that exist for their lightweight transaction. Setting `write: 'ANY'` on one of them
 * explicitly is refused at construction: a lightweight transaction cannot be committed at ANY here.
 */
const ATOMIC_OPERATIONS: ReadonlySet<StoreOperation> = new Set(['compareAndSetState', 'rotateRefreshToken', 'lease', 'artifacts']);

export interface ConsistencyOptions extends ConsistencySettings {
  /** Overrides per operation; unset levels fall back to the top-level ones, then to the defaults. */
  perOperation?: Partial<Record<StoreOperation, ConsistencySettings>>;
}

/** Defaults: the Axway gateway's (read ONE, write ANY), with SERIAL for lightweight transactions. */
export const DEFAULT_CONSISTENCY: Required<ConsistencySettings> = { read: 'ONE', write: 'ANY', serial: 'SERIAL' };

/** Ready-made settings: `consistency: CONSISTENCY_PRESETS.production`. */
export const CONSISTENCY_PRESETS = {
  /** The Axway gateway defaults: fast, but no read-your-writes and no immediate revocation (see README). */
  axway: { read: 'ONE', write: 'ANY', serial: 'SERIAL' },
  /** Recommended for production: reads see every acknowledged write of the local data centre. */
  production: { read: 'LOCAL_QUORUM', write: 'LOCAL_QUORUM', serial: 'LOCAL_SERIAL' },
  /** Strongest across data centres, at the price of cross-DC latency on every call. */
  global: { read: 'QUORUM', write: 'QUORUM', serial: 'SERIAL' },
} as const satisfies Record<string, Required<ConsistencySettings>>;

/** The levels one operation runs with, by name (for display) and by protocol code (for the driver). */
export interface OperationConsistency {
  read: ConsistencyLevel;
  write: ConsistencyLevel;
  /** Commit level of this operation's lightweight transactions (never ANY). */
  commit: ConsistencyLevel;
  serial: SerialConsistencyLevel;
  /**
   * Level of every write and read of the lookup partitions (tokens by user, client and grant), which a
   * bulk revocation enumerates: QUORUM (LOCAL_QUORUM when the serial level is LOCAL_SERIAL), whatever
   * `read` and `write` say, so that a revocation's read always overlaps the write of every entry.
   */
  lookup: ConsistencyLevel;
  codes: { read: number; write: number; commit: number; serial: number; lookup: number };
}

export type ResolvedConsistency = Record<StoreOperation, OperationConsistency>;

const SETTING_KEYS = new Set(['read', 'write', 'serial']);

function isLevel(value: unknown): value is ConsistencyLevel {
  return typeof value === 'string' && Object.hasOwn(CONSISTENCY_LEVELS, value);
}

function checkLevel(option: string, value: unknown): ConsistencyLevel | undefined {
  if (value === undefined) return undefined;
  if (!isLevel(value))
    throw new MisconfigurationError(option, `unknown consistency level; use one of ${Object.keys(CONSISTENCY_LEVELS).join(', ')}`, {
      backend: 'cassandra',
    });
  return value;
}

/** Validates one settings object; `prefix` is its option path, e.g. `consistency.perOperation.get`. */
function checkSettings(prefix: string, value: unknown, operation?: StoreOperation): ConsistencySettings {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new MisconfigurationError(prefix, 'must be an object with read, write and/or serial', { backend: 'cassandra' });
  const settings = value as Record<string, unknown>;
  for (const key of Object.keys(settings)) {
    if (key === 'perOperation' && operation === undefined) continue;
    if (!SETTING_KEYS.has(key))
      throw new MisconfigurationError(`${prefix}.${key}`, 'unknown setting; use read, write or serial', { backend: 'cassandra' });
  }
  const read = checkLevel(`${prefix}.read`, settings.read);
  const write = checkLevel(`${prefix}.write`, settings.write);
  const serial = checkLevel(`${prefix}.serial`, settings.serial);
  if (read === 'ANY')
    throw new MisconfigurationError(`${prefix}.read`, 'ANY is a write-only level: a read at ANY guarantees nothing; use ONE or stronger', {
      backend: 'cassandra',
    });
  if (write === 'SERIAL' || write === 'LOCAL_SERIAL')
    throw new MisconfigurationError(
      `${prefix}.write`,
      `${write} is only valid as the serial level of a lightweight transaction; set it as "serial" and use e.g. QUORUM for write`,
      { backend: 'cassandra' },
    );
  if (serial !== undefined && serial !== 'SERIAL' && serial !== 'LOCAL_SERIAL')
    throw new MisconfigurationError(`${prefix}.serial`, `must be SERIAL or LOCAL_SERIAL (got ${serial})`, { backend: 'cassandra' });
  if (operation !== undefined && write === 'ANY' && ATOMIC_OPERATIONS.has(operation))
    throw new MisconfigurationError(
      `${prefix}.write`,
      `ANY cannot commit the lightweight transaction ${operation} relies on (a commit accepted only as a hint is not an outcome); use ONE or stronger`,
      { backend: 'cassandra' },
    );
  const result: ConsistencySettings = {};
  if (read !== undefined) result.read = read;
  if (write !== undefined) result.write = write;
  if (serial !== undefined) result.serial = serial as SerialConsistencyLevel;
  return result;
}

/**
 * Validates `consistency` and resolves the levels of every operation. Throws a
 * `MisconfigurationError` naming the option (e.g. `consistency.perOperation.get.read`) for any
 * level that is invalid where it is used, so a wrong setting fails at start-up, not on a request.
 */
export function resolveConsistency(options: ConsistencyOptions | undefined, optionName = 'consistency'): ResolvedConsistency {
  const global = { ...DEFAULT_CONSISTENCY, ...checkSettings(optionName, options) };
  const perOperation = options?.perOperation;
  if (perOperation !== undefined && (perOperation === null || typeof perOperation !== 'object' || Array.isArray(perOperation)))
    throw new MisconfigurationError(`${optionName}.perOperation`, 'must be an object keyed by operation name', { backend: 'cassandra' });
  for (const name of Object.keys(perOperation ?? {}))
    if (!(STORE_OPERATIONS as readonly string[]).includes(name))
      throw new MisconfigurationError(
        `${optionName}.perOperation.${name}`,
        `unknown operation; use one of ${STORE_OPERATIONS.join(', ')}`,
        {
          backend: 'cassandra',
        },
      );
  const revocationRead = perOperation?.revokeTokens?.read;
  if (
    revocationRead !== undefined &&
    revocationRead !== 'ALL' &&
    revocationRead !== lookupLevel(perOperation?.revokeTokens?.serial ?? global.serial)
  )
    throw new MisconfigurationError(
      `${optionName}.perOperation.revokeTokens.read`,
      `a bulk revocation reads the lookup partitions at ${lookupLevel(perOperation?.revokeTokens?.serial ?? global.serial)}, the level they are written at, whatever the read level: a weaker read could miss a token and report the revocation done. Remove this setting`,
      { backend: 'cassandra' },
    );
  const resolved = {} as ResolvedConsistency;
  for (const operation of STORE_OPERATIONS) {
    const own = checkSettings(`${optionName}.perOperation.${operation}`, perOperation?.[operation], operation);
    const read = own.read ?? global.read;
    const write = own.write ?? global.write;
    const serial = own.serial ?? global.serial;
    // Cassandra would accept ANY as a commit level, but a commit that exists only as a hint cannot be
    // read back at ONE; ONE is the weakest level at which a replica has applied the outcome.
    const commit: ConsistencyLevel = write === 'ANY' ? 'ONE' : write;
    const lookup = lookupLevel(serial);
    resolved[operation] = {
      read,
      write,
      commit,
      serial,
      lookup,
      codes: {
        read: CONSISTENCY_LEVELS[read],
        write: CONSISTENCY_LEVELS[write],
        commit: CONSISTENCY_LEVELS[commit],
        serial: CONSISTENCY_LEVELS[serial],
        lookup: CONSISTENCY_LEVELS[lookup],
      },
    };
  }
  return resolved;
}

/**
 * The level of the lookup partitions: a quorum of the replicas (of the local data centre when the
 * user chose LOCAL_SERIAL), for writes and reads alike, so R + W > RF whatever the ordinary levels.
 * A revocation then sees every token whose issue returned, and lightweight transactions need that
 * quorum anyway, so no operation loses availability by it.
 */
export function lookupLevel(serial: SerialConsistencyLevel): ConsistencyLevel {
  return serial === 'LOCAL_SERIAL' ? 'LOCAL_QUORUM' : 'QUORUM';
}

/** One line per distinct combination, e.g. `get: read ONE`, for logs and benchmark output. */
export function describeConsistency(resolved: ResolvedConsistency, operations: readonly StoreOperation[] = STORE_OPERATIONS): string {
  return operations
    .map((op) => {
      const c = resolved[op];
      return `${op}: read ${c.read}, write ${c.write}, lwt commit ${c.commit}, serial ${c.serial}, lookups ${c.lookup}`;
    })
    .join('\n');
}

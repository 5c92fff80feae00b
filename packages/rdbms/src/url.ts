import { MisconfigurationError } from '@tokenstore/core';

/** Every database a URL may name; the dialects available today are listed in `dialects/registry.ts`. */
export type DatabaseKind = 'postgres' | 'mysql' | 'mssql' | 'oracle' | 'db2';

const SCHEMES: Readonly<Record<string, DatabaseKind>> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
  'mssql:': 'mssql',
  'sqlserver:': 'mssql',
  'oracle:': 'oracle',
  'db2:': 'db2',
};

/** Query parameters tokenstore reads itself and removes before the URL reaches the driver. */
const POOL_SIZE_PARAMETER = 'poolSize';
const SCHEMA_PARAMETER = 'schema';
const MAX_POOL_SIZE = 1000;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface DatabaseUrl {
  readonly kind: DatabaseKind;
  /**
   * The URL for the driver, tokenstore's own parameters removed. It may hold a password: never
   * log it or put it in an error.
   */
  readonly connectionUrl: URL;
  /** `?poolSize=` — connections in the pool the store creates (driver default when absent). */
  readonly poolSize: number | undefined;
  /** `?schema=` — PostgreSQL schema to use (set as the connections' `search_path`). */
  readonly schema: string | undefined;
}

/**
 * Parses `postgres://`, `postgresql://`, `mysql://`, `mariadb://`, `mssql://` (`sqlserver://`),
 * `oracle://` and `db2://` URLs. Errors name the option and never echo the URL (it may carry a
 * password).
 */
export function parseDatabaseUrl(url: unknown): DatabaseUrl {
  if (typeof url !== 'string' || url.length === 0) throw new MisconfigurationError('url', 'must be a non-empty string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MisconfigurationError('url', 'is not a valid URL (expected e.g. postgres://user@host:5432/database)');
  }
  const kind = SCHEMES[parsed.protocol];
  if (kind === undefined)
    throw new MisconfigurationError(
      'url',
      `unsupported scheme "${parsed.protocol.replace(/[^a-z0-9+.-:]/gi, '')}"; expected one of ${Object.keys(SCHEMES)
        .map((scheme) => `${scheme}//`)
        .join(', ')}`,
    );
  if (parsed.hostname === '') throw new MisconfigurationError('url', 'has no host');
  const poolSize = readPoolSize(parsed.searchParams.get(POOL_SIZE_PARAMETER));
  const schema = readSchema(parsed.searchParams.get(SCHEMA_PARAMETER));
  parsed.searchParams.delete(POOL_SIZE_PARAMETER);
  parsed.searchParams.delete(SCHEMA_PARAMETER);
  return { kind, connectionUrl: parsed, poolSize, schema };
}

function readPoolSize(value: string | null): number | undefined {
  if (value === null) return undefined;
  const size = Number(value);
  if (!/^\d+$/.test(value) || size < 1 || size > MAX_POOL_SIZE)
    throw new MisconfigurationError('url', `parameter ${POOL_SIZE_PARAMETER} must be a whole number from 1 to ${MAX_POOL_SIZE}`);
  return size;
}

function readSchema(value: string | null): string | undefined {
  if (value === null) return undefined;
  if (!SCHEMA_NAME.test(value))
    throw new MisconfigurationError('url', `parameter ${SCHEMA_PARAMETER} must be an unquoted SQL identifier (letters, digits, _)`);
  return value;
}

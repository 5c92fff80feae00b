import { MisconfigurationError } from '@tokenstore/core';
import type { DatabaseUrl } from '../../url.js';

/** URL query parameters passed to tedious as connection options, with their types. */
const BOOLEAN_OPTIONS = ['encrypt', 'trustServerCertificate'] as const;
const NUMBER_OPTIONS = ['connectTimeout', 'requestTimeout'] as const;
const STRING_OPTIONS = ['instanceName', 'appName'] as const;
const KNOWN_OPTIONS: readonly string[] = [...BOOLEAN_OPTIONS, ...NUMBER_OPTIONS, ...STRING_OPTIONS];

/**
 * An `mssql` `ConnectionPool` config from `mssql://user:password@host:1433/database?encrypt=true`
 * (`sqlserver://` too). Query parameters: `encrypt`, `trustServerCertificate` (true/false),
 * `connectTimeout`, `requestTimeout` (ms), `instanceName`, `appName`, and tokenstore's `poolSize`.
 * Errors name the parameter, never the URL (it may hold a password).
 */
export function mssqlPoolConfig(url: DatabaseUrl): Record<string, unknown> {
  if (url.schema !== undefined)
    throw new MisconfigurationError('url', 'parameter schema is not supported for SQL Server; give the login a default schema instead');
  const parsed = url.connectionUrl;
  const options: Record<string, unknown> = {};
  for (const [name, value] of parsed.searchParams) {
    if (!KNOWN_OPTIONS.includes(name))
      throw new MisconfigurationError(
        'url',
        `unknown SQL Server parameter "${name.replace(/[^A-Za-z0-9_]/g, '')}"; known: ${KNOWN_OPTIONS.join(', ')}`,
      );
    options[name] = optionValue(name, value);
  }
  const config: Record<string, unknown> = { server: parsed.hostname, options };
  if (parsed.port !== '') config.port = Number(parsed.port);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database !== '') config.database = database;
  if (parsed.username !== '') config.user = decodeURIComponent(parsed.username);
  if (parsed.password !== '') config.password = decodeURIComponent(parsed.password);
  if (url.poolSize !== undefined) config.pool = { max: url.poolSize };
  return config;
}

function optionValue(name: string, value: string): unknown {
  if ((BOOLEAN_OPTIONS as readonly string[]).includes(name)) {
    if (value !== 'true' && value !== 'false') throw new MisconfigurationError('url', `parameter ${name} must be true or false`);
    return value === 'true';
  }
  if ((NUMBER_OPTIONS as readonly string[]).includes(name)) {
    if (!/^\d+$/.test(value)) throw new MisconfigurationError('url', `parameter ${name} must be a whole number of milliseconds`);
    return Number(value);
  }
  return value;
}

import { MisconfigurationError } from '@tokenstore/core';
import type { DatabaseUrl } from '../../url.js';

type SessionCallback = (
  connection: { execute(sql: string): Promise<unknown> },
  requestedTag: string,
  done: (error?: unknown) => void,
) => void;

/**
 * `oracledb.createPool` attributes from `oracle://user:password@host:1521/SERVICE_NAME`. Other query
 * parameters are kept as Easy Connect Plus parameters (`?transport_connect_timeout=10`);
 * tokenstore's `poolSize` sets `poolMax`, and `schema` sets each session's `CURRENT_SCHEMA`.
 * Errors name the parameter, never the URL (it may hold a password).
 */
export function oraclePoolAttributes(url: DatabaseUrl): Record<string, unknown> {
  const parsed = url.connectionUrl;
  const service = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (service === '') throw new MisconfigurationError('url', 'needs the service name as its path, e.g. oracle://user@host:1521/FREEPDB1');
  const port = parsed.port === '' ? '1521' : parsed.port;
  const host = parsed.hostname.includes(':') ? `[${parsed.hostname.replace(/^\[|\]$/g, '')}]` : parsed.hostname;
  const attributes: Record<string, unknown> = {
    connectString: `${host}:${port}/${service}${parsed.search}`,
    // Connections are opened on demand, so creating the store does not fail while the database starts.
    poolMin: 0,
  };
  if (parsed.username !== '') attributes.user = decodeURIComponent(parsed.username);
  if (parsed.password !== '') attributes.password = decodeURIComponent(parsed.password);
  if (url.poolSize !== undefined) attributes.poolMax = url.poolSize;
  if (url.schema !== undefined) attributes.sessionCallback = currentSchemaCallback(url.schema);
  return attributes;
}

/** Points every new session at `schema` (an identifier already checked by the URL parser). */
function currentSchemaCallback(schema: string): SessionCallback {
  return (connection, _requestedTag, done) => {
    connection.execute(`ALTER SESSION SET CURRENT_SCHEMA = ${schema}`).then(
      () => done(),
      (error: unknown) => done(error),
    );
  };
}

import type { DatabaseUrl } from '../../url.js';

/**
 * A `pg` `Pool` config from `postgres://user:password@host:5432/database` (`postgresql://` too):
 * the URL is the connection string; tokenstore's `poolSize` sets `max`, and `schema` becomes the
 * connections' `search_path` (an identifier already checked by the URL parser).
 */
export function postgresPoolConfig(url: DatabaseUrl): Record<string, unknown> {
  const config: Record<string, unknown> = { connectionString: url.connectionUrl.toString() };
  if (url.poolSize !== undefined) config.max = url.poolSize;
  if (url.schema !== undefined) config.options = `-c search_path=${url.schema}`;
  return config;
}

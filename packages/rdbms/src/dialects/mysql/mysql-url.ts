import type { DatabaseUrl } from '../../url.js';

/**
 * A `mysql2` pool config from `mysql://user:password@host:3306/database` (`mariadb://` too): the URL
 * is the `uri`; tokenstore's `poolSize` sets `connectionLimit`.
 */
export function mysqlPoolConfig(url: DatabaseUrl): Record<string, unknown> {
  const config: Record<string, unknown> = { uri: url.connectionUrl.toString() };
  if (url.poolSize !== undefined) config.connectionLimit = url.poolSize;
  return config;
}

/**
 * Node.js socket error codes that mean a backend cannot be reached or the connection broke: the one
 * list the SQL and Cassandra error classifiers share (each adds its driver's own codes).
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** True when `code` is one of {@link NETWORK_ERROR_CODES}. */
export function isNetworkErrorCode(code: unknown): boolean {
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * True for an `http:` redirect URI on the loopback interface — `http://127.0.0.1:<any port>/…`,
 * `http://[::1]:<any port>/…` or `http://localhost:<any port>/…` — without a fragment or user info
 * (RFC 8252 §7.3: native apps listen on an ephemeral port, so the port is not compared).
 */
export function isLoopbackRedirectUri(uri: string): boolean {
  if (typeof uri !== 'string' || uri.includes('#') || !URL.canParse(uri)) return false;
  const url = new URL(uri);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.username === '' && url.password === '';
}

/**
 * The redirect-URI policy: a URI registered for the client is accepted when it matches one exactly
 * (no normalisation, no prefix or wildcard); a client registered without any may use only a loopback
 * URI ({@link isLoopbackRedirectUri}), and only when `allowLoopback` is on.
 */
export function isAllowedRedirectUri(uri: string, registered: readonly string[], allowLoopback: boolean): boolean {
  if (typeof uri !== 'string') return false;
  if (registered.length > 0) return registered.includes(uri);
  return allowLoopback && isLoopbackRedirectUri(uri);
}

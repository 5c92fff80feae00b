/** Tagged lookup keys (`hmac-sha256:p1$…`, `sha256$…`) have their `$` this early. */
export const TAG_DOLLAR_LIMIT = 40;

/** The scheme tag of a lookup key (`hmac-sha256:p1`, `sha256`, or `plain`); never the key itself. */
export function schemeOf(key: string): string {
  const dollar = key.indexOf('$');
  return dollar > 0 && dollar < TAG_DOLLAR_LIMIT ? key.slice(0, dollar) : 'plain';
}

/**
 * The entry of an allow-list that stands for every `device_<id>` scope. WSO2 gives each device its
 * own token through `device_` scopes; a client that allows device scopes allows any device id, since
 * the ids are not known when the client is registered.
 */
export const DEVICE_SCOPE_WILDCARD = 'device_*';

const DEVICE_SCOPE = /^device_./;

/** True when `scope` is a `device_<id>` scope (at least one character after the prefix). */
export function isDeviceScope(scope: string): boolean {
  return DEVICE_SCOPE.test(scope);
}

/**
 * True when `allowed` (a client's or a global allow-list) permits `scope`: listed as is, or a
 * `device_<id>` scope while the list holds {@link DEVICE_SCOPE_WILDCARD}. Anything else is denied:
 * an empty list allows nothing.
 */
export function isScopeAllowed(scope: string, allowed: readonly string[]): boolean {
  if (allowed.includes(scope)) return true;
  return isDeviceScope(scope) && allowed.includes(DEVICE_SCOPE_WILDCARD);
}

import { readFileSync } from 'node:fs';
import { MAX_IDENTIFIER_LENGTH, MIN_CLIENT_SECRET_LENGTH, normalizeScopes } from '@tokenstore/core';
import { ConfigError } from './config-error.js';
import { type Environment, printable, readString, splitEntries } from './env-values.js';

/** The grant types the reference token service serves. */
export const GRANT_TYPES = ['client_credentials', 'password', 'authorization_code', 'refresh_token'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** Grants of a client configured as `id:secret` without a grant list. */
export const DEFAULT_CLIENT_GRANTS: readonly GrantType[] = ['client_credentials'];

/** A client the service registers (or updates) at start-up. */
export interface ClientConfig {
  clientId: string;
  /** Never printed, never in an error. */
  clientSecret: string;
  grants: GrantType[];
  redirectUris: string[];
  /** The scopes this client may request (normalised); `device_*` allows every `device_<id>`. Default none. */
  scopes: string[];
  /** May introspect every client's tokens (a resource server); otherwise only its own. Default false. */
  resourceServer: boolean;
  name?: string;
}

/** A user of the development login and the password grant. */
export interface UserConfig {
  username: string;
  /** Never printed, never in an error. */
  password: string;
}

const VARIABLE = 'TOKENSTORE_CLIENTS';
const USERS = 'TOKENSTORE_USERS';
const CLIENT_ID = /^[A-Za-z0-9._~-]+$/;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const JSON_FIELDS = ['clientId', 'clientSecret', 'grants', 'redirectUris', 'scopes', 'resourceServer', 'name'];

/**
 * `TOKENSTORE_CLIENTS`: `id:secret[:grant,grant…]` entries separated by whitespace, or the path of a
 * JSON file holding an array of `{ clientId, clientSecret, grants?, redirectUris?, name? }`. A value
 * that is one word without `:` (or ending in `.json`) is a path. `undefined` when unset.
 */
export function readClients(
  env: Environment,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ClientConfig[] | undefined {
  const value = readString(env, VARIABLE);
  if (value === undefined) return undefined;
  const entries = splitEntries(value);
  const isPath = entries.length === 1 && (!value.includes(':') || value.toLowerCase().endsWith('.json'));
  const clients = isPath ? readClientFile(value, readFile) : entries.map((entry, index) => parseClientEntry(entry, index + 1));
  const seen = new Set<string>();
  for (const client of clients) {
    if (seen.has(client.clientId)) throw new ConfigError(VARIABLE, `client "${client.clientId}" is configured twice`);
    seen.add(client.clientId);
  }
  return clients;
}

function parseClientEntry(entry: string, position: number): ClientConfig {
  const parts = entry.split(':');
  // Only the id may be named: the rest of the entry holds the secret.
  const where = CLIENT_ID.test(parts[0] ?? '') ? `client "${parts[0]}"` : `entry ${position}`;
  if (parts.length < 2 || parts.length > 3)
    throw new ConfigError(VARIABLE, `${where} must look like id:secret or id:secret:grant,grant (no other ":" allowed)`);
  const [id = '', secret = '', grants] = parts;
  return {
    clientId: checkClientId(id, `entry ${position}`),
    clientSecret: checkSecret(secret, where),
    grants: grants === undefined ? [...DEFAULT_CLIENT_GRANTS] : checkGrants(splitEntries(grants, true), where),
    redirectUris: [],
    scopes: [],
    resourceServer: false,
  };
}

function readClientFile(path: string, readFile: (path: string) => string): ClientConfig[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(VARIABLE, `cannot read the clients file "${printable(path)}"${code ? ` (${code})` : ''}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message may quote the file (and so a secret): say only where.
    throw new ConfigError(VARIABLE, `the clients file "${printable(path)}" is not valid JSON`);
  }
  if (!Array.isArray(parsed))
    throw new ConfigError(
      VARIABLE,
      `the clients file "${printable(path)}" must hold a JSON array of { clientId, clientSecret, grants?, redirectUris?, scopes?, resourceServer?, name? }`,
    );
  return parsed.map((item, index) => parseClientObject(item, `the clients file, entry ${index + 1}`));
}

function parseClientObject(item: unknown, at: string): ClientConfig {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ConfigError(VARIABLE, `${at} must be an object`);
  const record = item as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !JSON_FIELDS.includes(key));
  if (unknown !== undefined)
    throw new ConfigError(VARIABLE, `${at}: unknown field "${printable(unknown)}" (known: ${JSON_FIELDS.join(', ')})`);
  if (typeof record.clientId !== 'string') throw new ConfigError(VARIABLE, `${at}: clientId must be a string`);
  const clientId = checkClientId(record.clientId, at);
  const where = `client "${clientId}"`;
  if (typeof record.clientSecret !== 'string') throw new ConfigError(VARIABLE, `${where}: clientSecret must be a string`);
  const grants =
    record.grants === undefined ? [...DEFAULT_CLIENT_GRANTS] : checkGrants(stringList(record.grants, `${where}: grants`), where);
  const redirectUris = record.redirectUris === undefined ? [] : stringList(record.redirectUris, `${where}: redirectUris`);
  for (const uri of redirectUris) checkRedirectUri(uri, where);
  const scopes = record.scopes === undefined ? [] : checkScopes(stringList(record.scopes, `${where}: scopes`), where);
  if (record.resourceServer !== undefined && typeof record.resourceServer !== 'boolean')
    throw new ConfigError(VARIABLE, `${where}: resourceServer must be true or false`);
  if (
    record.name !== undefined &&
    (typeof record.name !== 'string' || record.name.trim() === '' || record.name.length > MAX_IDENTIFIER_LENGTH)
  )
    throw new ConfigError(VARIABLE, `${where}: name must be a non-empty string of at most ${MAX_IDENTIFIER_LENGTH} characters`);
  return {
    clientId,
    clientSecret: checkSecret(record.clientSecret, where),
    grants,
    redirectUris,
    scopes,
    resourceServer: record.resourceServer === true,
    ...(record.name === undefined ? {} : { name: record.name as string }),
  };
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new ConfigError(VARIABLE, `${what} must be an array of strings`);
  return value as string[];
}

function checkClientId(id: string, at: string): string {
  if (id === '' || id.length > MAX_IDENTIFIER_LENGTH || !CLIENT_ID.test(id))
    throw new ConfigError(VARIABLE, `${at}: the client id must be 1..${MAX_IDENTIFIER_LENGTH} characters of [A-Za-z0-9._~-]`);
  return id;
}

function checkSecret(secret: string, where: string): string {
  if (secret.length < MIN_CLIENT_SECRET_LENGTH || secret.length > 8192 || !VISIBLE_ASCII.test(secret))
    throw new ConfigError(
      VARIABLE,
      `${where}: the secret must be ${MIN_CLIENT_SECRET_LENGTH}..8192 visible ASCII characters (e.g. openssl rand -base64 32); it is not shown here`,
    );
  return secret;
}

function checkGrants(grants: string[], where: string): GrantType[] {
  if (grants.length === 0) throw new ConfigError(VARIABLE, `${where}: the grant list is empty`);
  for (const grant of grants)
    if (!(GRANT_TYPES as readonly string[]).includes(grant))
      throw new ConfigError(VARIABLE, `${where}: unknown grant "${printable(grant)}" (known: ${GRANT_TYPES.join(', ')})`);
  return [...new Set(grants)] as GrantType[];
}

function checkScopes(scopes: string[], where: string): string[] {
  try {
    return normalizeScopes('scopes', scopes);
  } catch {
    // Never quote the value: a misplaced secret must not reach the terminal.
    throw new ConfigError(VARIABLE, `${where}: scopes must be scope tokens (no spaces, quotes, backslashes or control characters)`);
  }
}

function checkRedirectUri(uri: string, where: string): void {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new ConfigError(VARIABLE, `${where}: redirect URI "${printable(uri)}" is not an absolute URI`);
  }
  if (parsed.hash !== '') throw new ConfigError(VARIABLE, `${where}: redirect URI "${printable(uri)}" must not have a fragment`);
}

/**
 * `TOKENSTORE_USERS`: `user:password` entries separated by whitespace (the password may contain `:`).
 * `undefined` when unset.
 */
export function readUsers(env: Environment): UserConfig[] | undefined {
  const value = readString(env, USERS);
  if (value === undefined) return undefined;
  const users: UserConfig[] = [];
  for (const [index, entry] of splitEntries(value).entries()) {
    const colon = entry.indexOf(':');
    const username = colon < 0 ? entry : entry.slice(0, colon);
    const where = CLIENT_ID.test(username) ? `user "${username}"` : `entry ${index + 1}`;
    if (colon < 0) throw new ConfigError(USERS, `${where} must look like user:password`);
    if (!CLIENT_ID.test(username) || username.length > MAX_IDENTIFIER_LENGTH)
      throw new ConfigError(USERS, `entry ${index + 1}: the user name must be 1..${MAX_IDENTIFIER_LENGTH} characters of [A-Za-z0-9._~-]`);
    const password = entry.slice(colon + 1);
    if (password === '') throw new ConfigError(USERS, `${where} has an empty password`);
    if (users.some((user) => user.username === username)) throw new ConfigError(USERS, `${where} is configured twice`);
    users.push({ username, password });
  }
  return users;
}

import { InvalidInputError } from './errors.js';

/**
 * The confirmation claim of a sender-constrained token (RFC 7800 `cnf`): the key or certificate the
 * presenter must prove possession of. `jkt`: the JWK SHA-256 thumbprint of a DPoP key (RFC 9449 §6);
 * `x5t#S256`: the SHA-256 thumbprint of a TLS client certificate (RFC 8705 §3.1). Both base64url.
 * Thumbprints are public values: stored as they are, in every protection mode.
 */
export interface Confirmation {
  jkt?: string;
  'x5t#S256'?: string;
}

/** The confirmation methods tokenstore stores, in the order they are serialised. */
export const CONFIRMATION_METHODS = ['jkt', 'x5t#S256'] as const satisfies ReadonlyArray<keyof Confirmation>;

// A SHA-256 digest in base64url without padding is 43 characters.
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * A confirmation from a request: an object with `jkt` and/or `x5t#S256`, each a base64url SHA-256
 * thumbprint; `undefined` when none was given. Unknown members are refused. Returns a new object.
 */
export function validateConfirmation(field: string, value: unknown): Confirmation | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidInputError(field, 'must be an object with jkt and/or x5t#S256');
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).find((name) => !(CONFIRMATION_METHODS as readonly string[]).includes(name));
  if (unknown !== undefined) throw new InvalidInputError(field, `unknown confirmation method ${JSON.stringify(unknown.slice(0, 32))}`);
  const out: Confirmation = {};
  for (const method of CONFIRMATION_METHODS) {
    const thumbprint = given[method];
    if (thumbprint === undefined) continue;
    if (typeof thumbprint !== 'string' || !THUMBPRINT.test(thumbprint))
      throw new InvalidInputError(`${field}.${method}`, 'must be a base64url SHA-256 thumbprint (43 characters)');
    out[method] = thumbprint;
  }
  if (out.jkt === undefined && out['x5t#S256'] === undefined) throw new InvalidInputError(field, 'must hold jkt or x5t#S256');
  return out;
}

/**
 * True when a request that proved `presented` may use a token bound to `bound`: every method of the
 * binding is proved with the same thumbprint (an unbound token asks for nothing).
 */
export function confirmationSatisfied(bound: Confirmation | undefined, presented: Confirmation | undefined): boolean {
  if (bound === undefined) return true;
  for (const method of CONFIRMATION_METHODS) {
    const thumbprint = bound[method];
    if (thumbprint !== undefined && presented?.[method] !== thumbprint) return false;
  }
  return true;
}

/** The text form a backend stores (JSON, members in a fixed order); `null` for an unbound token. */
export function encodeConfirmation(confirmation: Confirmation | undefined): string | null {
  if (confirmation === undefined) return null;
  const ordered: Confirmation = {};
  for (const method of CONFIRMATION_METHODS) if (confirmation[method] !== undefined) ordered[method] = confirmation[method];
  return JSON.stringify(ordered);
}

/**
 * The confirmation a backend read back ({@link encodeConfirmation}'s text, or a column that is `null` /
 * absent on rows written before the column existed); `undefined` for an unbound token.
 */
export function decodeConfirmation(text: unknown): Confirmation | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  const parsed: unknown = JSON.parse(String(text));
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const out: Confirmation = {};
  for (const method of CONFIRMATION_METHODS) {
    const thumbprint = (parsed as Record<string, unknown>)[method];
    if (typeof thumbprint === 'string') out[method] = thumbprint;
  }
  return out.jkt === undefined && out['x5t#S256'] === undefined ? undefined : out;
}

/** A copy a caller may keep (records must not share an object a store holds), or `undefined`. */
export function copyConfirmation(confirmation: Confirmation | undefined): Confirmation | undefined {
  return confirmation === undefined ? undefined : { ...confirmation };
}

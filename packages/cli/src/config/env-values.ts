import { ConfigError } from './config-error.js';

/** The environment the configuration is read from (`process.env` in the real process). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The trimmed value of `name`, or `undefined` when unset or blank. */
export function readString(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A whole number in `[min, max]`; the value is echoed in the error (never use for secrets). */
export function readInteger(
  env: Environment,
  name: string,
  options: { min: number; max: number; fallback?: number; what?: string },
): number | undefined {
  const value = readString(env, name);
  if (value === undefined) return options.fallback;
  if (!/^[+-]?\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new ConfigError(name, `must be a whole number${options.what ? ` of ${options.what}` : ''}, got "${printable(value)}"`);
  const number = Number(value);
  if (number < options.min || number > options.max)
    throw new ConfigError(name, `must be from ${options.min} to ${options.max}${options.what ? ` ${options.what}` : ''}, got ${number}`);
  return number;
}

/** A validity in seconds: a non-zero whole number, negative = never expires. */
export function readValidity(env: Environment, name: string, max: number): number | undefined {
  const value = readInteger(env, name, { min: -max, max, what: 'seconds' });
  if (value === 0) throw new ConfigError(name, 'must not be 0 (a validity in seconds; negative = never expires)');
  return value;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), case-insensitive. */
export function readBoolean(env: Environment, name: string, fallback: boolean): boolean {
  const value = readString(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ConfigError(name, `must be true or false, got "${printable(value)}"`);
}

/** One of `choices` (case-insensitive). */
export function readChoice<T extends string>(env: Environment, name: string, choices: readonly T[], fallback: T): T {
  const value = readString(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  const match = choices.find((choice) => choice === value);
  if (match === undefined) throw new ConfigError(name, `must be one of ${choices.join(', ')}, got "${printable(value)}"`);
  return match;
}

/** Entries separated by whitespace (and, where `commas` is set, commas). */
export function splitEntries(value: string, commas = false): string[] {
  return value.split(commas ? /[\s,]+/ : /\s+/).filter((entry) => entry !== '');
}

/** A short, single-line rendering of a non-secret value for an error message. */
export function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

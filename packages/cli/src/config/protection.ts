import { readFileSync } from 'node:fs';
import {
  createProtector,
  type EncryptProtectionOptions,
  isTokenStoreError,
  type ProtectionModeOptions,
  type ProtectionOptions,
  type SchemeAwareProtector,
} from '@tokenstore/core';
import { ConfigError, detailOf } from './config-error.js';
import { type Environment, printable, readBoolean, readChoice, readString, splitEntries } from './env-values.js';

export const PROTECTION_MODES = ['plain', 'hash', 'encrypt'] as const;
export type ProtectionMode = (typeof PROTECTION_MODES)[number];

/** The variables that configure protection at rest. */
export const PROTECTION_VARIABLES = {
  mode: 'TOKENSTORE_PROTECTION',
  fallback: 'TOKENSTORE_PROTECTION_FALLBACK',
  hashAlgorithm: 'TOKENSTORE_HASH_ALGORITHM',
  peppers: 'TOKENSTORE_PEPPERS',
  cipher: 'TOKENSTORE_CIPHER',
  keys: 'TOKENSTORE_ENCRYPTION_KEYS',
  transformation: 'TOKENSTORE_RSA_TRANSFORMATION',
  rehashOnRead: 'TOKENSTORE_REHASH_ON_READ',
} as const;

/** Protection at rest as configured, with the protector built (and so validated) from it. */
export interface ProtectionConfig {
  mode: ProtectionMode;
  /** Older modes rows may still be stored in (the migration read chain). */
  fallback: ProtectionMode[];
  /** For `createProtector()`. Holds key material: never print it. */
  options: ProtectionOptions;
  protector: SchemeAwareProtector;
  /** One line for logs, with ids and algorithms only, e.g. `hash (hmac-sha256, pepper p2; fallback: plain)`. */
  summary: string;
}

interface KeyEntry {
  id: string;
  material: string;
}

const V = PROTECTION_VARIABLES;
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;

/**
 * Reads the protection variables: the mode, its fallback chain for a migration, peppers
 * (`id:base64` entries, the first one active), the cipher and its keys (`id:base64` for AES-256-GCM,
 * `id:/path/to/private-key.pem` for RSA-OAEP; the first one active), then builds the protector so
 * every key is checked now. Errors name the variable and a key id at most.
 */
export function readProtection(
  env: Environment,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ProtectionConfig {
  const mode = readChoice(env, V.mode, PROTECTION_MODES, 'plain');
  const fallbackText = readString(env, V.fallback);
  const fallback = fallbackText === undefined ? [] : splitEntries(fallbackText, true).map((entry) => fallbackMode(entry, mode));
  if (new Set(fallback).size !== fallback.length) throw new ConfigError(V.fallback, 'names a mode twice');
  const modes = [mode, ...fallback];
  const rehashOnRead = readBoolean(env, V.rehashOnRead, false);

  const algorithm = readChoice(env, V.hashAlgorithm, ['hmac-sha256', 'sha256'] as const, 'hmac-sha256');
  if (readString(env, V.hashAlgorithm) !== undefined && !modes.includes('hash'))
    throw new ConfigError(V.hashAlgorithm, `is only used with hash protection (${V.mode} or ${V.fallback})`);
  const needsPeppers = modes.includes('encrypt') || (modes.includes('hash') && algorithm === 'hmac-sha256');
  const peppers = readKeyList(env, V.peppers);
  if (needsPeppers && peppers === undefined)
    throw new ConfigError(
      V.peppers,
      `is required by ${describeModes(mode, fallback)}: id:base64 entries, the first one active (e.g. p1:$(openssl rand -base64 32))`,
    );
  if (!needsPeppers && peppers !== undefined)
    throw new ConfigError(
      V.peppers,
      `is set but ${describeModes(mode, fallback)} uses no pepper${algorithm === 'sha256' ? ` (${V.hashAlgorithm}=sha256 is unpeppered)` : ''}`,
    );

  const cipher = readChoice(env, V.cipher, ['aes-256-gcm', 'rsa-oaep'] as const, 'aes-256-gcm');
  const keys = readKeyList(env, V.keys);
  const transformation = readString(env, V.transformation);
  if (modes.includes('encrypt')) {
    if (keys === undefined)
      throw new ConfigError(
        V.keys,
        `is required by encrypt protection: ${cipher === 'aes-256-gcm' ? 'id:base64 entries (e.g. k1:$(openssl rand -base64 32))' : 'id:/path/to/private-key.pem entries'}, the first one active`,
      );
    if (transformation !== undefined && cipher !== 'rsa-oaep')
      throw new ConfigError(V.transformation, `is only used with ${V.cipher}=rsa-oaep`);
  } else {
    for (const name of [V.keys, V.cipher, V.transformation])
      if (readString(env, name) !== undefined)
        throw new ConfigError(name, `is only used with encrypt protection (${V.mode} or ${V.fallback})`);
  }

  const pepperIds = peppers?.map((entry) => entry.id) ?? [];
  const keyIds = keys?.map((entry) => entry.id) ?? [];
  const build = (m: ProtectionMode): ProtectionModeOptions => {
    switch (m) {
      case 'plain':
        return { mode: 'plain' };
      case 'hash':
        return algorithm === 'sha256'
          ? { mode: 'hash', algorithm: 'sha256' }
          : { mode: 'hash', peppers: pepperRing(peppers), activePepper: peppers![0]!.id };
      case 'encrypt':
        return {
          mode: 'encrypt',
          peppers: pepperRing(peppers),
          activePepper: peppers![0]!.id,
          cipher: cipherOptions(cipher, keys!, transformation, readFile),
        } satisfies EncryptProtectionOptions;
    }
  };
  const options: ProtectionOptions = {
    ...build(mode),
    ...(fallback.length > 0 ? { fallback: fallback.map(build) } : {}),
    ...(rehashOnRead ? { rehashOnRead } : {}),
  };
  let protector: SchemeAwareProtector;
  try {
    protector = createProtector(options);
  } catch (error) {
    if (!isTokenStoreError(error)) throw error;
    throw new ConfigError(variableOfField(error.field ?? ''), `${entryOf(error.field ?? '', pepperIds, keyIds)}${detailOf(error)}`);
  }
  const details = [
    modes.includes('hash') ? algorithm : undefined,
    needsPeppers ? `pepper ${pepperIds[0]}` : undefined,
    modes.includes('encrypt') ? `${cipher} key ${keyIds[0]}` : undefined,
  ].filter((part) => part !== undefined);
  const summary = `${mode}${details.length > 0 ? ` (${details.join(', ')})` : ''}${fallback.length > 0 ? `; fallback: ${fallback.join(', ')}` : ''}${rehashOnRead ? '; rehash on read' : ''}`;
  return { mode, fallback, options, protector, summary };
}

function fallbackMode(entry: string, primary: ProtectionMode): ProtectionMode {
  const mode = entry.toLowerCase();
  if (!(PROTECTION_MODES as readonly string[]).includes(mode))
    throw new ConfigError(V.fallback, `must list modes among ${PROTECTION_MODES.join(', ')}, got "${printable(entry)}"`);
  if (mode === primary)
    throw new ConfigError(
      V.fallback,
      `repeats the current mode "${mode}" (old peppers and keys go after the active one in ${V.peppers} / ${V.keys})`,
    );
  return mode as ProtectionMode;
}

function describeModes(mode: ProtectionMode, fallback: ProtectionMode[]): string {
  return `${V.mode}=${mode}${fallback.length > 0 ? ` with ${V.fallback}=${fallback.join(',')}` : ''}`;
}

/** `id:material` entries separated by whitespace or commas; never echoes the material. */
function readKeyList(env: Environment, name: string): KeyEntry[] | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  const entries = splitEntries(value, true).map((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    if (colon < 0 || !KEY_ID.test(id))
      throw new ConfigError(
        name,
        `entry ${index + 1} must look like id:value, the id 1..16 characters of [A-Za-z0-9_-] (the value is not shown)`,
      );
    const material = entry.slice(colon + 1);
    if (material === '') throw new ConfigError(name, `entry "${id}" has no value`);
    return { id, material };
  });
  return entries;
}

function pepperRing(peppers: KeyEntry[] | undefined): Array<{ id: string; secret: string }> {
  return (peppers ?? []).map((entry) => ({ id: entry.id, secret: entry.material }));
}

function cipherOptions(
  cipher: 'aes-256-gcm' | 'rsa-oaep',
  keys: KeyEntry[],
  transformation: string | undefined,
  readFile: (path: string) => string,
): EncryptProtectionOptions['cipher'] {
  if (cipher === 'aes-256-gcm')
    return { algorithm: 'aes-256-gcm', keys: keys.map((entry) => ({ id: entry.id, key: entry.material })), activeKey: keys[0]!.id };
  const rsaKeys = keys.map((entry) => {
    let pem: string;
    try {
      pem = readFile(entry.material);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(
        V.keys,
        `entry "${entry.id}": cannot read the PEM file "${printable(entry.material)}"${code ? ` (${code})` : ''}`,
      );
    }
    return pem.includes('PRIVATE KEY') ? { id: entry.id, privateKeyPem: pem } : { id: entry.id, publicKeyPem: pem };
  });
  return {
    algorithm: 'rsa-oaep',
    keys: rsaKeys,
    activeKey: keys[0]!.id,
    ...(transformation === undefined ? {} : { transformation }),
  };
}

/** Which variable a `createProtector` option path comes from. */
function variableOfField(field: string): string {
  if (/peppers|activePepper/.test(field)) return V.peppers;
  if (/cipher\.transformation/.test(field)) return V.transformation;
  if (/cipher\.(keys|activeKey)/.test(field)) return V.keys;
  if (/cipher\.algorithm/.test(field)) return V.cipher;
  if (/algorithm/.test(field)) return V.hashAlgorithm;
  if (/fallback/.test(field)) return V.fallback;
  if (/rehashOnRead/.test(field)) return V.rehashOnRead;
  return V.mode;
}

/** `entry "p1": ` for an option path that points into a ring, so the operator knows which entry. */
function entryOf(field: string, pepperIds: string[], keyIds: string[]): string {
  const pepper = /peppers\[(\d+)\]/.exec(field);
  if (pepper) return `entry "${pepperIds[Number(pepper[1])] ?? pepper[1]}": `;
  const key = /cipher\.keys\[(\d+)\]/.exec(field);
  if (key) return `entry "${keyIds[Number(key[1])] ?? key[1]}": `;
  return '';
}

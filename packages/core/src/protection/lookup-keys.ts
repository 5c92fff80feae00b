import * as crypto from 'node:crypto';
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { MisconfigurationError } from '../errors.js';
import { decodeKeyMaterial, requireUniqueIds, validateKeyId } from './key-material.js';

type OneShotHash = (algorithm: string, data: string | Buffer, outputEncoding: 'hex' | 'latin1') => string;
/** crypto.hash (Node >= 20.12) skips the Hash object: several times faster for a short string. `undefined` before. */
export const oneShotHash = (crypto as unknown as { hash?: OneShotHash }).hash;
const SHA256_BLOCK_BYTES = 64;
// Values longer than this (in characters; UTF-8 may take 3 bytes each) take the createHmac path.
const FAST_PATH_MAX_CHARS = 8192;
const FAST_PATH_MAX_BYTES = FAST_PATH_MAX_CHARS * 3;

/** Algorithm tag of peppered lookup keys: `hmac-sha256:<pepperId>$<hex>`. */
export const HMAC_SHA256_TAG = 'hmac-sha256';
/** Tag of unpeppered (WSO2-compatible) lookup keys: `sha256$<hex>`. */
export const SHA256_TAG = 'sha256';

/** Shortest pepper accepted, in bytes: as long as the HMAC-SHA-256 output. */
export const MIN_PEPPER_BYTES = 32;

/** A server-side secret mixed into every lookup key, so a stolen table cannot be matched against guesses. */
export interface Pepper {
  /** 1..16 characters of [A-Za-z0-9_-]; it is written into every lookup key (never the secret). */
  id: string;
  /** At least 32 bytes: a Buffer, or standard Base64 as returned by `generatePepper()`. */
  secret: Buffer | string;
}

/** Derives the lookup key of a value under one scheme. */
export interface LookupKeyScheme {
  /** The tag written before `$`, e.g. `hmac-sha256:p1` or `sha256`. */
  readonly tag: string;
  derive(value: string): string;
  /** True when `key` was derived by this scheme (judged by its tag; the digest is not recomputed). */
  matchesTag(key: string): boolean;
}

/** HMAC-SHA-256 under one pepper, hex, tagged `hmac-sha256:<pepperId>$`. */
export class HmacSha256LookupKey implements LookupKeyScheme {
  readonly tag: string;
  readonly #prefix: string;
  // A KeyObject, so the secret is not copied into OpenSSL again on every lookup (slow path).
  readonly #secret: KeyObject;
  // Fast path (RFC 2104 spelled out over one-shot crypto.hash): the padded key blocks are computed once,
  // so a lookup is two one-shot hashes into preallocated buffers instead of building an Hmac object,
  // which costs more than the whole lookup on an in-memory store. Single-threaded, synchronous: safe.
  readonly #inner: Buffer | undefined;
  readonly #outer: Buffer | undefined;

  constructor(pepperId: string, secret: Buffer) {
    this.tag = `${HMAC_SHA256_TAG}:${pepperId}`;
    this.#prefix = `${this.tag}$`;
    this.#secret = createSecretKey(secret);
    if (oneShotHash) {
      const block = Buffer.alloc(SHA256_BLOCK_BYTES);
      (secret.length > SHA256_BLOCK_BYTES ? createHash('sha256').update(secret).digest() : secret).copy(block);
      this.#inner = Buffer.alloc(SHA256_BLOCK_BYTES + FAST_PATH_MAX_BYTES);
      this.#outer = Buffer.alloc(SHA256_BLOCK_BYTES + 32);
      for (let i = 0; i < SHA256_BLOCK_BYTES; i++) {
        this.#inner[i] = (block[i] as number) ^ 0x36;
        this.#outer[i] = (block[i] as number) ^ 0x5c;
      }
      block.fill(0);
    }
  }

  derive(value: string): string {
    const inner = this.#inner;
    const outer = this.#outer;
    if (oneShotHash && inner && outer && value.length <= FAST_PATH_MAX_CHARS) {
      const length = inner.write(value, SHA256_BLOCK_BYTES, 'utf8');
      const innerDigest = oneShotHash('sha256', inner.subarray(0, SHA256_BLOCK_BYTES + length), 'latin1');
      outer.write(innerDigest, SHA256_BLOCK_BYTES, 'latin1');
      return this.#prefix + oneShotHash('sha256', outer, 'hex');
    }
    return this.#prefix + createHmac('sha256', this.#secret).update(value, 'utf8').digest('hex');
  }

  matchesTag(key: string): boolean {
    return key.startsWith(this.#prefix);
  }
}

/**
 * Unpeppered SHA-256, hex, tagged `sha256$`: what WSO2's token hashing stores. Weaker than HMAC (a
 * leaked table can be checked against candidate values), but 256-bit random tokens are not guessable.
 */
export class Sha256LookupKey implements LookupKeyScheme {
  readonly tag = SHA256_TAG;

  derive(value: string): string {
    return `${SHA256_TAG}$` + sha256Hex(value);
  }

  matchesTag(key: string): boolean {
    return key.startsWith(`${SHA256_TAG}$`);
  }
}

function sha256Hex(value: string): string {
  return oneShotHash ? oneShotHash('sha256', value, 'hex') : createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The validated pepper ring of one protection mode: the active pepper derives new keys; older ones
 * still find rows written before a rotation.
 */
export class PepperRing {
  /** Active first, then the others in configuration order. */
  readonly schemes: readonly HmacSha256LookupKey[];
  readonly activeId: string;

  constructor(option: string, peppers: unknown, activePepper: unknown) {
    if (!Array.isArray(peppers) || peppers.length === 0)
      throw new MisconfigurationError(option, 'must list at least one pepper { id, secret } (create a secret with generatePepper())');
    const ids = peppers.map((pepper, index) => {
      if (pepper === null || typeof pepper !== 'object') throw new MisconfigurationError(`${option}[${index}]`, 'must be { id, secret }');
      return validateKeyId(`${option}[${index}].id`, (pepper as Pepper).id);
    });
    requireUniqueIds(option, ids);
    const secrets = peppers.map((pepper: Pepper, index) => {
      const secret = decodeKeyMaterial(`${option}[${index}].secret`, pepper.secret);
      if (secret.length < MIN_PEPPER_BYTES)
        throw new MisconfigurationError(`${option}[${index}].secret`, `must be at least ${MIN_PEPPER_BYTES} bytes (got ${secret.length})`);
      return secret;
    });
    const activeOption = option.replace(/peppers$/, 'activePepper');
    let active: string;
    if (activePepper === undefined) {
      if (ids.length > 1) throw new MisconfigurationError(activeOption, 'is required when several peppers are configured');
      active = ids[0]!;
    } else {
      if (typeof activePepper !== 'string' || !ids.includes(activePepper))
        throw new MisconfigurationError(activeOption, `must be the id of one of the configured peppers (${ids.join(', ')})`);
      active = activePepper;
    }
    const schemes = ids.map((id, index) => new HmacSha256LookupKey(id, secrets[index]!));
    this.activeId = active;
    this.schemes = [schemes[ids.indexOf(active)]!, ...schemes.filter((scheme) => scheme.tag !== `${HMAC_SHA256_TAG}:${active}`)];
  }

  get active(): HmacSha256LookupKey {
    return this.schemes[0]!;
  }

  /** True when `key` carries the tag of any pepper of the ring. */
  matchesAnyTag(key: string): boolean {
    return this.schemes.some((scheme) => scheme.matchesTag(key));
  }
}

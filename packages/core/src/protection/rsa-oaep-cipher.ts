import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { MisconfigurationError } from '../errors.js';
import { openAesGcm, sealAesGcm } from './aes-gcm-cipher.js';
import { requireUniqueIds, validateKeyId } from './key-material.js';
import { decryptionFailed, formatSealedValue, parseSealedValue } from './sealed-value.js';
import type { ValueCipher } from './value-cipher.js';

/** WSO2's default cipher transformation (seed 001). */
export const DEFAULT_RSA_TRANSFORMATION = 'RSA/ECB/OAEPwithSHA1andMGF1Padding';
const MIN_MODULUS_BITS = 2048;

/** One RSA key pair of the ring, e.g. exported from a Java keystore. */
export interface RsaKey {
  /** 1..16 characters of [A-Za-z0-9_-]; written into every value it seals. */
  id: string;
  /** SPKI or PKCS#1 PEM. May be omitted when `privateKeyPem` is given (the public half is derived). */
  publicKeyPem?: string;
  /** PKCS#8 or PKCS#1 PEM, unencrypted. Without it the key seals but cannot open (no reveal, no rewrap). */
  privateKeyPem?: string;
}

type OaepHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';
const HASH_BYTES: Record<OaepHash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
/** Scheme tags (JWA names where one exists); `+a256gcm` marks the hybrid form for long values. */
const SCHEME_OF_HASH: Record<OaepHash, string> = {
  sha1: 'rsa-oaep',
  sha256: 'rsa-oaep-256',
  sha384: 'rsa-oaep-384',
  sha512: 'rsa-oaep-512',
};
const HYBRID_SUFFIX = '+a256gcm';

/**
 * Parses a Java (JCA) cipher transformation such as `RSA/ECB/OAEPWithSHA-256AndMGF1Padding`.
 * Node applies the OAEP digest to MGF1 too: identical to Java for SHA-1 (WSO2's default); for the
 * SHA-2 variants it matches BouncyCastle, whereas SunJCE's default keeps MGF1 on SHA-1.
 */
export function parseRsaTransformation(option: string, transformation: unknown): OaepHash {
  if (typeof transformation !== 'string')
    throw new MisconfigurationError(option, 'must be a string such as "RSA/ECB/OAEPwithSHA1andMGF1Padding"');
  const normalized = transformation.replace(/\s+/g, '').toUpperCase();
  if (/^RSA\/(ECB|NONE)\/PKCS1PADDING$/.test(normalized) || normalized === 'RSA')
    throw new MisconfigurationError(option, 'PKCS#1 v1.5 padding is not supported (padding-oracle attacks); use an OAEP transformation');
  const match = /^RSA\/(?:ECB|NONE)\/OAEP(?:PADDING|WITH(SHA-?1|SHA-?256|SHA-?384|SHA-?512)ANDMGF1PADDING)$/.exec(normalized);
  if (!match)
    throw new MisconfigurationError(
      option,
      'unsupported transformation; use RSA/ECB/OAEPwithSHA1andMGF1Padding or RSA/ECB/OAEPWithSHA-256AndMGF1Padding (or SHA-384 / SHA-512)',
    );
  const digest = (match[1] ?? 'SHA1').replace('-', '').toLowerCase();
  return digest as OaepHash;
}

interface RingKey {
  publicKey: KeyObject;
  privateKey: KeyObject | null;
  modulusBytes: number;
}

/**
 * RSA-OAEP with a key ring, for keystore-based setups (seed 001). Values that fit one RSA block are
 * encrypted directly; longer ones (a caller-supplied JWT) get a random AES-256-GCM key wrapped by
 * RSA-OAEP. The associated data is the OAEP label. Costs about 1 ms of CPU per decryption at 2048
 * bits: lookups never decrypt, only token reuse and rewrap do.
 */
export class RsaOaepCipher implements ValueCipher {
  readonly algorithm = 'rsa-oaep' as const;
  readonly canOpen: boolean;
  readonly activeKeyId: string;
  readonly oaepHash: OaepHash;
  readonly #keys: Map<string, RingKey>;

  constructor(option: string, keys: unknown, activeKey: unknown, transformation: unknown) {
    this.oaepHash = parseRsaTransformation(`${option}.transformation`, transformation ?? DEFAULT_RSA_TRANSFORMATION);
    if (!Array.isArray(keys) || keys.length === 0)
      throw new MisconfigurationError(`${option}.keys`, 'must list at least one key { id, publicKeyPem, privateKeyPem }');
    const ids = keys.map((entry, index) => {
      if (entry === null || typeof entry !== 'object')
        throw new MisconfigurationError(`${option}.keys[${index}]`, 'must be { id, publicKeyPem, privateKeyPem }');
      return validateKeyId(`${option}.keys[${index}].id`, (entry as RsaKey).id);
    });
    requireUniqueIds(`${option}.keys`, ids);
    this.#keys = new Map(keys.map((entry: RsaKey, index) => [ids[index]!, loadRingKey(`${option}.keys[${index}]`, entry)]));
    if (typeof activeKey !== 'string' || !this.#keys.has(activeKey))
      throw new MisconfigurationError(`${option}.activeKey`, `must be the id of one of the configured keys (${ids.join(', ')})`);
    this.activeKeyId = activeKey;
    this.canOpen = this.#keys.get(activeKey)!.privateKey !== null;
  }

  seal(plaintext: string, associatedData: string): string {
    const key = this.#keys.get(this.activeKeyId)!;
    const bytes = Buffer.from(plaintext, 'utf8');
    const label = Buffer.from(associatedData, 'utf8');
    const scheme = SCHEME_OF_HASH[this.oaepHash];
    const maxDirect = key.modulusBytes - 2 * HASH_BYTES[this.oaepHash] - 2;
    if (bytes.length <= maxDirect) return formatSealedValue(scheme, this.activeKeyId, this.#encrypt(key, bytes, label));
    const contentKey = randomBytes(32);
    const wrapped = this.#encrypt(key, contentKey, label);
    return formatSealedValue(
      scheme + HYBRID_SUFFIX,
      this.activeKeyId,
      Buffer.concat([wrapped, sealAesGcm(contentKey, bytes, associatedData)]),
    );
  }

  open(sealed: string, associatedData: string): string {
    const parsed = parseSealedValue(sealed);
    const form = parsed ? schemeForm(parsed.scheme) : null;
    if (!parsed || !form) throw decryptionFailed('not an RSA-OAEP sealed value');
    const key = this.#keys.get(parsed.keyId);
    if (!key) throw decryptionFailed('unknown key id', parsed.keyId);
    if (!key.privateKey) throw decryptionFailed('the key has no private key configured', parsed.keyId);
    const label = Buffer.from(associatedData, 'utf8');
    if (!form.hybrid) return this.#decrypt(key.privateKey, form.hash, parsed.payload, label, parsed.keyId).toString('utf8');
    if (parsed.payload.length <= key.modulusBytes) throw decryptionFailed('sealed value is truncated', parsed.keyId);
    const contentKey = this.#decrypt(key.privateKey, form.hash, parsed.payload.subarray(0, key.modulusBytes), label, parsed.keyId);
    if (contentKey.length !== 32) throw decryptionFailed('wrapped content key has the wrong length', parsed.keyId);
    return openAesGcm(contentKey, parsed.payload.subarray(key.modulusBytes), associatedData, parsed.keyId);
  }

  recognizes(sealed: string): boolean {
    const parsed = parseSealedValue(sealed);
    return parsed !== null && schemeForm(parsed.scheme) !== null && this.#keys.has(parsed.keyId);
  }

  isCurrent(sealed: string): boolean {
    const parsed = parseSealedValue(sealed);
    const form = parsed ? schemeForm(parsed.scheme) : null;
    return parsed !== null && form !== null && form.hash === this.oaepHash && parsed.keyId === this.activeKeyId;
  }

  #encrypt(key: RingKey, data: Buffer, label: Buffer): Buffer {
    return publicEncrypt(
      { key: key.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: this.oaepHash, oaepLabel: label },
      data,
    );
  }

  #decrypt(privateKey: KeyObject, hash: OaepHash, data: Buffer, label: Buffer, keyId: string): Buffer {
    try {
      return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash, oaepLabel: label }, data);
    } catch (error) {
      throw decryptionFailed('RSA-OAEP decryption failed (tampered, truncated, moved to another row, or the wrong key)', keyId, error);
    }
  }
}

function schemeForm(scheme: string): { hash: OaepHash; hybrid: boolean } | null {
  const hybrid = scheme.endsWith(HYBRID_SUFFIX);
  const base = hybrid ? scheme.slice(0, -HYBRID_SUFFIX.length) : scheme;
  const hash = (Object.keys(SCHEME_OF_HASH) as OaepHash[]).find((candidate) => SCHEME_OF_HASH[candidate] === base);
  return hash === undefined ? null : { hash, hybrid };
}

function loadRingKey(option: string, entry: RsaKey): RingKey {
  if (entry.publicKeyPem === undefined && entry.privateKeyPem === undefined)
    throw new MisconfigurationError(`${option}.publicKeyPem`, 'is required (or give privateKeyPem, from which it is derived)');
  let privateKey: KeyObject | null = null;
  if (entry.privateKeyPem !== undefined) {
    try {
      privateKey = createPrivateKey({ key: requirePem(`${option}.privateKeyPem`, entry.privateKeyPem), format: 'pem' });
    } catch (error) {
      if (error instanceof MisconfigurationError) throw error;
      throw new MisconfigurationError(`${option}.privateKeyPem`, 'is not an unencrypted PEM private key');
    }
  }
  let publicKey: KeyObject;
  try {
    publicKey =
      entry.publicKeyPem === undefined
        ? createPublicKey(privateKey!)
        : createPublicKey({ key: requirePem(`${option}.publicKeyPem`, entry.publicKeyPem), format: 'pem' });
  } catch (error) {
    if (error instanceof MisconfigurationError) throw error;
    throw new MisconfigurationError(`${option}.publicKeyPem`, 'is not a PEM public key');
  }
  if (publicKey.asymmetricKeyType !== 'rsa') throw new MisconfigurationError(`${option}.publicKeyPem`, 'must be an RSA key');
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_MODULUS_BITS)
    throw new MisconfigurationError(`${option}.publicKeyPem`, `must have at least ${MIN_MODULUS_BITS} bits (got ${bits})`);
  if (privateKey) {
    const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    if (!derived.equals(publicKey.export({ type: 'spki', format: 'der' })))
      throw new MisconfigurationError(`${option}.privateKeyPem`, 'does not belong to the public key of the same entry');
  }
  return { publicKey, privateKey, modulusBytes: Math.ceil(bits / 8) };
}

function requirePem(option: string, pem: unknown): string {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) throw new MisconfigurationError(option, 'must be a PEM string');
  return pem;
}

/**
 * A new RSA key pair as PEM (SPKI public, PKCS#8 private). Synchronous: 2048 bits takes around
 * 50–500 ms of CPU. For production keys prefer your usual tooling (openssl, keytool).
 */
export function generateRsaKeyPair(modulusLength = 2048): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

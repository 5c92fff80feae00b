import { MisconfigurationError } from '../errors.js';
import { AesGcmCipher } from './aes-gcm-cipher.js';
import { EncryptProtector } from './encrypt-protector.js';
import { HashProtector } from './hash-protector.js';
import { PepperRing, Sha256LookupKey } from './lookup-keys.js';
import { MigratingProtector } from './migrating-protector.js';
import { PlainProtector } from './plain-protector.js';
import type { ProtectionModeOptions, ProtectionOptions } from './protection-options.js';
import type { SchemeAwareProtector } from './protector.js';
import { RsaOaepCipher } from './rsa-oaep-cipher.js';
import type { ValueCipher } from './value-cipher.js';

const ROOT = 'protection';

const MODE_FIELDS: Record<string, readonly string[]> = {
  plain: ['mode'],
  hash: ['mode', 'algorithm', 'peppers', 'activePepper'],
  encrypt: ['mode', 'peppers', 'activePepper', 'cipher'],
};
const MIGRATION_FIELDS = ['fallback', 'rehashOnRead'];

/**
 * Builds the protector the service keeps values with, validating every option at start-up (errors
 * name the option, never key material):
 *
 * ```ts
 * createProtector({ mode: 'hash', peppers: [{ id: 'p1', secret: process.env.PEPPER_P1! }] });
 * createProtector({
 *   mode: 'encrypt',
 *   peppers: [{ id: 'p1', secret: pepper }],
 *   cipher: { algorithm: 'aes-256-gcm', keys: [{ id: 'k1', key: aesKey }], activeKey: 'k1' },
 *   fallback: [{ mode: 'plain' }], // rows written before encryption was switched on
 * });
 * ```
 */
export function createProtector(options: ProtectionOptions): SchemeAwareProtector {
  const primary = createModeProtector(ROOT, options, MIGRATION_FIELDS);
  const fallback = options.fallback;
  if (fallback !== undefined && !Array.isArray(fallback))
    throw new MisconfigurationError(`${ROOT}.fallback`, 'must be an array of protection modes (oldest last)');
  const rehashOnRead = options.rehashOnRead ?? false;
  if (typeof rehashOnRead !== 'boolean') throw new MisconfigurationError(`${ROOT}.rehashOnRead`, 'must be a boolean');
  const fallbacks = (fallback ?? []).map((entry, index) => createModeProtector(`${ROOT}.fallback[${index}]`, entry, []));
  if (fallbacks.length === 0 && !rehashOnRead) return primary;
  return new MigratingProtector(primary, fallbacks, rehashOnRead);
}

function createModeProtector(option: string, options: ProtectionModeOptions, extraFields: readonly string[]): SchemeAwareProtector {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new MisconfigurationError(option, 'must be an object such as { mode: "hash", peppers: [...] }');
  const fields = MODE_FIELDS[options.mode];
  if (fields === undefined) throw new MisconfigurationError(`${option}.mode`, 'must be "plain", "hash" or "encrypt"');
  const unknown = Object.keys(options).find((name) => !fields.includes(name) && !extraFields.includes(name));
  if (unknown !== undefined)
    throw new MisconfigurationError(
      `${option}.${unknown}`,
      `is not an option of mode "${options.mode}"${unknown === 'fallback' ? ' here (fallbacks do not nest)' : ''}`,
    );

  switch (options.mode) {
    case 'plain':
      return new PlainProtector();
    case 'hash': {
      const algorithm = options.algorithm ?? 'hmac-sha256';
      if (algorithm === 'sha256') {
        if (options.peppers !== undefined || options.activePepper !== undefined)
          throw new MisconfigurationError(
            `${option}.peppers`,
            'is not used with algorithm "sha256" (unpeppered); use "hmac-sha256" for peppers',
          );
        return new HashProtector([new Sha256LookupKey()]);
      }
      if (algorithm !== 'hmac-sha256') throw new MisconfigurationError(`${option}.algorithm`, 'must be "hmac-sha256" or "sha256"');
      return new HashProtector(new PepperRing(`${option}.peppers`, options.peppers, options.activePepper).schemes);
    }
    case 'encrypt': {
      const peppers = new PepperRing(`${option}.peppers`, options.peppers, options.activePepper);
      return new EncryptProtector(peppers, createCipher(`${option}.cipher`, options.cipher));
    }
  }
}

function createCipher(option: string, cipher: unknown): ValueCipher {
  if (cipher === null || typeof cipher !== 'object')
    throw new MisconfigurationError(option, 'is required: { algorithm: "aes-256-gcm", keys, activeKey } or { algorithm: "rsa-oaep", … }');
  const spec = cipher as Record<string, unknown>;
  const allowed = spec.algorithm === 'rsa-oaep' ? ['algorithm', 'transformation', 'keys', 'activeKey'] : ['algorithm', 'keys', 'activeKey'];
  const unknown = Object.keys(spec).find((name) => !allowed.includes(name));
  if (unknown !== undefined)
    throw new MisconfigurationError(`${option}.${unknown}`, `is not an option of cipher "${String(spec.algorithm)}"`);
  if (spec.algorithm === 'aes-256-gcm') return new AesGcmCipher(option, spec.keys, spec.activeKey);
  if (spec.algorithm === 'rsa-oaep') return new RsaOaepCipher(option, spec.keys, spec.activeKey, spec.transformation);
  throw new MisconfigurationError(`${option}.algorithm`, 'must be "aes-256-gcm" or "rsa-oaep"');
}

import { createProtector, generateAesKey, generatePepper, generateRsaKeyPair, PlainProtector } from '@tokenstore/core';
import type { ProtectionModeCase } from './options.js';

// One set of keys per process: every test of a mode shares them, as a deployment would.
const PEPPER = { id: 'conf1', secret: generatePepper() };
const AES_KEY = { id: 'aes1', key: generateAesKey() };
let rsaKeyPair: { publicKeyPem: string; privateKeyPem: string } | undefined;
/** Made on first use: a 2048-bit key pair costs ~100 ms, paid once per process and only if an RSA mode runs. */
function rsaKeys(): { publicKeyPem: string; privateKeyPem: string } {
  rsaKeyPair ??= generateRsaKeyPair(2048);
  return rsaKeyPair;
}

/**
 * Every protection mode the suite runs each test in. Adding a mode here runs the whole suite in it for
 * every backend.
 */
export const PROTECTION_MODE_CASES: ProtectionModeCase[] = [
  { name: 'plain', createProtector: () => new PlainProtector() },
  { name: 'hash', createProtector: () => createProtector({ mode: 'hash', peppers: [PEPPER] }) },
  { name: 'hash-sha256', createProtector: () => createProtector({ mode: 'hash', algorithm: 'sha256' }) },
  {
    name: 'encrypt',
    createProtector: () =>
      createProtector({ mode: 'encrypt', peppers: [PEPPER], cipher: { algorithm: 'aes-256-gcm', keys: [AES_KEY], activeKey: AES_KEY.id } }),
  },
  {
    name: 'encrypt-rsa',
    createProtector: () =>
      createProtector({
        mode: 'encrypt',
        peppers: [PEPPER],
        cipher: {
          algorithm: 'rsa-oaep',
          transformation: 'RSA/ECB/OAEPwithSHA1andMGF1Padding',
          keys: [{ id: 'rsa1', ...rsaKeys() }],
          activeKey: 'rsa1',
        },
      }),
  },
];

/** The modes a run covers, in the order they run: `names` (from `ConformanceOptions.modes`) or all of them. */
export function selectModes(names: readonly string[] | undefined): ProtectionModeCase[] {
  if (names === undefined) return PROTECTION_MODE_CASES;
  const unknown = names.filter((name) => !PROTECTION_MODE_CASES.some((mode) => mode.name === name));
  if (unknown.length > 0)
    throw new Error(
      `[conformance] unknown protection mode ${unknown.join(', ')}; known: ${PROTECTION_MODE_CASES.map((m) => m.name).join(', ')}`,
    );
  return PROTECTION_MODE_CASES.filter((mode) => names.includes(mode.name));
}

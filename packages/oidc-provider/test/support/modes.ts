import { randomBytes } from 'node:crypto';
import { createProtector, type ProtectionOptions, type Protector } from '@tokenstore/core';

const pepper = randomBytes(32).toString('base64');
const aesKey = randomBytes(32).toString('base64');

/** The protection configurations of the end-to-end flows. */
export const E2E_PROTECTION: Record<'plain' | 'hash' | 'encrypt', ProtectionOptions> = {
  plain: { mode: 'plain' },
  hash: { mode: 'hash', peppers: [{ id: 'p1', secret: pepper }] },
  encrypt: {
    mode: 'encrypt',
    peppers: [{ id: 'p1', secret: pepper }],
    cipher: { algorithm: 'aes-256-gcm', keys: [{ id: 'k1', key: aesKey }], activeKey: 'k1' },
  },
};

/** The protection modes the end-to-end flows run in. */
export const E2E_MODES: Record<'plain' | 'hash' | 'encrypt', () => Protector> = {
  plain: () => createProtector(E2E_PROTECTION.plain),
  hash: () => createProtector(E2E_PROTECTION.hash),
  encrypt: () => createProtector(E2E_PROTECTION.encrypt),
};

import { randomBytes } from 'node:crypto';
import { createProtector, type Protector } from '@tokenstore/core';

const pepper = randomBytes(32).toString('base64');
const aesKey = randomBytes(32).toString('base64');

/** The protection modes the end-to-end flows run in. */
export const E2E_MODES: Record<'plain' | 'hash' | 'encrypt', () => Protector> = {
  plain: () => createProtector({ mode: 'plain' }),
  hash: () => createProtector({ mode: 'hash', peppers: [{ id: 'p1', secret: pepper }] }),
  encrypt: () =>
    createProtector({
      mode: 'encrypt',
      peppers: [{ id: 'p1', secret: pepper }],
      cipher: { algorithm: 'aes-256-gcm', keys: [{ id: 'k1', key: aesKey }], activeKey: 'k1' },
    }),
};

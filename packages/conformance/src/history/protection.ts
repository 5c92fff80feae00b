import {
  createProtector,
  generateAesKey,
  generatePepper,
  MigratingProtector,
  type Protector,
  type SchemeAwareProtector,
} from '@tokenstore/core';

/** How the history protects values, and the rewrap it can run over the store meanwhile. */
export interface HistoryProtection {
  /** What the services write and read with. */
  service: Protector;
  /** What a rewrap pass converts rows to; `null` when the mode allows no conversion. */
  rewrap: Protector | null;
  /** For the printed summary, e.g. `plain→encrypt` or `skipped (...)`. */
  label: string;
}

function isSchemeAware(protector: Protector): protector is SchemeAwareProtector {
  return typeof (protector as Partial<SchemeAwareProtector>).owns === 'function';
}

/**
 * The simplest conversion the mode allows, run again and again: the services write in the mode's own
 * form and read a second, encrypted form as a fallback; each rewrap pass converts every row (and client
 * secret) the services wrote since the last pass to that second form. The second form has its own pepper,
 * so its lookup keys differ and every conversion really moves a row to a new key. A one-way mode (hash)
 * keeps no plaintext to convert, so it runs without rewrap.
 */
export function historyProtection(modeName: string, mode: Protector): HistoryProtection {
  if (!mode.recoverable || !isSchemeAware(mode))
    return { service: mode, rewrap: null, label: `skipped (${modeName} keeps no plaintext to convert)` };
  const target = createProtector({
    mode: 'encrypt',
    peppers: [{ id: 'hist1', secret: generatePepper() }],
    cipher: { algorithm: 'aes-256-gcm', keys: [{ id: 'hist1', key: generateAesKey() }], activeKey: 'hist1' },
  });
  return {
    service: new MigratingProtector(mode, [target], false),
    rewrap: new MigratingProtector(target, [mode], false),
    label: `${modeName}→encrypt`,
  };
}

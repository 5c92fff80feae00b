import {
  createProtector,
  generateAesKey,
  generatePepper,
  MigratingProtector,
  PlainProtector,
  type Protector,
  type SchemeAwareProtector,
} from '@tokenstore/core';
import type { ConformanceContext } from '../../context.js';

/** Keys of the "before" form of a migration whose target is plain (see {@link migration}). */
const LEGACY_PEPPER = { id: 'legacy1', secret: generatePepper() };
const LEGACY_AES = { id: 'legacy1', key: generateAesKey() };

/**
 * A realistic rewrap in this mode: clients written under `legacy` (plain, or for the plain mode an
 * encrypting configuration being switched off), converted to the mode's protection by a job that
 * reads both forms through `current` (the mode's protector with `legacy` as fallback).
 */
export function migration(ctx: ConformanceContext): { legacy: Protector; current: Protector } {
  const target = ctx.protector as SchemeAwareProtector;
  const legacy =
    target.mode === 'plain'
      ? createProtector({
          mode: 'encrypt',
          peppers: [LEGACY_PEPPER],
          cipher: { algorithm: 'aes-256-gcm', keys: [LEGACY_AES], activeKey: LEGACY_AES.id },
        })
      : new PlainProtector();
  return { legacy, current: new MigratingProtector(target, [legacy], false) };
}

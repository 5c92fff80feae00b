import {
  CassandraStore,
  CONSISTENCY_LEVELS,
  CONSISTENCY_PRESETS,
  type ConsistencyOptions,
  resolveConsistency,
  STORE_OPERATIONS,
} from '@tokenstore/cassandra';
import { ErrorCode, MisconfigurationError } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

/** The MisconfigurationError `build` throws (fails the test if it does not throw one). */
function misconfiguration(build: () => unknown): MisconfigurationError {
  try {
    build();
  } catch (error) {
    if (error instanceof MisconfigurationError) return error;
    throw error;
  }
  throw new Error('expected a MisconfigurationError');
}

const store = (consistency: ConsistencyOptions) => new CassandraStore({ url: 'cassandra://127.0.0.1/?dc=dc1', consistency });

describe('consistency levels', () => {
  it('defaults to the Axway gateway levels: read ONE, write ANY, serial SERIAL, for every operation', () => {
    const resolved = resolveConsistency(undefined);
    for (const operation of STORE_OPERATIONS) expect(resolved[operation]).toMatchObject({ read: 'ONE', write: 'ANY', serial: 'SERIAL' });
  });

  it('writes and reads the lookup partitions a revocation enumerates at a quorum whatever the levels (LOCAL_QUORUM with LOCAL_SERIAL)', () => {
    for (const preset of [undefined, CONSISTENCY_PRESETS.axway, { read: 'ONE', write: 'ONE' } as const, CONSISTENCY_PRESETS.global])
      for (const operation of STORE_OPERATIONS) expect(resolveConsistency(preset)[operation].lookup).toBe('QUORUM');
    for (const operation of STORE_OPERATIONS)
      expect(resolveConsistency(CONSISTENCY_PRESETS.production)[operation].lookup).toBe('LOCAL_QUORUM');
  });

  it('refuses a revocation read level that would be ignored, saying why', () => {
    const error = misconfiguration(() => store({ perOperation: { revokeTokens: { read: 'ONE' } } }));
    expect(error.code).toBe(ErrorCode.Misconfiguration);
    expect(error.message).toContain('consistency.perOperation.revokeTokens.read');
    expect(error.message).toMatch(/reads the lookup partitions at QUORUM/);
    expect(() => store({ perOperation: { revokeTokens: { read: 'QUORUM' } } })).not.toThrow();
  });

  it('commits lightweight transactions at ONE where the write level is ANY, and at the write level otherwise', () => {
    const defaults = resolveConsistency(undefined);
    expect(defaults.compareAndSetState.commit).toBe('ONE');
    expect(defaults.insert.codes.commit).toBe(CONSISTENCY_LEVELS.ONE);
    expect(defaults.insert.codes.write).toBe(CONSISTENCY_LEVELS.ANY);
    expect(resolveConsistency({ write: 'LOCAL_QUORUM' }).rotateRefreshToken.commit).toBe('LOCAL_QUORUM');
  });

  it('offers the recommended production setting as one preset: LOCAL_QUORUM reads and writes, LOCAL_SERIAL', () => {
    const resolved = store(CONSISTENCY_PRESETS.production).consistency;
    for (const operation of STORE_OPERATIONS)
      expect(resolved[operation]).toMatchObject({
        read: 'LOCAL_QUORUM',
        write: 'LOCAL_QUORUM',
        commit: 'LOCAL_QUORUM',
        serial: 'LOCAL_SERIAL',
      });
    expect(resolved.get.codes).toEqual({
      read: CONSISTENCY_LEVELS.LOCAL_QUORUM,
      write: CONSISTENCY_LEVELS.LOCAL_QUORUM,
      commit: CONSISTENCY_LEVELS.LOCAL_QUORUM,
      serial: CONSISTENCY_LEVELS.LOCAL_SERIAL,
      lookup: CONSISTENCY_LEVELS.LOCAL_QUORUM,
    });
  });

  it('lets one operation override the store-wide levels, the rest keeping them', () => {
    const resolved = resolveConsistency({
      read: 'ONE',
      write: 'ONE',
      perOperation: { get: { read: 'LOCAL_QUORUM' }, compareAndSetState: { serial: 'LOCAL_SERIAL', write: 'QUORUM' } },
    });
    expect(resolved.get).toMatchObject({ read: 'LOCAL_QUORUM', write: 'ONE', serial: 'SERIAL' });
    expect(resolved.compareAndSetState).toMatchObject({ read: 'ONE', write: 'QUORUM', commit: 'QUORUM', serial: 'LOCAL_SERIAL' });
    expect(resolved.readRefreshToken).toMatchObject({ read: 'ONE', write: 'ONE', serial: 'SERIAL' });
  });

  it('accepts a serial level for reads (linearizable reads)', () => {
    expect(resolveConsistency({ perOperation: { get: { read: 'SERIAL' } } }).get.read).toBe('SERIAL');
  });

  const invalid: Array<[string, ConsistencyOptions, string]> = [
    ['ANY for reads', { read: 'ANY' }, 'consistency.read'],
    ["ANY for one operation's reads", { perOperation: { get: { read: 'ANY' } } }, 'consistency.perOperation.get.read'],
    ['a serial level for writes', { write: 'SERIAL' }, 'consistency.write'],
    ['a non-serial level as the serial consistency', { serial: 'QUORUM' as 'SERIAL' }, 'consistency.serial'],
    [
      "ONE as an operation's serial consistency",
      { perOperation: { rotateRefreshToken: { serial: 'ONE' as 'SERIAL' } } },
      'consistency.perOperation.rotateRefreshToken.serial',
    ],
    [
      'ANY set explicitly for code consumption (a lightweight transaction)',
      { perOperation: { compareAndSetState: { write: 'ANY' } } },
      'consistency.perOperation.compareAndSetState.write',
    ],
    [
      'ANY set explicitly for refresh rotation',
      { perOperation: { rotateRefreshToken: { write: 'ANY' } } },
      'consistency.perOperation.rotateRefreshToken.write',
    ],
    ['ANY set explicitly for the purge lease', { perOperation: { lease: { write: 'ANY' } } }, 'consistency.perOperation.lease.write'],
    ['an unknown level', { read: 'MOST' as 'ONE' }, 'consistency.read'],
    [
      'an unknown operation',
      { perOperation: { validateToken: { read: 'ONE' } } as ConsistencyOptions['perOperation'] },
      'consistency.perOperation.validateToken',
    ],
    [
      'the service verb validate (the store primitive is get)',
      { perOperation: { validate: { read: 'ONE' } } as ConsistencyOptions['perOperation'] },
      'consistency.perOperation.validate',
    ],
    ['an unknown setting', { perOperation: { get: { reads: 'ONE' } as never } }, 'consistency.perOperation.get.reads'],
  ];
  for (const [what, options, option] of invalid) {
    it(`refuses ${what} at construction, naming ${option}`, () => {
      const error = misconfiguration(() => store(options));
      expect(error.code).toBe(ErrorCode.Misconfiguration);
      expect(error.field).toBe(option);
      expect(error.backend).toBe('cassandra');
      expect(error.message).toContain(option);
    });
  }

  it('allows ANY for the plain writes of an operation that also has lightweight transactions (they commit at ONE)', () => {
    const resolved = resolveConsistency({ write: 'QUORUM', perOperation: { insert: { write: 'ANY' } } });
    expect(resolved.insert).toMatchObject({ write: 'ANY', commit: 'ONE' });
  });
});

import { runConformanceSuite } from '@tokenstore/conformance';
import { describe, expect, it, vi } from 'vitest';

describe('a backend that cannot run here', () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  runConformanceSuite({
    name: 'imaginary-db',
    skip: 'no TOKENSTORE_TEST_IMAGINARY_URL and no Docker engine',
    createStore: () => {
      throw new Error('a skipped suite never creates a store');
    },
    inspect: async () => [],
  });
  const printed = log.mock.calls.map((args) => args.join(' '));
  log.mockRestore();

  it('prints exactly one line saying which backend is skipped and why', () => {
    expect(printed).toEqual(['[conformance] imaginary-db: skipped — no TOKENSTORE_TEST_IMAGINARY_URL and no Docker engine']);
  });
});

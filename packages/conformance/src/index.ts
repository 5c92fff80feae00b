import type { TokenStore } from '@tokenstore/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { setActiveRecorder } from './active-recorder.js';
import { ConformanceContext } from './context.js';
import { PROTECTION_MODES } from './modes.js';
import type { ConformanceOptions, ProtectionModeCase } from './options.js';
import { SecrecyRecorder } from './secrecy-recorder.js';
import { badInputTests } from './suites/bad-input.js';
import { clientTests } from './suites/clients.js';
import { authorizationCodeTests } from './suites/codes.js';
import { concurrencyTests } from './suites/concurrency.js';
import { countTests } from './suites/counts.js';
import { interleavingTests } from './suites/interleavings/index.js';
import { purgeTests } from './suites/purge.js';
import { refreshRotationTests } from './suites/refresh.js';
import { reuseAndDeviceScopeTests } from './suites/reuse.js';
import { revocationTests } from './suites/revocation.js';
import { secrecyTests } from './suites/secrecy.js';
import { storageInspectionTests } from './suites/storage.js';
import { storePrimitiveTests } from './suites/store-primitives.js';
import { tokenAndExpiryTests } from './suites/tokens.js';

export { createGate, type Gate, settle, settleAll, waitUntil } from './concurrency-tools.js';
export { CLIENT_REDIRECT_URIS, ConformanceContext, type ServiceOverrides, SUITE_RETENTION } from './context.js';
export { expectTokenStoreError } from './expect-error.js';
export { createHeldStep, type HeldStep, holdingBefore, type InterleavingControls } from './interleaving-controls.js';
export { PROTECTION_MODES } from './modes.js';
export type { ConformanceCapabilities, ConformanceOptions, ProtectionModeCase, StoreContext } from './options.js';
export { accessTokenRow, authorizationCodeRow, clientRow, ROW_DEFAULTS, refreshTokenRow, scanAllRows } from './rows.js';
export { SecrecyRecorder } from './secrecy-recorder.js';
export { findPlaintextsAtRest, snapshotRows } from './storage-search.js';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** The topics, in the order they run; secrecy last, so its sweep covers everything before it. */
const TOPICS: ReadonlyArray<(ctx: ConformanceContext) => void> = [
  tokenAndExpiryTests,
  reuseAndDeviceScopeTests,
  revocationTests,
  authorizationCodeTests,
  refreshRotationTests,
  clientTests,
  purgeTests,
  concurrencyTests,
  interleavingTests,
  storePrimitiveTests,
  countTests,
  badInputTests,
  storageInspectionTests,
  secrecyTests,
];

function selectModes(names: readonly string[] | undefined): ProtectionModeCase[] {
  if (names === undefined) return PROTECTION_MODES;
  const unknown = names.filter((name) => !PROTECTION_MODES.some((mode) => mode.name === name));
  if (unknown.length > 0)
    throw new Error(
      `[conformance] unknown protection mode ${unknown.join(', ')}; known: ${PROTECTION_MODES.map((m) => m.name).join(', ')}`,
    );
  return PROTECTION_MODES.filter((mode) => names.includes(mode.name));
}

/**
 * Registers the conformance suite for one backend with Vitest: every topic, in every protection mode
 * (`describe('<name> [<mode>]')`), each test against a fresh store from `options.createStore`. Call it
 * at the top level of a test file:
 *
 * ```ts
 * runConformanceSuite({ name: 'cache', createStore: ({ clock }) => new CacheStore({ clock }), inspect: dumpRows });
 * ```
 *
 * With `options.skip` set, prints one line saying why and registers the suite as skipped.
 */
export function runConformanceSuite<S extends TokenStore>(options: ConformanceOptions<S>): void {
  if (options.skip) {
    console.log(`[conformance] ${options.name}: skipped — ${options.skip}`);
    describe.skip(`${options.name} conformance (skipped: ${options.skip})`, () => {
      it('runs the conformance suite', () => {});
    });
    return;
  }
  const modes = selectModes(options.modes);
  const recorder = new SecrecyRecorder();

  if (options.setup) beforeAll(options.setup);
  if (options.teardown) afterAll(options.teardown);

  for (const mode of modes) {
    describe(`${options.name} [${mode.name}]`, () => {
      // Topics see stores as plain TokenStores; inspect and destroyStore only ever get the stores createStore made.
      const ctx = new ConformanceContext(options as unknown as ConformanceOptions, mode, recorder);
      const spies: MockInstance[] = [];

      beforeAll(() => {
        setActiveRecorder(recorder);
        for (const method of CONSOLE_METHODS) {
          const original = console[method].bind(console);
          spies.push(
            vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
              recorder.recordExposure(`console.${method}`, args);
              original(...args);
            }),
          );
        }
      });
      afterAll(() => {
        for (const spy of spies.splice(0)) spy.mockRestore();
        setActiveRecorder(undefined);
        // Anything a late hook or the store's teardown exposed after the secrecy test ran.
        expect(recorder.leaks()).toEqual([]);
      });
      beforeEach(() => ctx.open());
      afterEach(() => ctx.close());

      for (const topic of TOPICS) topic(ctx);
    });
  }
}

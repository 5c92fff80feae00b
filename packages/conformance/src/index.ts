import type { TokenStore } from '@tokenstore/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { setActiveRecorder } from './active-recorder.js';
import { ConformanceContext } from './context.js';
import { selectModes } from './modes.js';
import type { ConformanceOptions } from './options.js';
import { SecrecyRecorder } from './secrecy-recorder.js';
import { artifactTests } from './suites/artifacts.js';
import { badInputTests } from './suites/bad-input.js';
import { clientTests } from './suites/clients.js';
import { authorizationCodeTests } from './suites/codes.js';
import { concurrencyTests } from './suites/concurrency.js';
import { confirmationTests } from './suites/confirmation.js';
import { countTests } from './suites/counts.js';
import { interleavingTests } from './suites/interleavings/index.js';
import { purgeTests } from './suites/purge.js';
import { refreshRotationTests } from './suites/refresh.js';
import { retentionTests } from './suites/retention.js';
import { reuseAndDeviceScopeTests } from './suites/reuse.js';
import { revocationTests } from './suites/revocation.js';
import { secrecyTests } from './suites/secrecy.js';
import { storageInspectionTests } from './suites/storage.js';
import { storeInputTests } from './suites/store-input.js';
import { storePrimitiveTests } from './suites/store-primitives.js';
import { tokenAndExpiryTests } from './suites/tokens.js';

export { createGate, type Gate, settle, settleAll, waitUntil } from './concurrency-tools.js';
export { CLIENT_REDIRECT_URIS, ConformanceContext, type ServiceOverrides, SUITE_RETENTION } from './context.js';
export { expectTokenStoreError } from './expect-error.js';
export { checkHistory, purgeableByDesign, type Violation } from './history/index.js';
export { createHeldStep, type HeldStep, holdingBefore, type InterleavingControls, StatementHold } from './interleaving-controls.js';
export { PROTECTION_MODE_CASES, selectModes } from './modes.js';
export type { ConformanceCapabilities, ConformanceOptions, ProtectionModeCase, StoreContext } from './options.js';
export { accessTokenRow, authorizationCodeRow, clientRow, ROW_DEFAULTS, refreshTokenRow, scanAllRows, withRetention } from './rows.js';
export { SecrecyRecorder } from './secrecy-recorder.js';
export { findPlaintextsAtRest, snapshotRows } from './storage-search.js';
export { PROVIDER_MODELS } from './suites/artifacts.js';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** The topics by name, in the order they run; secrecy last, so its sweep covers everything before it. */
export const CONFORMANCE_TOPICS = {
  tokens: tokenAndExpiryTests,
  reuse: reuseAndDeviceScopeTests,
  revocation: revocationTests,
  codes: authorizationCodeTests,
  refresh: refreshRotationTests,
  confirmation: confirmationTests,
  clients: clientTests,
  purge: purgeTests,
  retention: retentionTests,
  concurrency: concurrencyTests,
  interleavings: interleavingTests,
  storePrimitives: storePrimitiveTests,
  storeInput: storeInputTests,
  counts: countTests,
  artifacts: artifactTests,
  badInput: badInputTests,
  storage: storageInspectionTests,
  // Only in the first mode of a run (it decides itself); before secrecy, whose sweep then covers it.
  secrecy: secrecyTests,
} as const satisfies Record<string, (ctx: ConformanceContext) => void>;
export type ConformanceTopic = keyof typeof CONFORMANCE_TOPICS;

function selectTopics(names: readonly string[] | undefined): Array<(ctx: ConformanceContext) => void> {
  const all = Object.keys(CONFORMANCE_TOPICS) as ConformanceTopic[];
  if (names === undefined) return all.map((name) => CONFORMANCE_TOPICS[name]);
  const unknown = names.filter((name) => !Object.hasOwn(CONFORMANCE_TOPICS, name));
  if (unknown.length > 0) throw new Error(`[conformance] unknown topic ${unknown.join(', ')}; known: ${all.join(', ')}`);
  // Secrecy always runs: it checks what the selected topics exposed.
  return all.filter((name) => names.includes(name) || name === 'secrecy').map((name) => CONFORMANCE_TOPICS[name]);
}

/**
 * Registers the conformance suite for one backend with Vitest: every topic, in every protection mode
 * (`describe('<name> [<mode>]')`), each test against a fresh store from `options.createStore`. Call it
 * at the top level of a test file:
 *
 * ```ts
 * runConformanceSuite({ name: 'memory', createStore: ({ clock }) => new MemoryStore({ clock }), inspect: dumpRows });
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
  const topics = selectTopics(options.topics);
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

      for (const topic of topics) topic(ctx);
    });
  }
}

import { MemoryStore } from '@tokenstore/cache';
import { TokenService } from '@tokenstore/core';
import { providerFlows } from './support/flows.js';
import { E2E_MODES } from './support/modes.js';
import { ProviderHarness } from './support/provider-harness.js';

for (const mode of ['plain', 'hash', 'encrypt'] as const) {
  let store: MemoryStore;
  providerFlows('memory', {
    mode,
    open: async () => {
      store = new MemoryStore();
      const harness = new ProviderHarness(new TokenService({ store, protector: E2E_MODES[mode]() }));
      await harness.start();
      return harness;
    },
    inspect: async () => [...store.artifacts.rows()].map((row) => ({ ...row })),
  });
}

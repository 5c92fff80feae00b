import { MemoryStore, ReadCache } from '@tokenstore/cache';
import { runConformanceSuite } from '@tokenstore/conformance';
import { scanAllRows } from './support.js';

// Tests hold a few hundred rows at most; a smaller bound than the default keeps the per-test store cheap
// to build (lru-cache preallocates its slots), which matters over ~2,500 tests.
const maxEntries = 2_000;

/** The provider artifacts the store holds, as inspected rows. */
const artifactRows = (store: MemoryStore): Array<Record<string, unknown>> => [...store.artifacts.rows()].map((row) => ({ ...row }));

runConformanceSuite({
  name: 'memory',
  createStore: ({ clock }) => new MemoryStore({ clock, maxEntries }),
  inspect: async (store) => [...(await scanAllRows(store)), ...artifactRows(store)],
});

runConformanceSuite({
  name: 'memory+read-cache',
  createStore: ({ clock }) => new ReadCache(new MemoryStore({ clock, maxEntries }), { clock }),
  inspect: async (store) => [...(await scanAllRows(store.inner)), ...artifactRows(store.inner as MemoryStore)],
});

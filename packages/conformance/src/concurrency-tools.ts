/** A promise with its resolve function exposed, to hold a store call until a test releases it. */
export interface Gate {
  promise: Promise<void>;
  open(): void;
}

export function createGate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * Waits until `condition` holds, yielding to I/O between checks (with real `setImmediate`, which the
 * suite never fakes), and fails after `timeoutMs` of real time.
 */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Lets pending promise callbacks and I/O run for a few turns of the event loop. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Outcomes of many concurrent calls: the values of those that succeeded and the errors of the others. */
export async function settleAll<T>(calls: ReadonlyArray<() => Promise<T>>): Promise<{ values: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(calls.map((call) => call()));
  const values: T[] = [];
  const errors: unknown[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') values.push(result.value);
    else errors.push(result.reason);
  }
  return { values, errors };
}

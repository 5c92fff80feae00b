import type { TokenStore } from '@tokenstore/core';
import { createGate } from './concurrency-tools.js';

/**
 * A store operation held at a point between its steps. `reached` resolves once the operation got
 * there; it stays there until `release()`.
 */
export interface HeldStep {
  reached: Promise<void>;
  release(): void;
}

/**
 * Ways into a backend's own steps, for the interleavings topic: each pauses an operation *inside* its
 * atomic unit, where a wrapper around the store cannot reach. A backend whose primitives have no
 * inside (the in-memory store runs each one synchronously) passes none, and the topic then runs only
 * the holds between store calls.
 */
export interface InterleavingControls<S extends TokenStore = TokenStore> {
  /**
   * Holds the next refresh rotation on `store` after its decisive write (the old token's conditional
   * update), before the operation is complete: SQL holds the transaction's COMMIT, Cassandra holds
   * the lightweight transaction's answer.
   */
  holdRotation(store: S): HeldStep;
  /**
   * Holds the next bulk revocation pass on `store` after it read which rows it will change, before it
   * changes them — for backends whose pass reads first and writes after (Cassandra's lookup
   * partitions); a single-statement pass (SQL) has no such point and leaves it out.
   */
  holdRevocationRead?(store: S): HeldStep;
  /**
   * Resolves `true` as soon as another session waits for a lock the held step holds, `false` after
   * `timeoutMs` without one. Backends without row locks leave it out.
   */
  waitForLockWaiter?(store: S, timeoutMs: number): Promise<boolean>;
}

/** A held step from a gate: `arrive()` is called by the operation, which then waits for `release()`. */
export function createHeldStep(): HeldStep & { arrive(): Promise<void> } {
  const reached = createGate();
  const released = createGate();
  return {
    reached: reached.promise,
    release: () => released.open(),
    arrive: () => {
      reached.open();
      return released.promise;
    },
  };
}

/**
 * One hold armed on the next statement that matches a pattern: what a backend's holding driver (a
 * wrapped pool or client) keeps between a test arming it and the statement arriving.
 */
export class StatementHold {
  #armed: { statement: RegExp; step: ReturnType<typeof createHeldStep> } | undefined;

  /** Arms the hold; throws when one is armed already (one held step at a time). */
  arm(statement: RegExp): HeldStep {
    if (this.#armed) throw new Error('a hold is already armed');
    const step = createHeldStep();
    this.#armed = { statement, step };
    return step;
  }

  /** True when a hold is armed and `text` is its statement (the hold stays armed). */
  matches(text: string): boolean {
    return this.#armed?.statement.test(text) ?? false;
  }

  /** Disarms the hold and returns its step, for the driver to `arrive()` at; `undefined` if none is armed. */
  take(): ReturnType<typeof createHeldStep> | undefined {
    const armed = this.#armed;
    this.#armed = undefined;
    return armed?.step;
  }

  get armed(): boolean {
    return this.#armed !== undefined;
  }
}

/**
 * `store`, with the next call of `method` held just before it reaches the store: the caller (the
 * service) has made every read and decision that precede the store call, and the store has not yet
 * seen it. Every other call passes straight through.
 */
export function holdingBefore<S extends TokenStore>(store: S, method: keyof TokenStore & string): { store: TokenStore; held: HeldStep } {
  const step = createHeldStep();
  let armed = true;
  const wrapper = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      // Bound to the real store: its methods use private fields, which a proxy as `this` cannot reach.
      if (property !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        if (armed) {
          armed = false;
          await step.arrive();
        }
        return value.apply(target, args);
      };
    },
  });
  return { store: wrapper, held: step };
}

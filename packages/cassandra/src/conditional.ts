import { BackendUnavailableError } from '@tokenstore/core';
import { type CassandraExecuteOptions, type CassandraResult, type CassandraRow, wasApplied } from './client.js';
import { BACKEND, isUnavailable, isUnknownOutcome } from './errors.js';

export type Execute = (query: string, params: unknown[], options: CassandraExecuteOptions) => Promise<CassandraResult>;

/**
 * What a read-back at serial consistency says about a lightweight transaction whose outcome was
 * unknown: it was applied; it was not (and `current` is what is there instead); or it was not and its
 * condition still holds, so it can simply be sent again.
 */
export type Resolution = { outcome: 'applied' } | { outcome: 'not-applied'; current?: CassandraRow | undefined } | { outcome: 'retry' };

export interface ConditionalStatement {
  query: string;
  params: unknown[];
  /** Commit consistency (protocol code). */
  commit: number;
  /** Paxos consistency: SERIAL or LOCAL_SERIAL (protocol code). */
  serial: number;
  /**
   * Reads the row back at `serial` consistency and decides. A serial read completes any Paxos round
   * still in flight for the partition, so what it sees is the outcome, not a guess.
   */
  resolve: () => Promise<Resolution>;
}

export interface ConditionalResult {
  applied: boolean;
  /** The row the server returned when not applied (the current values of the condition columns), if known. */
  current: CassandraRow | undefined;
}

const SEND_ATTEMPTS = 3;
const RESOLVE_ATTEMPTS = 4;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs a lightweight transaction. When its outcome is unknown (write timeout of the Paxos round or its
 * commit, client timeout) the row is read back at serial consistency and the outcome decided from what
 * is there; a transaction that was not applied but whose condition still holds is sent again.
 * Errors other than unknown outcomes are thrown as they are (the caller maps them).
 */
export async function executeConditional(execute: Execute, statement: ConditionalStatement): Promise<ConditionalResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await execute(statement.query, statement.params, {
        prepare: true,
        consistency: statement.commit,
        serialConsistency: statement.serial,
      });
      const applied = wasApplied(result);
      return { applied, current: applied ? undefined : result.rows?.[0] };
    } catch (error) {
      if (!isUnknownOutcome(error)) throw error;
      const resolution = await resolveOutcome(statement, error);
      if (resolution.outcome === 'applied') return { applied: true, current: undefined };
      if (resolution.outcome === 'not-applied') return { applied: false, current: resolution.current };
      if (attempt >= SEND_ATTEMPTS)
        throw new BackendUnavailableError('a lightweight transaction kept timing out; it was not applied', {
          backend: BACKEND,
          cause: error,
        });
      // Contention: back off a little, with jitter, before proposing again.
      await pause(10 * attempt + Math.random() * 40);
    }
  }
}

async function resolveOutcome(statement: ConditionalStatement, original: unknown): Promise<Resolution> {
  let lastError: unknown = original;
  for (let attempt = 1; attempt <= RESOLVE_ATTEMPTS; attempt++) {
    try {
      return await statement.resolve();
    } catch (error) {
      // The read-back itself may time out under the same contention; anything else is a real failure.
      if (!isUnavailable(error)) throw error;
      lastError = error;
      await pause(25 * attempt + Math.random() * 50);
    }
  }
  throw new BackendUnavailableError(
    'the outcome of a lightweight transaction is unknown and could not be read back at serial consistency',
    {
      backend: BACKEND,
      cause: lastError,
    },
  );
}

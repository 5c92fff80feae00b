import { setTimeout as sleep } from 'node:timers/promises';
import type { ClassifiedDriverError, DriverErrorClassifier, SqlDialect } from './dialects/dialect.js';
import type { QueryResult, SqlConnection, SqlDriver } from './dialects/driver.js';
import { toStoreError } from './driver-errors.js';
import type { RetryOptions } from './options.js';
import type { SqlStatement } from './statements/sql-statement.js';

/** A unique violation the caller asked to handle itself (see {@link SqlExecutor.runAllowingDuplicate}). */
export interface UniqueViolation {
  readonly duplicate: true;
  readonly constraint: string | undefined;
}

/** Statements inside one transaction. */
export interface TransactionScope {
  run(statement: SqlStatement): Promise<QueryResult>;
  /** Ends the transaction with ROLLBACK instead of COMMIT (the operation found nothing to do). */
  rollbackOnly(): void;
}

/** What the executor needs of a dialect: the backend name for errors, and what a driver error means. */
export type ExecutorDialect = Pick<SqlDialect, 'name'> & DriverErrorClassifier;

/** A driver error with what the dialect made of it, on its way to the retry loop. */
class StatementFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly classified: ClassifiedDriverError,
    readonly statement: string,
  ) {
    super(`${statement} failed`);
  }
}

/**
 * Runs statements for the store: classifies driver errors through the dialect, retries whole
 * operations (a statement, or a transaction from BEGIN) after a deadlock or serialization failure
 * with jittered exponential backoff, rolls transactions back on any failure, discards connections
 * that broke, and turns what is left into the store's typed errors.
 */
export class SqlExecutor {
  readonly #dialect: ExecutorDialect;
  readonly #driver: SqlDriver;
  readonly #retry: Required<RetryOptions>;

  constructor(dialect: ExecutorDialect, driver: SqlDriver, retry: Required<RetryOptions>) {
    this.#dialect = dialect;
    this.#driver = driver;
    this.#retry = retry;
  }

  /**
   * One statement in autocommit mode. The first attempt calls the driver directly: this is the hot
   * path of token validation, and the retry machinery is only entered once an attempt failed.
   */
  async run(statement: SqlStatement): Promise<QueryResult> {
    try {
      return await this.#driver.query(statement.sql, statement.params);
    } catch (error) {
      const failure = new StatementFailure(error, this.#dialect.classifyError(error), statement.name);
      return this.#retrying(() => this.#execute(this.#driver, statement), failure);
    }
  }

  /** Like {@link run}, but a unique violation is returned rather than thrown. */
  async runAllowingDuplicate(statement: SqlStatement): Promise<QueryResult | UniqueViolation> {
    return this.#retrying(async () => {
      try {
        return await this.#execute(this.#driver, statement);
      } catch (failure) {
        if (failure instanceof StatementFailure && failure.classified.kind === 'unique-violation')
          return { duplicate: true, constraint: failure.classified.constraint } satisfies UniqueViolation;
        throw failure;
      }
    });
  }

  /** `work` inside one transaction on one connection; retried from BEGIN after a deadlock. */
  transaction<T>(work: (scope: TransactionScope) => Promise<T>): Promise<T> {
    return this.#retrying(async () => {
      const connection = await this.#step('acquireConnection', () => this.#driver.acquireConnection());
      let broken = false;
      try {
        let rollbackOnly = false;
        await this.#step('begin', () => this.#driver.beginTransaction(connection));
        const result = await work({
          run: (statement) => this.#execute(connection, statement),
          rollbackOnly: () => {
            rollbackOnly = true;
          },
        });
        if (rollbackOnly) await this.#step('rollback', () => this.#driver.rollbackTransaction(connection));
        else await this.#step('commit', () => this.#driver.commitTransaction(connection));
        return result;
      } catch (failure) {
        broken = failure instanceof StatementFailure && failure.classified.kind === 'connection';
        if (!broken) broken = !(await this.#rollbackQuietly(connection));
        throw failure;
      } finally {
        await this.#driver.releaseConnection(connection, broken).catch(() => undefined);
      }
    });
  }

  /** `work` on one borrowed connection outside any transaction (session-level locks). */
  async withConnection<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    const connection = await this.#step('acquireConnection', () => this.#driver.acquireConnection());
    let broken = false;
    try {
      return await work(connection);
    } catch (error) {
      broken = this.#dialect.classifyError(error).kind === 'connection';
      throw error;
    } finally {
      await this.#driver.releaseConnection(connection, broken).catch(() => undefined);
    }
  }

  /** Turns any error escaping the executor (or a driver call made outside it) into a store error. */
  toStoreError(error: unknown, statement: string): Error {
    if (error instanceof StatementFailure) return toStoreError(error.error, error.classified, this.#dialect.name, error.statement);
    return toStoreError(error, this.#dialect.classifyError(error), this.#dialect.name, statement);
  }

  async #execute(target: { query: SqlDriver['query'] }, statement: SqlStatement): Promise<QueryResult> {
    try {
      return await target.query(statement.sql, statement.params);
    } catch (error) {
      throw new StatementFailure(error, this.#dialect.classifyError(error), statement.name);
    }
  }

  async #step<T>(name: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw new StatementFailure(error, this.#dialect.classifyError(error), name);
    }
  }

  /** `true` when the rollback went through (the connection is reusable). */
  async #rollbackQuietly(connection: SqlConnection): Promise<boolean> {
    try {
      await this.#driver.rollbackTransaction(connection);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs `operation` until it succeeds, fails for good, or used up its attempts; `failed` is a first attempt made already. */
  async #retrying<T>(operation: () => Promise<T>, failed?: StatementFailure): Promise<T> {
    let failure: unknown = failed;
    for (let attempt = failed === undefined ? 1 : 2; ; attempt++) {
      if (failure !== undefined) {
        const retryable = failure instanceof StatementFailure && failure.classified.kind === 'retryable';
        if (!retryable || attempt > this.#retry.attempts) throw this.toStoreError(failure, 'statement');
        // Jitter spreads the retries of transactions that deadlocked on each other.
        await sleep(Math.random() * this.#retry.baseDelayMs * 2 ** (attempt - 2));
      }
      try {
        return await operation();
      } catch (error) {
        failure = error;
      }
    }
  }
}

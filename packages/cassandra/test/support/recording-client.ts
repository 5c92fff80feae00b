import type { CassandraClient, CassandraExecuteOptions, CassandraResult } from '@tokenstore/cassandra';

export interface RecordedStatement {
  query: string;
  params: unknown[];
  options: CassandraExecuteOptions;
}

/**
 * What a test does with one statement before or instead of sending it: `send` runs it, `fail` throws
 * the given error (after sending it when `afterSending`), simulating a timeout whose outcome is unknown.
 */
export type Interception =
  | { action: 'send' }
  /** `meanwhile` runs before the error is thrown (another client's write racing this one). */
  | { action: 'fail'; error: Error; afterSending: boolean; meanwhile?: () => Promise<unknown> };

/** Wraps a driver client: records every statement and lets a test intercept some. */
export class RecordingClient implements CassandraClient {
  readonly statements: RecordedStatement[] = [];
  intercept: (statement: RecordedStatement) => Interception = () => ({ action: 'send' });

  constructor(readonly inner: CassandraClient) {}

  async execute(query: string, params: unknown[] = [], options: CassandraExecuteOptions = {}): Promise<CassandraResult> {
    const statement = { query, params, options };
    this.statements.push(statement);
    const interception = this.intercept(statement);
    if (interception.action === 'send') return this.inner.execute(query, params, options);
    if (interception.afterSending) await this.inner.execute(query, params, options);
    await interception.meanwhile?.();
    throw interception.error;
  }

  async shutdown(): Promise<void> {}

  /** Statements whose CQL contains `fragment`. */
  matching(fragment: string): RecordedStatement[] {
    return this.statements.filter((statement) => statement.query.includes(fragment));
  }
}

/** A server WriteTimeout of a lightweight transaction, as cassandra-driver reports it. */
export function casWriteTimeout(): Error {
  const error = new Error('Server timeout during write query at consistency SERIAL (0 peer(s) acknowledged the write over 1 required)');
  error.name = 'ResponseError';
  return Object.assign(error, { code: 0x1100, writeType: 'CAS', consistencies: 0x08, received: 0, blockFor: 1 });
}

/** A NoHostAvailableError, as cassandra-driver reports a node that is down. */
export function noHostAvailable(): Error {
  const error = new Error('All host(s) tried for query failed.');
  error.name = 'NoHostAvailableError';
  return Object.assign(error, { innerErrors: {} });
}

/** Intercepts the first `count` statements matching `fragment` with `interception`, sends the rest. */
export function interceptFirst(
  fragment: string,
  count: number,
  interception: Interception,
): (statement: RecordedStatement) => Interception {
  let left = count;
  return (statement) => {
    if (left > 0 && statement.query.includes(fragment)) {
      left--;
      return interception;
    }
    return { action: 'send' };
  };
}

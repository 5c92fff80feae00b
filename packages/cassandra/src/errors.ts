import { BackendUnavailableError, ErrorCode, InvalidInputError, isNetworkErrorCode, TokenStoreError } from '@tokenstore/core';

export const BACKEND = 'cassandra';

/** Native-protocol error codes the store branches on (the driver's `types.responseErrorCodes`). */
export const CassandraErrorCode = {
  ServerError: 0x0000,
  /** Also what the server answers to a paging state it cannot decode (a forged scan cursor). */
  ProtocolError: 0x000a,
  Unavailable: 0x1000,
  Overloaded: 0x1001,
  IsBootstrapping: 0x1002,
  TruncateError: 0x1003,
  WriteTimeout: 0x1100,
  ReadTimeout: 0x1200,
  ReadFailure: 0x1300,
  WriteFailure: 0x1500,
  /** Protocol v5: a lightweight transaction's outcome is unknown (CASWriteUnknownException). */
  CasWriteUnknown: 0x1700,
  SyntaxError: 0x2000,
  Unauthorized: 0x2100,
  Invalid: 0x2200,
  ConfigError: 0x2300,
} as const;

/** Driver error classes recognised by name, so the driver need not be imported to classify them. */
const UNAVAILABLE_ERROR_NAMES = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError']);
const UNAVAILABLE_RESPONSE_CODES = new Set<number>([
  CassandraErrorCode.Unavailable,
  CassandraErrorCode.Overloaded,
  CassandraErrorCode.IsBootstrapping,
  CassandraErrorCode.ReadTimeout,
  CassandraErrorCode.WriteTimeout,
  CassandraErrorCode.CasWriteUnknown,
]);

interface DriverErrorShape {
  name?: unknown;
  code?: unknown;
  writeType?: unknown;
  message?: unknown;
  innerError?: unknown;
  isSocketError?: unknown;
}

function shape(error: unknown): DriverErrorShape {
  return error !== null && typeof error === 'object' ? (error as DriverErrorShape) : {};
}

/** The native-protocol error code of a driver `ResponseError`, or `undefined`. */
export function responseCode(error: unknown): number | undefined {
  const e = shape(error);
  return e.name === 'ResponseError' && typeof e.code === 'number' ? e.code : undefined;
}

/**
 * What a paged read answered for its `cursor`: a cursor that is hex (so past the input check) but no
 * page state the server can decode comes back as a protocol error, which is the caller's bad cursor
 * (`INVALID_INPUT`, without the driver error: a cursor may hold a lookup key); anything else as it is.
 */
export function cursorRefusal(error: unknown, cursor: string | null): unknown {
  if (cursor !== null && responseCode(error) === CassandraErrorCode.ProtocolError)
    return new InvalidInputError('cursor', 'is not a cursor returned by this store', { backend: BACKEND });
  return error;
}

/** True for errors that mean "Cassandra could not be reached or did not answer in time". */
export function isUnavailable(error: unknown): boolean {
  const e = shape(error);
  if (typeof e.name === 'string' && UNAVAILABLE_ERROR_NAMES.has(e.name)) return true;
  const code = responseCode(error);
  if (code !== undefined) return UNAVAILABLE_RESPONSE_CODES.has(code);
  if (isNetworkErrorCode(e.code)) return true;
  if (e.isSocketError === true) return true;
  // The driver reports a connection that closed under a request as a DriverError wrapping the socket error.
  if (e.name === 'DriverError' && e.innerError !== undefined) return isUnavailable(e.innerError);
  return e.name === 'DriverError' && typeof e.message === 'string' && /closed|socket|connection/i.test(e.message);
}

/**
 * True when a lightweight transaction may or may not have been applied: a server write timeout (the
 * Paxos round or its commit timed out), a CAS_WRITE_UNKNOWN (protocol v5), or a client-side timeout
 * after the request was sent. The caller must read the row back at serial consistency to decide.
 */
export function isUnknownOutcome(error: unknown): boolean {
  const code = responseCode(error);
  if (code === CassandraErrorCode.WriteTimeout || code === CassandraErrorCode.CasWriteUnknown) return true;
  return shape(error).name === 'OperationTimedOutError';
}

/**
 * Wraps a driver error in the store's typed errors. Connectivity problems and timeouts become
 * `BackendUnavailableError`; everything else a `TokenStoreError` with code `BACKEND_ERROR`. The driver
 * error is kept as `cause`; its message is never copied (it may quote a statement).
 */
export function toStoreError(error: unknown, operation: string): TokenStoreError {
  if (error instanceof TokenStoreError) return error;
  if (isUnavailable(error)) {
    const what = describeUnavailable(error);
    return new BackendUnavailableError(`${operation} failed: ${what}`, { backend: BACKEND, cause: error });
  }
  const code = responseCode(error);
  if (code === CassandraErrorCode.Invalid || code === CassandraErrorCode.ConfigError) {
    const e = shape(error);
    const missingSchema =
      typeof e.message === 'string' && /(keyspace|table) .* does not exist|unconfigured table|undefined column/i.test(e.message);
    if (missingSchema)
      // Not a fault of the request and no retry helps: a deployment step is missing (as on the SQL stores).
      return new TokenStoreError(
        ErrorCode.Misconfiguration,
        `${operation} failed: the keyspace or a table is missing or outdated; run the files in sql/cassandra/, \`tokenstore migrate\`, or create the store with createSchema: true`,
        { backend: BACKEND, cause: error },
      );
  }
  const label = code === undefined ? String(shape(error).name ?? 'error') : `server error 0x${code.toString(16).padStart(4, '0')}`;
  return new TokenStoreError(ErrorCode.BackendError, `${operation} failed: ${label}`, { backend: BACKEND, cause: error });
}

function describeUnavailable(error: unknown): string {
  const e = shape(error);
  if (e.name === 'NoHostAvailableError') return 'no Cassandra host available';
  if (e.name === 'OperationTimedOutError') return 'Cassandra did not answer in time (client timeout)';
  if (e.name === 'BusyConnectionError') return 'every connection to Cassandra is busy';
  switch (responseCode(error)) {
    case CassandraErrorCode.Unavailable:
      return 'not enough replicas alive for the consistency level (Unavailable)';
    case CassandraErrorCode.Overloaded:
      return 'the coordinator is overloaded';
    case CassandraErrorCode.IsBootstrapping:
      return 'the coordinator is bootstrapping';
    case CassandraErrorCode.ReadTimeout:
      return 'replicas did not answer the read in time (ReadTimeout)';
    case CassandraErrorCode.WriteTimeout:
      return 'replicas did not acknowledge the write in time (WriteTimeout)';
    case CassandraErrorCode.CasWriteUnknown:
      return 'the outcome of a lightweight transaction is unknown';
  }
  return 'connection to Cassandra failed';
}

import { CassandraErrorCode, isUnavailable, isUnknownOutcome, toStoreError } from '@tokenstore/cassandra';
import { ConflictError, ErrorCode } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

/** Driver errors as cassandra-driver builds them (recognised by name and code, like the store does). */
function driverError(name: string, fields: Record<string, unknown> = {}): Error {
  const error = new Error(String(fields.message ?? name));
  error.name = name;
  return Object.assign(error, fields);
}
const responseError = (code: number, fields: Record<string, unknown> = {}) => driverError('ResponseError', { code, ...fields });

describe('driver error mapping', () => {
  const unavailable: Array<[string, Error]> = [
    ['NoHostAvailableError', driverError('NoHostAvailableError', { innerErrors: {} })],
    ['a client-side timeout (OperationTimedOutError)', driverError('OperationTimedOutError')],
    ['Unavailable (0x1000)', responseError(CassandraErrorCode.Unavailable)],
    ['ReadTimeout (0x1200)', responseError(CassandraErrorCode.ReadTimeout)],
    ['WriteTimeout (0x1100)', responseError(CassandraErrorCode.WriteTimeout, { writeType: 'SIMPLE' })],
    ['Overloaded (0x1001)', responseError(CassandraErrorCode.Overloaded)],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9042'), { code: 'ECONNREFUSED' })],
    ['a socket closed under a request', driverError('DriverError', { message: 'Socket was closed', isSocketError: true })],
  ];
  for (const [what, error] of unavailable) {
    it(`maps ${what} to BACKEND_UNAVAILABLE, keeping the driver error as cause`, () => {
      const mapped = toStoreError(error, 'get');
      expect(mapped.code).toBe(ErrorCode.BackendUnavailable);
      expect(mapped.backend).toBe('cassandra');
      expect(mapped.cause).toBe(error);
      expect(isUnavailable(error)).toBe(true);
    });
  }

  it('wraps every other driver error as BACKEND_ERROR with the cause', () => {
    const error = responseError(CassandraErrorCode.SyntaxError, {
      message: "line 1:7 no viable alternative at input 'secret-token-value'",
    });
    const mapped = toStoreError(error, 'insert');
    expect(mapped.code).toBe(ErrorCode.BackendError);
    expect(mapped.cause).toBe(error);
    expect(mapped.message).toContain('insert failed');
    expect(mapped.message).not.toContain('secret-token-value');
  });

  it('points at the schema when a table or keyspace is missing', () => {
    const mapped = toStoreError(responseError(CassandraErrorCode.Invalid, { message: 'unconfigured table access_tokens' }), 'get');
    expect(mapped.code).toBe(ErrorCode.Misconfiguration);
    expect(mapped.message).toContain('createSchema');
  });

  it('passes tokenstore errors through unchanged', () => {
    const conflict = new ConflictError('exists', { backend: 'cassandra' });
    expect(toStoreError(conflict, 'insert')).toBe(conflict);
  });

  it('treats a write timeout, a CAS_WRITE_UNKNOWN and a client timeout as outcomes to read back, nothing else', () => {
    expect(isUnknownOutcome(responseError(CassandraErrorCode.WriteTimeout, { writeType: 'CAS' }))).toBe(true);
    expect(isUnknownOutcome(responseError(CassandraErrorCode.CasWriteUnknown))).toBe(true);
    expect(isUnknownOutcome(driverError('OperationTimedOutError'))).toBe(true);
    expect(isUnknownOutcome(responseError(CassandraErrorCode.Unavailable))).toBe(false);
    expect(isUnknownOutcome(driverError('NoHostAvailableError'))).toBe(false);
    expect(isUnknownOutcome(responseError(CassandraErrorCode.ReadTimeout))).toBe(false);
  });
});

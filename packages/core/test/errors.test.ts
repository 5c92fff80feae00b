import {
  BackendUnavailableError,
  ConflictError,
  DriverUnavailableError,
  ErrorCode,
  InvalidInputError,
  isTokenStoreError,
  MisconfigurationError,
  NotFoundError,
  TokenStoreError,
  unlessInvalidInput,
} from '@tokenstore/core';
import { describe, expect, it } from 'vitest';

describe('ErrorCode', () => {
  it('keeps the stable codes callers branch on', () => {
    expect(Object.values(ErrorCode).sort()).toEqual([
      'BACKEND_ERROR',
      'BACKEND_UNAVAILABLE',
      'CLOSED',
      'CONFIRMATION_MISMATCH',
      'CONFLICT',
      'DECRYPTION_FAILED',
      'DRIVER_UNAVAILABLE',
      'EXPIRED',
      'INVALID_CLIENT',
      'INVALID_INPUT',
      'MISCONFIGURATION',
      'NOT_FOUND',
      'REPLAY',
      'REUSE_DETECTED',
      'REVOKED',
    ]);
  });
});

describe('TokenStoreError', () => {
  it('carries a code, the backend, and a message prefixed with both product and backend', () => {
    const error = new TokenStoreError(ErrorCode.BackendError, 'statement failed', { backend: 'postgres' });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('BACKEND_ERROR');
    expect(error.backend).toBe('postgres');
    expect(error.message).toBe('[tokenstore] [postgres] statement failed');
    expect(error.field).toBeUndefined();
  });

  it('is raised by core when no backend is named', () => {
    const error = new TokenStoreError(ErrorCode.Replay, 'code reused');
    expect(error.backend).toBe('core');
    expect(error.message).toBe('[tokenstore] [core] code reused');
  });

  it('keeps the driver error as its cause, and has no cause when none was given', () => {
    const driverError = new Error('ECONNREFUSED 127.0.0.1:5432');
    const wrapped = new TokenStoreError(ErrorCode.BackendUnavailable, 'cannot connect', { backend: 'postgres', cause: driverError });
    expect(wrapped.cause).toBe(driverError);
    expect('cause' in new TokenStoreError(ErrorCode.Conflict, 'x')).toBe(false);
  });

  it('names itself after the concrete class, so logs show which error it was', () => {
    expect(new TokenStoreError(ErrorCode.Closed, 'closed').name).toBe('TokenStoreError');
    expect(new InvalidInputError('scopes', 'bad').name).toBe('InvalidInputError');
    expect(new MisconfigurationError('purge.batchSize', 'bad').name).toBe('MisconfigurationError');
    expect(new NotFoundError('client').name).toBe('NotFoundError');
    expect(new ConflictError('taken').name).toBe('ConflictError');
    expect(new BackendUnavailableError('down').name).toBe('BackendUnavailableError');
    expect(new DriverUnavailableError('pg').name).toBe('DriverUnavailableError');
  });
});

describe('error subclasses', () => {
  it('InvalidInputError names the field in `field` and in the message', () => {
    const error = new InvalidInputError('redirectUri', 'must not contain a fragment');
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error.code).toBe(ErrorCode.InvalidInput);
    expect(error.field).toBe('redirectUri');
    expect(error.message).toBe('[tokenstore] [core] invalid redirectUri: must not contain a fragment');
  });

  it('MisconfigurationError names the option in `field` and in the message', () => {
    const error = new MisconfigurationError('purge.batchSize', 'must be a positive whole number');
    expect(error.code).toBe(ErrorCode.Misconfiguration);
    expect(error.field).toBe('purge.batchSize');
    expect(error.message).toBe('[tokenstore] [core] option purge.batchSize: must be a positive whole number');
  });

  it('NotFoundError, ConflictError and BackendUnavailableError carry their codes and backend', () => {
    const notFound = new NotFoundError('refresh token', { backend: 'cassandra' });
    expect(notFound.code).toBe(ErrorCode.NotFound);
    expect(notFound.message).toBe('[tokenstore] [cassandra] refresh token not found');
    expect(new ConflictError('duplicate key', { backend: 'mysql' }).code).toBe(ErrorCode.Conflict);
    const unavailable = new BackendUnavailableError('timed out', { backend: 'mssql', cause: new Error('ETIMEDOUT') });
    expect(unavailable.code).toBe(ErrorCode.BackendUnavailable);
    expect(unavailable.backend).toBe('mssql');
    expect((unavailable.cause as Error).message).toBe('ETIMEDOUT');
  });

  it('DriverUnavailableError tells the user which package to install', () => {
    const error = new DriverUnavailableError('oracledb', { backend: 'oracle' });
    expect(error.code).toBe(ErrorCode.DriverUnavailable);
    expect(error.packageName).toBe('oracledb');
    expect(error.message).toContain('npm install oracledb');
  });
});

describe('isTokenStoreError', () => {
  it('recognises every tokenstore error, optionally by code', () => {
    const error = new InvalidInputError('scopes', 'bad');
    expect(isTokenStoreError(error)).toBe(true);
    expect(isTokenStoreError(error, ErrorCode.InvalidInput)).toBe(true);
    expect(isTokenStoreError(error, ErrorCode.NotFound)).toBe(false);
  });

  it('rejects other errors and non-errors', () => {
    expect(isTokenStoreError(new Error('INVALID_INPUT'))).toBe(false);
    expect(isTokenStoreError({ code: 'INVALID_INPUT', message: 'look-alike' })).toBe(false);
    expect(isTokenStoreError(undefined)).toBe(false);
    expect(isTokenStoreError('INVALID_INPUT')).toBe(false);
  });
});

describe('unlessInvalidInput', () => {
  it('passes the result through', async () => {
    expect(await unlessInvalidInput(Promise.resolve('row'), null)).toBe('row');
  });

  it('answers the fallback for INVALID_INPUT only', async () => {
    expect(await unlessInvalidInput(Promise.reject(new InvalidInputError('token', 'is empty')), false)).toBe(false);
    const unavailable = new BackendUnavailableError('down');
    await expect(unlessInvalidInput(Promise.reject(unavailable), false)).rejects.toBe(unavailable);
    await expect(unlessInvalidInput(Promise.reject(new Error('boom')), null)).rejects.toThrow('boom');
  });
});

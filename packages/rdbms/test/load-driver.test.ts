import { fileURLToPath } from 'node:url';
import { type DriverUnavailableError, ErrorCode, isTokenStoreError } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { loadDriver } from '../src/index.js';

const THROWING_DRIVER = fileURLToPath(new URL('./fixtures/throwing-driver.cjs', import.meta.url));

async function failure(promise: Promise<unknown>): Promise<DriverUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isTokenStoreError(error, ErrorCode.DriverUnavailable)).toBe(true);
  return error as DriverUnavailableError;
}

describe('loading a driver package', () => {
  it('returns the default export of an installed CommonJS driver', async () => {
    const pg = await loadDriver<{ Pool: unknown }>('pg');
    expect(typeof pg.Pool).toBe('function');
  });

  it('reports a missing driver as DRIVER_UNAVAILABLE naming the package to install', async () => {
    const error = await failure(loadDriver('tokenstore-test-no-such-driver', { backend: 'db2' }));
    expect(error.packageName).toBe('tokenstore-test-no-such-driver');
    expect(error.message).toContain('npm install tokenstore-test-no-such-driver');
    expect(error.backend).toBe('db2');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('reports ibm_db, not installed here, the same way', async () => {
    const error = await failure(loadDriver('ibm_db', { backend: 'db2' }));
    expect(error.packageName).toBe('ibm_db');
  });

  it('reports a driver that throws while loading (ibm_db installed offline) as DRIVER_UNAVAILABLE, not a crash', async () => {
    const error = await failure(loadDriver(THROWING_DRIVER, { packageName: 'ibm_db', backend: 'db2' }));
    expect(error.packageName).toBe('ibm_db');
    expect((error.cause as Error).message).toContain('clidriver');
  });

  it('names the package, not the module path, when they differ', async () => {
    const error = await failure(loadDriver('mysql2/no-such-entry', { packageName: 'mysql2' }));
    expect(error.message).toContain('"mysql2"');
  });

  it('goes through an injected importer', async () => {
    const imported: string[] = [];
    const module = await loadDriver<{ name: string }>('mssql', {
      importer: async (specifier) => {
        imported.push(specifier);
        return { default: { name: 'fake mssql' } };
      },
    });
    expect(imported).toEqual(['mssql']);
    expect(module.name).toBe('fake mssql');
  });
});

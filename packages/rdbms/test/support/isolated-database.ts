import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * An empty schema (PostgreSQL) or database (MySQL/MariaDB) named `name` on the server at `serverUrl`,
 * dropped and recreated, and the URL that selects it (for `createSqlStore({ url })` or
 * `TOKENSTORE_URL`). Each test file passes a name of its own, so files running in parallel never see
 * each other's rows. The one copy for every package's database tests (rdbms, server, cli).
 */
export async function isolatedDatabaseUrl(backend: 'postgres' | 'mysql', serverUrl: string, requested: string): Promise<string> {
  const name = namespacedDatabaseName(requested);
  const url = new URL(serverUrl);
  if (backend === 'postgres') {
    await recreatePostgresSchema(serverUrl, name);
    url.searchParams.set('schema', name);
  } else {
    await recreateMysqlDatabase(serverUrl, name);
    url.pathname = `/${name}`;
  }
  return url.toString();
}

/**
 * `name`, suffixed with `TOKENSTORE_TEST_NAMESPACE` when that is set (letters, digits, `_`), so two
 * checkouts running their suites on one database server at the same time never share a schema.
 */
export function namespacedDatabaseName(name: string): string {
  const namespace = process.env.TOKENSTORE_TEST_NAMESPACE;
  if (namespace === undefined || namespace === '') return name;
  if (!/^[a-z0-9_]{1,16}$/.test(namespace)) throw new Error('TOKENSTORE_TEST_NAMESPACE must be 1 to 16 characters of [a-z0-9_]');
  return `${name}_${namespace}`;
}

async function recreatePostgresSchema(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    // Test files dropping their schemas at the same moment can deadlock on shared catalog rows.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
        await admin.query(`CREATE SCHEMA ${name}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      }
    }
  } finally {
    await admin.end();
  }
}

async function recreateMysqlDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = await mysql.createConnection({ uri: serverUrl });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
}

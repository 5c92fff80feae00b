// Copies the numbered CQL files (sql/cassandra/ at the repository root) into the package as cql/,
// so a published package can create its schema (createSchema: true) and ships the files for DBAs.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../../sql/cassandra/', import.meta.url));
const target = fileURLToPath(new URL('../cql/', import.meta.url));
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const files = readdirSync(source).filter((name) => /^\d{3}_[a-z0-9_]+\.cql$/.test(name));
for (const name of files) cpSync(`${source}${name}`, `${target}${name}`);
console.log(`copied ${files.length} CQL files to cql/`);

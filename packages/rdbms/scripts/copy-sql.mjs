// Copies the canonical schema files (<repo>/sql/<dialect>/NNN_*.sql) into this package before it is
// packed, so a published package carries them in <package>/sql/, where the migration runner looks
// first. In a checkout the runner reads <repo>/sql/ directly and this copy is not needed. Folders
// without .sql files (sql/cassandra holds another package's CQL) are left out.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../../sql/', import.meta.url));
const target = fileURLToPath(new URL('../sql/', import.meta.url));
if (!existsSync(source)) throw new Error(`schema files not found in ${source}`);
rmSync(target, { recursive: true, force: true });
for (const dialect of readdirSync(source, { withFileTypes: true })) {
  if (!dialect.isDirectory()) continue;
  const files = readdirSync(join(source, dialect.name)).filter((file) => file.endsWith('.sql'));
  for (const file of files) cpSync(join(source, dialect.name, file), join(target, dialect.name, file));
}
console.log(`copied schema files to ${target}`);

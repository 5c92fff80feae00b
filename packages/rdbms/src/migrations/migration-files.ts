import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MisconfigurationError, splitStatements } from '@tokenstore/core';

/** One schema file, `NNN_name.sql`. */
export interface MigrationFile {
  version: number;
  /** File name, e.g. `001_tokens.sql`. */
  name: string;
  /** SHA-256 of the text (line endings normalised), to notice a file edited after it was applied. */
  checksum: string;
  statements: string[];
}

const FILE_NAME = /^(\d{3,})_[a-z0-9_]+\.sql$/;

/**
 * Where the schema files are: `<package>/sql/` in a published package (copied there by the
 * `prepack` script; `src/migrations/` and `dist/migrations/` are both two levels below the package
 * root), else the repository's `sql/` folder, the canonical copy, when running from a checkout.
 */
export function defaultMigrationsDirectory(): string {
  const packaged = fileURLToPath(new URL('../../sql/', import.meta.url));
  if (existsSync(packaged)) return packaged;
  return fileURLToPath(new URL('../../../../sql/', import.meta.url));
}

/** The files of one dialect, in version order. */
export async function readMigrationFiles(directory: string, dialect: string): Promise<MigrationFile[]> {
  const folder = join(directory, dialect);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    throw new MisconfigurationError('migrationsDirectory', `has no ${dialect}/ folder of schema files`, { cause: error });
  }
  const files: MigrationFile[] = [];
  for (const name of names.filter((file) => FILE_NAME.test(file)).sort()) {
    const text = (await readFile(join(folder, name), 'utf8')).replace(/\r\n/g, '\n');
    files.push({
      version: Number(FILE_NAME.exec(name)![1]),
      name,
      checksum: createHash('sha256').update(text, 'utf8').digest('hex'),
      statements: splitStatements(text),
    });
  }
  const versions = new Set(files.map((file) => file.version));
  if (versions.size !== files.length) throw new MisconfigurationError('migrationsDirectory', `two ${dialect} files share a version number`);
  return files;
}

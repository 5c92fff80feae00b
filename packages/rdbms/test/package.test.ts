import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const packageRoot = fileURLToPath(new URL('../', import.meta.url));
const repositoryRoot = join(packageRoot, '../..');
const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dependencies?: Record<string, string>;
  files?: string[];
};

/** Every database driver a dialect of this package loads (or will load). */
const DRIVERS = ['pg', 'mysql2', 'mssql', 'oracledb', 'ibm_db'];
/** Module names whose types must never appear in the public declarations. */
const DRIVER_MODULE = /(?:from\s+|import\(\s*)['"](pg|pg-[\w-]+|mysql2(?:\/[\w-]+)?|mssql|tedious|oracledb|ibm_db)['"]/;

describe('package manifest', () => {
  it.each(DRIVERS)('declares %s as an optional peer dependency', (driver) => {
    expect(manifest.peerDependencies?.[driver]).toBeTypeOf('string');
    expect(manifest.peerDependenciesMeta?.[driver]?.optional).toBe(true);
  });

  it('marks every peer dependency optional (a user installs only the driver of their database)', () => {
    const peers = Object.keys(manifest.peerDependencies ?? {});
    expect(peers.length).toBeGreaterThan(0);
    expect(peers.filter((peer) => manifest.peerDependenciesMeta?.[peer]?.optional !== true)).toEqual([]);
  });

  it('depends on no driver directly', () => {
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => DRIVERS.includes(name))).toEqual([]);
  });

  it('ships the schema files', () => {
    expect(manifest.files).toContain('sql');
  });
});

describe('public type declarations', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'tokenstore-rdbms-dts-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('mention no driver module: a user of one database needs no other driver, nor its types', () => {
    // Core is resolved from its sources, as in a workspace build.
    const config = join(outDir, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(packageRoot, 'tsconfig.json'),
        compilerOptions: {
          rootDir: join(repositoryRoot, 'packages'),
          outDir: join(outDir, 'out'),
          composite: false,
          declaration: true,
          declarationMap: false,
          emitDeclarationOnly: true,
          paths: { '@tokenstore/core': [join(repositoryRoot, 'packages/core/src/index.ts')] },
          typeRoots: [join(repositoryRoot, 'node_modules/@types')],
        },
        include: [join(packageRoot, 'src')],
        references: [],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', config], { cwd: repositoryRoot, stdio: 'pipe' });
    const declarations = listFiles(join(outDir, 'out', 'rdbms', 'src')).filter((file) => file.endsWith('.d.ts'));
    expect(declarations.map((file) => file.slice(file.lastIndexOf('/') + 1))).toContain('index.d.ts');
    const leaks = declarations.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => DRIVER_MODULE.test(line))
        .map((line) => `${file.slice(outDir.length)}: ${line.trim()}`),
    );
    expect(leaks).toEqual([]);
  });

  it('would notice a driver import (the check can fail)', () => {
    expect(DRIVER_MODULE.test("import type { Pool } from 'pg';")).toBe(true);
    expect(DRIVER_MODULE.test('pool: import("mysql2/promise").Pool;')).toBe(true);
  });
});

function listFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(directory, entry.name)) : [join(directory, entry.name)],
  );
}

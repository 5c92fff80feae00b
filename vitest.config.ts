import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(`${root}packages`).filter((name) => existsSync(`${root}packages/${name}/package.json`));

// Tests run against the TypeScript sources of sibling packages, so no build is needed first.
const alias = Object.fromEntries(packages.map((name) => [`@tokenstore/${name}`, `${root}packages/${name}/src/index.ts`]));

export default defineConfig({
  resolve: { alias },
  test: {
    // One project per package (Vitest 4 `test.projects`).
    projects: packages.map((name) => ({
      extends: true,
      test: {
        name,
        root: `${root}packages/${name}`,
        include: ['test/**/*.test.ts'],
        testTimeout: 60_000,
        hookTimeout: 120_000,
      },
    })),
    reporters: ['default'],
  },
});

import { DriverUnavailableError } from '@tokenstore/core';

/** Imports a module by specifier; `import()` by default, replaceable in tests. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

const importModule: ModuleImporter = (specifier) => import(specifier);

/**
 * Loads an optional peer dependency (`pg`, `mysql2/promise`, `mssql`, `oracledb`, `ibm_db`) the
 * first time its dialect is used. Whatever goes wrong — the package is missing, or it throws while
 * loading (ibm_db installed offline has no CLI driver and throws on require) — becomes a
 * `DriverUnavailableError` naming the package to install, never a crash at import time.
 *
 * @param specifier what to import, e.g. `mysql2/promise`
 * @param packageName the npm package to name in the error (default: `specifier`)
 * @returns the module's default export when it has one (CommonJS drivers), else the namespace
 */
export async function loadDriver<T>(
  specifier: string,
  options: { packageName?: string; backend?: string; importer?: ModuleImporter } = {},
): Promise<T> {
  const packageName = options.packageName ?? specifier;
  let loaded: unknown;
  try {
    loaded = await (options.importer ?? importModule)(specifier);
  } catch (error) {
    throw new DriverUnavailableError(packageName, { backend: options.backend ?? 'rdbms', cause: error });
  }
  const namespace = loaded as { default?: unknown } | null;
  return (namespace !== null && typeof namespace === 'object' && namespace.default !== undefined ? namespace.default : namespace) as T;
}

import { ErrorCode, TokenStoreError } from '@tokenstore/core';

/**
 * A configuration variable has a bad value. The message names the variable (or variables) and says
 * what is wrong; it never repeats a secret, a key, a password or a database URL. The CLI exits with
 * code 2 on it, before anything is opened.
 */
export class ConfigError extends TokenStoreError {
  /** The environment variable(s) at fault, e.g. `TOKENSTORE_URL` or `TOKENSTORE_REUSE, TOKENSTORE_PROTECTION`. */
  readonly variable: string;

  constructor(variable: string, message: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.Misconfiguration, `${variable}: ${message}`, { backend: 'cli', field: variable, ...options });
    this.variable = variable;
  }
}

/** The text of a core error without its `[tokenstore] [backend] option x:` prefix (it names options the operator never set). */
export function detailOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\[tokenstore\] \[[^\]]*\] /, '').replace(/^(?:option|invalid) [^:]+: /, '');
}

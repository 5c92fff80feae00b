/**
 * An OAuth2 error answer: HTTP status, `error` code and a fixed `error_description` that never holds
 * a presented value.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly extra: { close?: boolean; headers?: Record<string, string> } = {},
  ) {
    super(description);
    this.name = 'HttpError';
  }
}

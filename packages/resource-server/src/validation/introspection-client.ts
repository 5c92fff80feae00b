import type { IntrospectionFailure } from '../events.js';
import type { ResolvedIntrospectionOptions } from '../options.js';

/** An RFC 7662 answer: `active` and whatever else the server said. */
export type IntrospectionAnswer = { active: boolean } & Record<string, unknown>;

/** Introspection could not answer: what went wrong, for the event and the 503. Never carries the token. */
export class IntrospectionCallError extends Error {
  readonly failure: IntrospectionFailure;
  readonly status: number | undefined;
  constructor(failure: IntrospectionFailure, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.failure = failure;
    this.status = options.status;
  }
}

/**
 * One introspection call (RFC 7662 §2.1): POST the token, hinted as an access token, authenticated
 * with HTTP Basic; bounded by `timeoutMs`. Resolves to the answer, or throws IntrospectionCallError.
 */
export async function callIntrospection(options: ResolvedIntrospectionOptions, token: string): Promise<IntrospectionAnswer> {
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: 'POST',
      headers: {
        authorization: options.authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    // Undici's errors name the URL at most, never the body; the cause is kept for operators.
    if (isTimeout(error)) throw new IntrospectionCallError('timeout', `introspection did not answer within ${options.timeoutMs} ms`);
    throw new IntrospectionCallError('unreachable', 'the introspection endpoint could not be reached', { cause: error });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (isTimeout(error)) throw new IntrospectionCallError('timeout', `introspection did not answer within ${options.timeoutMs} ms`);
    throw new IntrospectionCallError('unreachable', 'the introspection answer was cut off', { cause: error });
  }
  if (response.status !== 200)
    throw new IntrospectionCallError('bad_status', `the introspection endpoint answered HTTP ${response.status}`, {
      status: response.status,
    });
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new IntrospectionCallError('bad_response', 'the introspection answer is not JSON', { status: 200 });
  }
  if (
    answer === null ||
    typeof answer !== 'object' ||
    Array.isArray(answer) ||
    typeof (answer as { active?: unknown }).active !== 'boolean'
  )
    throw new IntrospectionCallError('bad_response', 'the introspection answer has no boolean "active" member', { status: 200 });
  return answer as IntrospectionAnswer;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

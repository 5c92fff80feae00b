import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** Largest request body read, in bytes (a form with an 8 KiB token fits many times over). */
export const MAX_BODY_BYTES = 64 * 1024;
/** A body declared or sent beyond this is not even read to the end: the connection is closed. */
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;
/** Longest single parameter value (the longest token tokenstore accepts). */
export const MAX_PARAMETER_LENGTH = 8192;
/** Most parameters in one request. */
export const MAX_PARAMETERS = 32;
const MAX_NAME_LENGTH = 64;

/** Request parameters: one string per name (a repeated name is refused, RFC 6749 §3.1 / §3.2). */
export type Parameters = Record<string, string>;

/**
 * Reads and parses a request body: `application/x-www-form-urlencoded`, or `application/json` (an
 * object of strings). Refuses oversized bodies (413), other content types (415) and malformed or
 * repeated parameters (400 invalid_request), reading at most {@link MAX_BODY_BYTES} into memory.
 */
export async function readParameters(req: IncomingMessage, accept: { json: boolean }): Promise<Parameters> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? undefined : Number(declared);
  const raw = await readBody(req, length);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (raw.length === 0 && type === '') return Object.create(null) as Parameters;
  if (type === 'application/x-www-form-urlencoded') return checked(formEntries(raw));
  if (accept.json && type === 'application/json') return checked(jsonEntries(raw));
  throw new HttpError(
    415,
    'invalid_request',
    `content type must be application/x-www-form-urlencoded${accept.json ? ' or application/json' : ''}`,
  );
}

async function readBody(req: IncomingMessage, declared: number | undefined): Promise<string> {
  if (declared !== undefined && declared > DISCARD_LIMIT_BYTES)
    throw new HttpError(413, 'invalid_request', 'request body too large', { close: true });
  const buffer = await collect(req);
  if (buffer === null || (declared !== undefined && declared > MAX_BODY_BYTES))
    throw new HttpError(413, 'invalid_request', `request body larger than ${MAX_BODY_BYTES} bytes`);
  if (!isUtf8(buffer)) throw new HttpError(400, 'invalid_request', 'request body is not valid UTF-8');
  return buffer.toString('utf8');
}

/**
 * The body, read to its end with `data`/`end` listeners (cheaper per request than an async iterator),
 * or `null` when it is longer than {@link MAX_BODY_BYTES} (the rest is still read and dropped, so the
 * client sees the answer); more than {@link DISCARD_LIMIT_BYTES} is not read at all.
 */
function collect(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_LIMIT_BYTES) {
        cleanup();
        reject(new HttpError(413, 'invalid_request', 'request body too large', { close: true }));
      } else if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (size > MAX_BODY_BYTES) resolve(null);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      // Closed before the end: nothing to answer to, the handler's error path ends the request.
      if (!req.complete) onError(new Error('request closed before its body was read'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function formEntries(raw: string): Array<[string, unknown]> {
  // URLSearchParams never throws; a malformed percent sequence decodes to U+FFFD, which is refused below.
  return [...new URLSearchParams(raw).entries()];
}

function jsonEntries(raw: string): Array<[string, unknown]> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'invalid_request', 'request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new HttpError(400, 'invalid_request', 'JSON request body must be an object');
  return Object.entries(value);
}

/** The entries as parameters, refusing repeats, non-strings, oversized and malformed values. */
export function checked(entries: Array<[string, unknown]>): Parameters {
  if (entries.length > MAX_PARAMETERS) throw new HttpError(400, 'invalid_request', `more than ${MAX_PARAMETERS} parameters`);
  const parameters = Object.create(null) as Parameters;
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > MAX_NAME_LENGTH || !/^[\w.-]+$/.test(name))
      throw new HttpError(400, 'invalid_request', 'malformed parameter name');
    if (name in parameters) throw new HttpError(400, 'invalid_request', `parameter ${name} is repeated`);
    if (typeof value !== 'string') throw new HttpError(400, 'invalid_request', `parameter ${name} must be a string`);
    if (value.length > MAX_PARAMETER_LENGTH)
      throw new HttpError(400, 'invalid_request', `parameter ${name} is longer than ${MAX_PARAMETER_LENGTH} characters`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters (and undecodable input) is the point
    if (/[\u0000-\u001f\u007f\ufffd]/.test(value))
      throw new HttpError(400, 'invalid_request', `parameter ${name} holds invalid characters`);
    parameters[name] = value;
  }
  return parameters;
}

/** Query-string parameters, with the same checks as a body. */
export function queryParameters(search: URLSearchParams): Parameters {
  return checked([...search.entries()]);
}

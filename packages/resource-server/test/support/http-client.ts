import { request } from 'node:http';

/** An answer as the tests look at it. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (or the text when it is not JSON). */
  body: unknown;
  /** `WWW-Authenticate`, when sent. */
  challenge: string | undefined;
}

export interface CallOptions {
  method?: string;
  /** Array values are sent as repeated header lines (fetch would join them into one). */
  headers?: Record<string, string | string[]>;
  body?: string;
}

/** One request with node:http, so tests can send what fetch cannot (two Authorization lines, a GET with a body). */
export function call(url: string, options: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = request(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        const challenge = res.headers['www-authenticate'];
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          challenge: typeof challenge === 'string' ? challenge : undefined,
        });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `Authorization: Bearer <token>`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A urlencoded form body and its content type. */
export function form(fields: Array<[string, string]>): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

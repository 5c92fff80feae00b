import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http/respond.js';
import type { ServerContext } from '../server-context.js';

/** A consumer key no client has (registered keys are generated or validated identifiers). */
const PROBE = 'tokenstore-health-probe';

/** `GET /health`: reads the store once; 200 `{ status: 'ok', backend }`, or 503 `{ status: 'unavailable', backend }`. */
export async function healthEndpoint(context: ServerContext, _req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const backend = context.service.store.backend;
  try {
    await context.service.store.getClient(PROBE);
    sendJson(res, 200, { status: 'ok', backend });
    return undefined;
  } catch {
    sendJson(res, 503, { status: 'unavailable', backend });
    return 'unavailable';
  }
}

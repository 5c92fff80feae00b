import type { IncomingMessage } from 'node:http';
import { type Clock, MisconfigurationError, systemClock } from '@tokenstore/core';
import {
  type DpopOptions,
  DpopProofError,
  dpopHeaderOf,
  type ResolvedDpopOptions,
  resolveDpopOptions,
  verifyDpopProof,
} from './dpop/proof.js';
import { type Challenge, senderConstraintError } from './errors.js';
import {
  type ClientCertificateOptions,
  clientCertificateThumbprint,
  type ResolvedClientCertificateOptions,
  resolveClientCertificateOptions,
} from './mtls/certificate.js';
import type { SenderConstraintCheck, SenderConstraintInput } from './sender-constraint.js';

/** Options of {@link senderConstraints}. */
export interface SenderConstraintsOptions {
  /** Verify DPoP-bound tokens (`cnf.jkt`, RFC 9449 §7): `true` for the defaults, or proof options. */
  dpop?: boolean | DpopOptions;
  /** Verify certificate-bound tokens (`cnf["x5t#S256"]`, RFC 8705 §3): `true` for the TLS connection's certificate only. */
  mtls?: boolean | ClientCertificateOptions;
  /**
   * The public origin the clients address, e.g. `https://api.example` (what a proof's `htu` names).
   * Default: from the request (`https` on a TLS connection, else `http`, and its `Host` header).
   */
  origin?: string;
  /** The time proofs' `iat` is checked against (a `ManualClock` in tests). Default: the system clock. */
  clock?: Clock;
}

/**
 * The built-in sender-constraint check for the `senderConstraint` option: every binding a token
 * carries must be proved — `cnf.jkt` by a DPoP proof of that key for this request (`Authorization:
 * DPoP`, `htm`, `htu`, `ath`, `iat` window, no replay), `cnf["x5t#S256"]` by the TLS client
 * certificate — and a binding no enabled method checks is refused. Unbound tokens pass as bearer
 * tokens (but not under the DPoP scheme).
 *
 * ```ts
 * expressBearer({ service, senderConstraint: senderConstraints({ dpop: true, mtls: true }) })
 * ```
 */
export function senderConstraints(options: SenderConstraintsOptions): SenderConstraintCheck {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError('senderConstraints', 'must be an object');
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function') throw new MisconfigurationError('senderConstraints.clock', 'must be a Clock');
  const now = () => clock.now();
  const dpop = options.dpop ? resolveDpopOptions(options.dpop === true ? {} : options.dpop, 'senderConstraints.dpop', now) : undefined;
  const mtls = options.mtls
    ? resolveClientCertificateOptions(options.mtls === true ? {} : options.mtls, 'senderConstraints.mtls')
    : undefined;
  if (!dpop && !mtls) throw new MisconfigurationError('senderConstraints', 'enable dpop, mtls or both');
  const origin = options.origin === undefined ? undefined : checkOrigin(options.origin);
  const algs = dpop?.algorithms.join(' ');
  const dpopChallenge = (params: Record<string, string>): Challenge => ({ scheme: 'DPoP', params: { ...params, algs: algs! } });
  const check: SenderConstraintCheck = {
    verify: (input) => verifyBindings(input, { dpop, mtls, origin, now, dpopChallenge }),
  };
  if (dpop) {
    check.schemes = ['DPoP'];
    check.challenges = [{ scheme: 'DPoP', params: { algs: algs! } }];
  }
  return check;
}

interface Checks {
  dpop: ResolvedDpopOptions | undefined;
  mtls: ResolvedClientCertificateOptions | undefined;
  origin: string | undefined;
  now: () => number;
  dpopChallenge(params: Record<string, string>): Challenge;
}

async function verifyBindings({ request, auth, scheme, accessTokenHash }: SenderConstraintInput, checks: Checks): Promise<void> {
  const cnf = auth.cnf ?? {};
  const jkt = cnf.jkt;
  const x5t = cnf['x5t#S256'];
  const unknown = Object.keys(cnf).find((method) => method !== 'jkt' && method !== 'x5t#S256');
  if (unknown !== undefined || (jkt !== undefined && !checks.dpop) || (x5t !== undefined && !checks.mtls))
    throw senderConstraintError(
      401,
      {
        scheme: 'Bearer',
        params: { error: 'invalid_token', error_description: 'the token is bound by a method this server does not check' },
      },
      'the access token is sender-constrained by a method this resource server does not verify',
    );
  if (checks.dpop) await verifyDpop(request, typeof jkt === 'string' ? jkt : undefined, scheme, accessTokenHash, checks);
  if (x5t !== undefined && checks.mtls) {
    const presented = clientCertificateThumbprint(request, checks.mtls);
    if (presented !== x5t)
      throw senderConstraintError(
        401,
        { scheme: 'Bearer', params: { error: 'invalid_token', error_description: 'the token is bound to another client certificate' } },
        presented === undefined
          ? 'the access token is certificate-bound and the request presented no client certificate'
          : 'the access token is bound to another client certificate',
      );
  }
}

async function verifyDpop(
  request: IncomingMessage,
  jkt: string | undefined,
  scheme: string,
  accessTokenHash: string,
  checks: Checks,
): Promise<void> {
  const refuse = (error: string, description: string) =>
    senderConstraintError(401, checks.dpopChallenge({ error, error_description: description }), description);
  if (jkt === undefined) {
    if (scheme === 'dpop') throw refuse('invalid_token', 'the access token is not DPoP-bound: use the Bearer scheme');
    return;
  }
  // RFC 9449 §7.1: a DPoP-bound token under the Bearer scheme is refused (a downgrade).
  if (scheme !== 'dpop') throw refuse('invalid_token', 'the access token is DPoP-bound: use the DPoP scheme with a proof');
  try {
    const proof = dpopHeaderOf(request.rawHeaders ?? []);
    if (proof === undefined) throw new DpopProofError('invalid_dpop_proof', 'a DPoP proof is required');
    const url = requestUrl(request, checks.origin);
    const verified = await verifyDpopProof(proof, { method: request.method ?? '', url, accessTokenHash }, checks.dpop!, checks.now());
    if (verified.jkt !== jkt) throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof key is not the key the token is bound to');
  } catch (error) {
    if (error instanceof DpopProofError) throw refuse('invalid_dpop_proof', error.message);
    throw error;
  }
}

/** The URL the client addressed: the configured origin (or the request's) and `path` (default: the original path). */
export function requestUrl(
  request: IncomingMessage,
  origin: string | undefined,
  // Express rewrites `url` inside mounted routers; `originalUrl` is what the client sent.
  path = (request as { originalUrl?: string }).originalUrl ?? request.url ?? '/',
): string {
  if (origin !== undefined) return `${origin}${path}`;
  const tls = (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return `${tls ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}${path}`;
}

function checkOrigin(origin: unknown): string {
  let url: URL;
  try {
    url = new URL(String(origin));
  } catch {
    throw new MisconfigurationError('senderConstraints.origin', 'must be an http(s) origin such as https://api.example');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search !== '' || url.hash !== '')
    throw new MisconfigurationError('senderConstraints.origin', 'must be an http(s) origin without path, query or fragment');
  return url.origin;
}

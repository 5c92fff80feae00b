import type { IncomingMessage } from 'node:http';
import { type Clock, type Confirmation, MisconfigurationError } from '@tokenstore/core';
import {
  clientCertificateThumbprint,
  DpopNonces,
  DpopProofError,
  dpopHeaderOf,
  type ResolvedClientCertificateOptions,
  type ResolvedDpopOptions,
  requestUrl,
  resolveClientCertificateOptions,
  resolveDpopOptions,
  verifyDpopProof,
} from '@tokenstore/resource-server';
import { HttpError } from './http/http-error.js';
import type { DpopServerOptions, TokenServerOptions } from './options.js';

/** The `dpop` and `mtls` options, resolved. */
export interface ResolvedSenderConstraints {
  dpop: { verify: ResolvedDpopOptions; nonces: DpopNonces | undefined } | undefined;
  mtls: ResolvedClientCertificateOptions | undefined;
  clock: Clock;
}

export function resolveSenderConstraints(options: TokenServerOptions, clock: Clock): ResolvedSenderConstraints {
  const now = () => clock.now();
  let dpop: ResolvedSenderConstraints['dpop'];
  if (options.dpop !== false) {
    const given: DpopServerOptions = options.dpop === undefined || options.dpop === true ? {} : options.dpop;
    if (given === null || typeof given !== 'object') throw new MisconfigurationError('dpop', 'must be true, false or an object');
    const { nonce, ...proof } = given;
    dpop = { verify: resolveDpopOptions(proof, 'dpop', now), nonces: nonce ? new DpopNonces(rotateSecondsOf(nonce), now) : undefined };
  }
  const mtls =
    options.mtls === false
      ? undefined
      : resolveClientCertificateOptions(options.mtls === undefined || options.mtls === true ? {} : options.mtls, 'mtls');
  return { dpop, mtls, clock };
}

function rotateSecondsOf(nonce: true | { rotateSeconds?: number }): number {
  const seconds = nonce === true ? 300 : (nonce.rotateSeconds ?? 300);
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new MisconfigurationError('dpop.nonce.rotateSeconds', 'must be a whole number of seconds, at least 1');
  return seconds;
}

/** What a token request proved: its DPoP key and/or TLS client certificate, as the tokens' confirmation. */
export interface ProvedSenderConstraint {
  confirmation: Confirmation | undefined;
  /** Headers every answer to this request carries (`DPoP-Nonce` when nonces are on). */
  headers: Record<string, string>;
}

/**
 * Checks the DPoP proof of a `/token` request (RFC 9449 §4.3, §5) against `url`, the token endpoint
 * as clients address it, and reads the TLS client certificate (RFC 8705 §3). A malformed or replayed
 * proof is a 400 `invalid_dpop_proof`; one without the server's nonce (when required) a 400
 * `use_dpop_nonce` carrying the nonce.
 */
export async function proveSenderConstraint(
  req: IncomingMessage,
  url: string,
  constraints: ResolvedSenderConstraints,
): Promise<ProvedSenderConstraint> {
  const confirmation: Confirmation = {};
  const headers: Record<string, string> = {};
  const dpop = constraints.dpop;
  if (dpop) {
    if (dpop.nonces) headers['dpop-nonce'] = dpop.nonces.current();
    try {
      const proof = dpopHeaderOf(req.rawHeaders ?? []);
      if (proof !== undefined) {
        const verified = await verifyDpopProof(proof, { method: 'POST', url, nonces: dpop.nonces }, dpop.verify, constraints.clock.now());
        confirmation.jkt = verified.jkt;
      }
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      throw new HttpError(400, error.error, error.message, { headers });
    }
  }
  if (constraints.mtls) {
    const thumbprint = clientCertificateThumbprint(req, constraints.mtls);
    if (thumbprint !== undefined) confirmation['x5t#S256'] = thumbprint;
  }
  const bound = confirmation.jkt !== undefined || confirmation['x5t#S256'] !== undefined;
  return { confirmation: bound ? confirmation : undefined, headers };
}

/** The URL of `path` as clients address it: under the issuer when one is configured, else from the request. */
export function endpointUrl(req: IncomingMessage, issuer: string | undefined, path: string): string {
  if (issuer !== undefined) return `${issuer.replace(/\/+$/, '')}${path}`;
  return requestUrl(req, undefined, path);
}

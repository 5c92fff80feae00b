import { createHash } from 'node:crypto';
import { MisconfigurationError } from '@tokenstore/core';
import { calculateJwkThumbprint, EmbeddedJWK, type JWTPayload, jwtVerify } from 'jose';
import type { DpopNonces } from './nonces.js';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';

/** Asymmetric JWS algorithms a proof may be signed with when configured (RFC 9449 §4.3: never `none`, never a MAC). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
/** Accepted unless `algorithms` says otherwise; add `RS256` / `PS256` for clients that only have RSA keys. */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA'];

/** Options of DPoP proof verification, at the token endpoint and at a resource server alike. */
export interface DpopOptions {
  /** JWS algorithms accepted, from {@link DPOP_ALGORITHMS}. Default `['ES256', 'EdDSA']`. */
  algorithms?: readonly string[];
  /** A proof is accepted while its `iat` is at most this many seconds from now (either way: clock skew). Default 60. */
  proofWindowSeconds?: number;
  /** Where `jti`s are remembered for the window (default: this process's memory; several nodes need a shared one). */
  replayStore?: ReplayStore;
}

/** Why a proof was refused: `use_dpop_nonce` asks the client to retry with the server's nonce (RFC 9449 §8). */
export class DpopProofError extends Error {
  readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce';
  constructor(error: 'invalid_dpop_proof' | 'use_dpop_nonce', description: string, options?: { cause?: unknown }) {
    super(description, options);
    this.name = 'DpopProofError';
    this.error = error;
  }
}

/** What the request must match. */
export interface ProofExpectation {
  /** The request's method (`htm`). */
  method: string;
  /** The request's URL as the client addressed it (`htu`; query and fragment are ignored). */
  url: string;
  /** Resource requests: base64url(SHA-256(access token)), which `ath` must equal (RFC 9449 §4.2). */
  accessTokenHash?: string;
  /** When the server requires its nonces: the proof's `nonce` must be one of them. */
  nonces?: DpopNonces;
}

/** A proof that passed every check. */
export interface VerifiedProof {
  /** The JWK SHA-256 thumbprint of the proof's key (RFC 7638), what `cnf.jkt` holds. */
  jkt: string;
  iat: number;
}

export interface ResolvedDpopOptions {
  algorithms: readonly string[];
  proofWindowMs: number;
  replayStore: ReplayStore;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Applies defaults and checks every option, naming the wrong one (`<prefix>.algorithms`, …). */
export function resolveDpopOptions(options: DpopOptions, prefix: string, now: () => number): ResolvedDpopOptions {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError(prefix, 'must be an object');
  const algorithms = options.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((alg) => !DPOP_ALGORITHMS.includes(alg)))
    throw new MisconfigurationError(`${prefix}.algorithms`, `must be a non-empty list of ${DPOP_ALGORITHMS.join(', ')}`);
  const window = options.proofWindowSeconds ?? 60;
  if (!Number.isInteger(window) || window < 1 || window > 3600)
    throw new MisconfigurationError(`${prefix}.proofWindowSeconds`, 'must be a whole number of seconds from 1 to 3600');
  const replayStore = options.replayStore ?? new MemoryReplayStore({ now });
  if (typeof replayStore?.remember !== 'function')
    throw new MisconfigurationError(`${prefix}.replayStore`, 'must be a ReplayStore (an object with remember(id, expiresAt))');
  return { algorithms: [...algorithms], proofWindowMs: window * 1000, replayStore };
}

/** `url` without query and fragment, normalised by the WHATWG URL parser (RFC 9449 §4.3 item 9); `null` if it is none. */
export function htuOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return null;
  }
}

/**
 * Verifies a DPoP proof (RFC 9449 §4.3) with `jose`: a JWS of type `dpop+jwt`, signed with an allowed
 * asymmetric algorithm by the public JWK in its header (no private members), whose `htm` and `htu`
 * match the request, whose `iat` is within the window, whose `ath` matches the access token (resource
 * requests), whose `nonce` is the server's (when required), and whose `jti` was not seen before in the
 * window (remembered, with the key's thumbprint, in the replay store). Throws {@link DpopProofError}.
 */
export async function verifyDpopProof(
  proof: string,
  expected: ProofExpectation,
  options: ResolvedDpopOptions,
  now: number,
): Promise<VerifiedProof> {
  if (typeof proof !== 'string' || proof.length === 0 || proof.length > 8192)
    throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof is missing or too long');
  let payload: JWTPayload;
  let jwk: Record<string, unknown>;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...options.algorithms],
      currentDate: new Date(now),
    });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as unknown as Record<string, unknown>;
  } catch (error) {
    throw new DpopProofError(
      'invalid_dpop_proof',
      'the DPoP proof is not a valid dpop+jwt signed by its embedded public key with an accepted algorithm',
      {
        cause: error,
      },
    );
  }
  if (PRIVATE_MEMBERS.some((member) => member in jwk))
    throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof key contains a private key');
  const { jti, htm, htu, iat, ath, nonce } = payload as JWTPayload & { htm?: unknown; htu?: unknown; ath?: unknown; nonce?: unknown };
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256)
    throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof has no usable jti');
  if (htm !== expected.method) throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof htm does not match the request method');
  const target = htuOf(expected.url);
  if (typeof htu !== 'string' || target === null || htuOf(htu) !== target)
    throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof htu does not match the request URL');
  if (typeof iat !== 'number' || !Number.isFinite(iat) || Math.abs(iat * 1000 - now) > options.proofWindowMs)
    throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof iat is outside the accepted window');
  if (expected.accessTokenHash !== undefined && ath !== expected.accessTokenHash)
    throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof ath does not match the access token');
  if (expected.nonces !== undefined && !expected.nonces.accepts(nonce))
    throw new DpopProofError('use_dpop_nonce', 'the DPoP proof must carry the nonce this server provided (DPoP-Nonce)');
  const jkt = await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256');
  // Last, so a refused proof does not use up its jti; keyed by key and jti, digested to a fixed size.
  const id = createHash('sha256').update(`${jkt}\u0000${jti}`).digest('base64url');
  if (!(await options.replayStore.remember(id, Math.max(iat * 1000, now) + options.proofWindowMs)))
    throw new DpopProofError('invalid_dpop_proof', 'the DPoP proof was already used (replay)');
  return { jkt, iat };
}

/** The one `DPoP` header of a request; `undefined` without one. Two are refused (RFC 9449 §4.3 item 1). */
export function dpopHeaderOf(rawHeaders: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]!.toLowerCase() !== 'dpop') continue;
    if (found !== undefined) throw new DpopProofError('invalid_dpop_proof', 'more than one DPoP header');
    found = rawHeaders[index + 1]!;
  }
  return found;
}

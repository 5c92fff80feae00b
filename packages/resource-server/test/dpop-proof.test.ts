import { createHash } from 'node:crypto';
import { MemoryStore } from '@tokenstore/cache';
import { createProtector, generatePepper, ManualClock, TokenService } from '@tokenstore/core';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  artifactReplayStore,
  DPOP_PROOF_MODEL,
  DpopNonces,
  DpopProofError,
  dpopHeaderOf,
  MemoryReplayStore,
  resolveDpopOptions,
  verifyDpopProof,
} from '../src/index.js';

const URL_ = 'https://api.example/orders';
const TOKEN_HASH = createHash('sha256').update('the-access-token').digest('base64url');

describe('DPoP proof verification (RFC 9449 §4.3)', () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let publicJwk: JWK;
  let jti = 0;

  beforeAll(async () => {
    keys = await generateKeyPair('ES256', { extractable: true });
    publicJwk = await exportJWK(keys.publicKey);
  });

  /** A proof as a client makes it; `change` alters header or claims to break one rule. */
  async function proof(change: { header?: Record<string, unknown>; claims?: Record<string, unknown>; alg?: string } = {}) {
    const claims = {
      jti: `proof-${++jti}-abcdef`,
      htm: 'GET',
      htu: URL_,
      iat: Math.floor(clock.now() / 1000),
      ath: TOKEN_HASH,
      ...change.claims,
    };
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: change.alg ?? 'ES256', jwk: publicJwk, ...change.header } as never)
      .sign(keys.privateKey);
  }
  const options = () => resolveDpopOptions({}, 'dpop', () => clock.now());
  const expectation = { method: 'GET', url: URL_, accessTokenHash: TOKEN_HASH };
  async function refusal(promise: Promise<unknown>): Promise<DpopProofError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(DpopProofError);
      return error as DpopProofError;
    }
    throw new Error('expected the proof to be refused');
  }

  it('accepts a valid proof and returns the RFC 7638 thumbprint of its key', async () => {
    const verified = await verifyDpopProof(await proof(), expectation, options(), clock.now());
    expect(verified.jkt).toBe(await calculateJwkThumbprint(publicJwk, 'sha256'));
  });

  it('ignores the query and fragment of htu and of the request URL', async () => {
    const given = await proof({ claims: { htu: `${URL_}?page=2#top` } });
    await expect(verifyDpopProof(given, { ...expectation, url: `${URL_}?other=1` }, options(), clock.now())).resolves.toBeDefined();
  });

  it.each([
    ['another typ', { header: { typ: 'JWT' } }],
    ['a wrong htm', { claims: { htm: 'POST' } }],
    ['a wrong htu', { claims: { htu: 'https://api.example/other' } }],
    ['another origin in htu', { claims: { htu: 'https://evil.example/orders' } }],
    ['an iat too old', { claims: { iat: Math.floor(Date.UTC(2030, 0, 1) / 1000) - 61 } }],
    ['an iat in the future', { claims: { iat: Math.floor(Date.UTC(2030, 0, 1) / 1000) + 61 } }],
    ['a wrong ath', { claims: { ath: 'x'.repeat(43) } }],
    ['no jti', { claims: { jti: undefined } }],
  ])('refuses a proof with %s', async (_what, change) => {
    const error = await refusal(verifyDpopProof(await proof(change), expectation, options(), clock.now()));
    expect(error.error).toBe('invalid_dpop_proof');
  });

  it('refuses a proof whose header JWK holds the private key', async () => {
    const privateJwk = await exportJWK(keys.privateKey);
    const given = await proof({ header: { jwk: privateJwk } });
    expect((await refusal(verifyDpopProof(given, expectation, options(), clock.now()))).error).toBe('invalid_dpop_proof');
  });

  it('refuses a proof signed by another key than the one in its header', async () => {
    const other = await generateKeyPair('ES256', { extractable: true });
    const given = await proof({ header: { jwk: await exportJWK(other.publicKey) } });
    expect((await refusal(verifyDpopProof(given, expectation, options(), clock.now()))).message).toMatch(/not a valid dpop\+jwt/);
  });

  it('refuses algorithms outside the allow-list, and accepts RS256 once configured', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const rsaJwk = await exportJWK(rsa.publicKey);
    const signed = await new SignJWT({
      jti: 'rsa-proof-123456',
      htm: 'GET',
      htu: URL_,
      iat: Math.floor(clock.now() / 1000),
      ath: TOKEN_HASH,
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'RS256', jwk: rsaJwk })
      .sign(rsa.privateKey);
    await refusal(verifyDpopProof(signed, expectation, options(), clock.now()));
    const withRsa = resolveDpopOptions({ algorithms: ['ES256', 'RS256'] }, 'dpop', () => clock.now());
    await expect(verifyDpopProof(signed, expectation, withRsa, clock.now())).resolves.toBeDefined();
    expect(() => resolveDpopOptions({ algorithms: ['HS256'] }, 'dpop', () => clock.now())).toThrow(/dpop.algorithms/);
    expect(() => resolveDpopOptions({ algorithms: ['none'] }, 'dpop', () => clock.now())).toThrow(/dpop.algorithms/);
  });

  it('refuses a replayed proof within the window, and forgets it after the window', async () => {
    const resolved = options();
    const given = await proof();
    await verifyDpopProof(given, expectation, resolved, clock.now());
    expect((await refusal(verifyDpopProof(given, expectation, resolved, clock.now()))).message).toMatch(/already used/);
    const store = new MemoryReplayStore({ now: () => clock.now() });
    expect(store.remember('id', clock.now() + 1000)).toBe(true);
    expect(store.remember('id', clock.now() + 1000)).toBe(false);
    clock.advance(1001);
    expect(store.remember('id', clock.now() + 1000)).toBe(true);
  });

  it('refuses a proof replayed to another node when the nodes share the token store (artifactReplayStore)', async () => {
    const store = new MemoryStore({ clock });
    const protector = createProtector({ mode: 'hash', peppers: [{ id: 'p1', secret: generatePepper() }] });
    const node = () => {
      const service = new TokenService({ store, clock, protector });
      return resolveDpopOptions({ replayStore: artifactReplayStore(service.artifacts) }, 'dpop', () => clock.now());
    };
    const [a, b] = [node(), node()];
    const given = await proof();
    await verifyDpopProof(given, expectation, a, clock.now());
    expect((await refusal(verifyDpopProof(given, expectation, b, clock.now()))).message).toMatch(/already used/);
    // Concurrent first uses of one proof on both nodes: exactly one is accepted.
    const raced = await proof();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => verifyDpopProof(raced, expectation, i % 2 ? a : b, clock.now())),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    // Kept as artifacts of their own model, only as lookup keys, with an expiry (so the purger removes them).
    const rows = [...store.artifacts.rows()];
    expect(rows.map((row) => row.model)).toEqual([DPOP_PROOF_MODEL, DPOP_PROOF_MODEL]);
    for (const row of rows) {
      expect(row.key).toMatch(/^hmac-sha256:p1\$/);
      expect(row.value).toBeNull();
      expect(row.expiresAt).toBeGreaterThan(clock.now());
    }
  });

  it('does not use up the jti of a refused proof', async () => {
    const resolved = options();
    const given = await proof({ claims: { htm: 'GET' } });
    await refusal(verifyDpopProof(given, { ...expectation, method: 'POST' }, resolved, clock.now()));
    await expect(verifyDpopProof(given, expectation, resolved, clock.now())).resolves.toBeDefined();
  });

  it('asks for the server nonce (use_dpop_nonce) and accepts the current and the previous one', async () => {
    const nonces = new DpopNonces(60, () => clock.now());
    const first = nonces.current();
    const missing = await refusal(verifyDpopProof(await proof(), { ...expectation, nonces }, options(), clock.now()));
    expect(missing.error).toBe('use_dpop_nonce');
    await expect(
      verifyDpopProof(await proof({ claims: { nonce: first } }), { ...expectation, nonces }, options(), clock.now()),
    ).resolves.toBeDefined();
    clock.advanceSeconds(60);
    expect(nonces.current()).not.toBe(first);
    await expect(
      verifyDpopProof(await proof({ claims: { nonce: first } }), { ...expectation, nonces }, options(), clock.now()),
    ).resolves.toBeDefined();
    clock.advanceSeconds(60);
    nonces.current();
    expect(
      (await refusal(verifyDpopProof(await proof({ claims: { nonce: first } }), { ...expectation, nonces }, options(), clock.now()))).error,
    ).toBe('use_dpop_nonce');
  });

  it('finds the one DPoP header and refuses two', () => {
    expect(dpopHeaderOf(['Host', 'x', 'DPoP', 'a.b.c'])).toBe('a.b.c');
    expect(dpopHeaderOf(['Host', 'x'])).toBeUndefined();
    expect(() => dpopHeaderOf(['DPoP', 'a', 'dpop', 'b'])).toThrow(DpopProofError);
  });
});

import { Buffer } from 'node:buffer';
import { findPlaintextsAtRest, snapshotRows } from '@tokenstore/conformance';
import { describe, expect, it } from 'vitest';

const SECRET = 'c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw';
const issued = new Map([[SECRET, 'accessToken']]);

describe('findPlaintextsAtRest', () => {
  it.each([
    ['a text column', { token: SECRET }],
    ['a value inside a longer text', { blob: `v1:${SECRET}:end` }],
    ['a nested JSON document', { doc: { history: [{ value: SECRET }] } }],
    ['a binary column holding the text', { raw: Buffer.from(SECRET, 'utf8') }],
    ['a hex-encoded column', { hex: Buffer.from(SECRET, 'utf8').toString('hex') }],
    ['a base64-encoded column', { b64: Buffer.from(SECRET, 'utf8').toString('base64') }],
  ])('finds a plaintext kept in %s', (_where, row) => {
    expect(findPlaintextsAtRest([row], issued)).toEqual(['accessToken']);
  });

  it('finds nothing when only digests are stored', () => {
    expect(findPlaintextsAtRest([{ key: 'hmac-sha256:p1$ab12cd', value: null, issuedAt: 1n }], issued)).toEqual([]);
  });
});

describe('snapshotRows', () => {
  it('ignores row and key order but sees any change of a value', () => {
    const a = { key: 'k1', state: 'ACTIVE', count: 1n };
    const b = { key: 'k2', state: 'ACTIVE' };
    expect(snapshotRows([a, b])).toEqual(
      snapshotRows([
        { state: 'ACTIVE', key: 'k2' },
        { count: 1n, state: 'ACTIVE', key: 'k1' },
      ]),
    );
    expect(snapshotRows([a, b])).not.toEqual(snapshotRows([a, { ...b, state: 'REVOKED' }]));
  });
});

import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { MisconfigurationError } from '@tokenstore/core';

/** Where a TLS client certificate comes from besides the request's own TLS connection. */
export interface ClientCertificateOptions {
  /**
   * A header a TLS-terminating proxy puts the client certificate in, as PEM, URL-encoded PEM
   * (nginx `$ssl_client_escaped_cert`) or base64 DER, e.g. `x-ssl-client-cert`. Read only on
   * connections from `trustedProxies`; anyone else could send it. Default: none.
   */
  certificateHeader?: string;
  /** IP addresses of the proxies trusted to set `certificateHeader`. Required with it. */
  trustedProxies?: readonly string[];
}

export interface ResolvedClientCertificateOptions {
  certificateHeader: string | undefined;
  trustedProxies: ReadonlySet<string>;
}

export function resolveClientCertificateOptions(options: ClientCertificateOptions, prefix: string): ResolvedClientCertificateOptions {
  if (options === null || typeof options !== 'object') throw new MisconfigurationError(prefix, 'must be an object');
  const header = options.certificateHeader;
  if (header !== undefined && (typeof header !== 'string' || !/^[A-Za-z0-9-]+$/.test(header)))
    throw new MisconfigurationError(`${prefix}.certificateHeader`, 'must be a header name');
  const proxies = options.trustedProxies ?? [];
  if (!Array.isArray(proxies) || proxies.some((address) => isIP(String(address)) === 0))
    throw new MisconfigurationError(`${prefix}.trustedProxies`, 'must be a list of IP addresses');
  if (header !== undefined && proxies.length === 0)
    throw new MisconfigurationError(`${prefix}.trustedProxies`, 'must name the proxies allowed to set certificateHeader');
  return { certificateHeader: header?.toLowerCase(), trustedProxies: new Set(proxies.map(normalizeAddress)) };
}

/** The SHA-256 thumbprint of a certificate's DER encoding, base64url: what `cnf["x5t#S256"]` holds (RFC 8705 §3.1). */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

/**
 * The thumbprint of the client certificate of `req`: the peer certificate of its TLS connection
 * (`node:https` with `requestCert`; whether it chains to a CA does not matter for the binding, RFC 8705
 * §3), else, on a connection from a trusted proxy, the certificate in the configured header.
 * `undefined` when there is none. A header that holds no certificate counts as none.
 */
export function clientCertificateThumbprint(req: IncomingMessage, options: ResolvedClientCertificateOptions): string | undefined {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  const peer = typeof socket?.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
  if (peer) return certificateThumbprint(peer);
  const header = options.certificateHeader;
  if (header === undefined || !options.trustedProxies.has(normalizeAddress(req.socket?.remoteAddress ?? ''))) return undefined;
  const value = req.headers[header];
  if (typeof value !== 'string' || value.length === 0 || value.length > 16384) return undefined;
  const certificate = parseCertificate(value);
  return certificate ? certificateThumbprint(certificate) : undefined;
}

function parseCertificate(value: string): X509Certificate | undefined {
  try {
    let text = value.trim();
    if (text.includes('%')) text = decodeURIComponent(text);
    // Some proxies fold the PEM onto one line: the base64 body survives, the line breaks do not matter.
    const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text)?.[1] ?? text;
    const der = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

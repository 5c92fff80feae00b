import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http/respond.js';
import type { ServerContext } from '../server-context.js';

/** The well-known path of RFC 8414 §3; an issuer with a path has the path appended (§3.1). */
export const METADATA_PATH = '/.well-known/oauth-authorization-server';

/** Client authentication the token, revocation and introspection endpoints accept. */
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

/** Where the metadata of `issuer` is served: the well-known path, then the issuer's own path. */
export function metadataPathOf(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/+$/, '');
  return `${METADATA_PATH}${path}`;
}

/**
 * The authorization server metadata (RFC 8414 §2) of this server: the issuer, its endpoints (the
 * issuer's URL plus `/authorize`, `/token`, `/revoke`, `/introspect`), and what they support. Only
 * what the server does is listed: the code flow with PKCE S256 alone, secrets by Basic or form.
 */
export function authorizationServerMetadata(
  issuer: string,
  senderConstraints: { dpopAlgorithms?: readonly string[]; certificateBound?: boolean } = {},
): Record<string, unknown> {
  const base = issuer.replace(/\/+$/, '');
  const metadata: Record<string, unknown> = {
    issuer,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    revocation_endpoint: `${base}/revoke`,
    introspection_endpoint: `${base}/introspect`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // The grants the server implements; which a client may use is its registration (password only
    // when registered for it explicitly: RFC 9700 §2.4).
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'password'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
  };
  // RFC 9449 §5.1 and RFC 8705 §3.3.
  if (senderConstraints.dpopAlgorithms) metadata.dpop_signing_alg_values_supported = [...senderConstraints.dpopAlgorithms];
  if (senderConstraints.certificateBound) metadata.tls_client_certificate_bound_access_tokens = true;
  return metadata;
}

/** `GET /.well-known/oauth-authorization-server[/issuer path]`: the metadata document. */
export async function metadataEndpoint(context: ServerContext, _req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  // Routed only when an issuer is known (see token-server.ts).
  const { dpop, mtls } = context.options.senderConstraints;
  // Certificate-bound tokens need a way for certificates to arrive: TLS client certificates or a trusted proxy header.
  const certificateBound = mtls !== undefined && (context.options.tls?.requestCert === true || mtls.certificateHeader !== undefined);
  sendJson(res, 200, authorizationServerMetadata(context.options.issuer!, { dpopAlgorithms: dpop?.verify.algorithms, certificateBound }));
  return undefined;
}

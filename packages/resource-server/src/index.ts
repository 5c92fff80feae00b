export { DpopNonces } from './dpop/nonces.js';
export {
  DEFAULT_DPOP_ALGORITHMS,
  DPOP_ALGORITHMS,
  type DpopOptions,
  DpopProofError,
  dpopHeaderOf,
  htuOf,
  type ProofExpectation,
  type ResolvedDpopOptions,
  resolveDpopOptions,
  type VerifiedProof,
  verifyDpopProof,
} from './dpop/proof.js';
export { artifactReplayStore, DPOP_PROOF_MODEL, MemoryReplayStore, type ReplayStore } from './dpop/replay-store.js';
export {
  type BearerErrorCode,
  type Challenge,
  insufficientScope,
  invalidRequest,
  invalidToken,
  missingToken,
  type RefusalReason,
  ResourceServerError,
  type ResourceServerErrorInit,
  senderConstraintError,
  validationUnavailable,
} from './errors.js';
export type { CacheOutcome, IntrospectionFailure, ResourceServerEvent, ResourceServerEventListener } from './events.js';
export { type ParsedBody, type PresentedToken, presentedToken } from './http/credentials.js';
export { type ErrorResponse, errorResponse, formatChallenges, writeErrorResponse } from './http/error-response.js';
export {
  type ClientCertificateOptions,
  certificateThumbprint,
  clientCertificateThumbprint,
  type ResolvedClientCertificateOptions,
  resolveClientCertificateOptions,
} from './mtls/certificate.js';
export { checkScopes, type IntrospectionOptions, type ResourceServerOptions } from './options.js';
export { type AuthenticateOptions, createResourceServer, ResourceServer } from './resource-server.js';
export type { SenderConstraintCheck, SenderConstraintInput } from './sender-constraint.js';
export { requestUrl, type SenderConstraintsOptions, senderConstraints } from './sender-constraints.js';
export type { TokenAuth } from './token-auth.js';

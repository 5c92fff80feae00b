export { toOAuthError } from './errors.js';
export {
  type AuthenticateUser,
  DEFAULT_GRANTS,
  type ResolvedModelOptions,
  resolveModelOptions,
  type ScopePolicy,
  SUPPORTED_GRANTS,
  type TokenStoreModelOptions,
  type TokenStoreUser,
} from './options.js';
export { isAllowedRedirectUri, isLoopbackRedirectUri } from './redirect-uris.js';
export { type TokenRequestConstraint, TokenStoreModel } from './tokenstore-model.js';

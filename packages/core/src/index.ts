export * from './artifacts/artifact-input.js';
export * from './artifacts/artifact-rewrap.js';
export * from './artifacts/artifact-service.js';
export * from './artifacts/artifact-store.js';
export * from './backend/network-errors.js';
export * from './backend/split-statements.js';
export * from './backend/store-input.js';
export * from './clock.js';
export * from './confirmation.js';
export * from './errors.js';
export * from './events.js';
export * from './metrics/instrument.js';
export { METRIC } from './metrics/names.js';
export * from './protection/aes-gcm-cipher.js';
export * from './protection/create-protector.js';
export * from './protection/encrypt-protector.js';
export * from './protection/hash-protector.js';
export { generateAesKey, generatePepper, KEY_ID_PATTERN } from './protection/key-material.js';
export * from './protection/lookup-keys.js';
export * from './protection/migrating-protector.js';
export * from './protection/plain-protector.js';
export * from './protection/protection-options.js';
export * from './protection/protector.js';
export * from './protection/rewrap.js';
export * from './protection/rewrap-checkpoint.js';
export * from './protection/rsa-oaep-cipher.js';
export { schemeOf } from './protection/scheme-tag.js';
export type { SealedValue } from './protection/sealed-value.js';
export type { ValueCipher } from './protection/value-cipher.js';
export * from './purge/purger.js';
export { CLIENT_UPDATE_ATTEMPTS } from './service/clients.js';
export * from './service/options.js';
export * from './service/requests.js';
export { MAX_REVOCATION_PASSES } from './service/revocation.js';
export * from './service/scope-policy.js';
export { TokenService } from './service/token-service.js';
export {
  computeReuseKey,
  constantTimeEqual,
  generateConsumerKey,
  generateGrantId,
  generateTokenValue,
  pkceChallenge,
} from './service/token-values.js';
export * from './store.js';
export * from './types.js';
export {
  MAX_IDENTIFIER_LENGTH,
  MAX_SCOPE_LENGTH,
  MAX_SCOPES,
  MAX_TOKEN_LENGTH,
  MAX_URI_LENGTH,
  MAX_VALIDITY_SECONDS,
  MIN_CLIENT_SECRET_LENGTH,
  normalizeScopes,
  validateIdentifier,
  validateOptionalIdentifier,
  validateRedirectUri,
  validateStringList,
  validateTokenValue,
  validateValidity,
} from './validation.js';

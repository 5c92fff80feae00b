export {
  type OidcProviderAdapter,
  type OidcProviderAdapterClass,
  type TokenstoreAdapterFactory,
  type TokenstoreAdapterOptions,
  tokenstoreAdapter,
} from './adapter.js';

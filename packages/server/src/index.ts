export { MAX_BODY_BYTES, MAX_PARAMETER_LENGTH, MAX_PARAMETERS } from './http/body.js';
export {
  type ResolvedServerOptions,
  type RunningTokenServer,
  resolveServerOptions,
  type TokenServerOptions,
  usersAuthenticator,
} from './options.js';
export { createTokenRequestHandler, startTokenServer } from './token-server.js';

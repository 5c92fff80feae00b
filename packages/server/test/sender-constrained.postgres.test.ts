import { postgresBackend } from './support/backends.js';
import { runSenderConstrainedSuite } from './support/sender-constrained-suite.js';

runSenderConstrainedSuite(postgresBackend('tokenstore_server_sc'));

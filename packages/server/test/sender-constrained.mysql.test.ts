import { mysqlBackend } from './support/backends.js';
import { runSenderConstrainedSuite } from './support/sender-constrained-suite.js';

runSenderConstrainedSuite(mysqlBackend('tokenstore_server_sc'));

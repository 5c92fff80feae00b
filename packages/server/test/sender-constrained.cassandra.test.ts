import { cassandraBackend } from './support/backends.js';
import { runSenderConstrainedSuite } from './support/sender-constrained-suite.js';

runSenderConstrainedSuite(cassandraBackend('tokenstore_server_sc'));

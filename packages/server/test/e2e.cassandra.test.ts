import { cassandraBackend } from './support/backends.js';
import { runEndToEndSuite } from './support/end-to-end-suite.js';

runEndToEndSuite(cassandraBackend());

import { memoryBackend } from './support/backends.js';
import { runSenderConstrainedSuite } from './support/sender-constrained-suite.js';

runSenderConstrainedSuite(memoryBackend());

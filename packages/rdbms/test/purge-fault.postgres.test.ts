import { testEnvironment } from './support/environment.js';
import { describePurgeFault } from './support/purge-fault.js';

describePurgeFault('postgres', await testEnvironment('postgres'));

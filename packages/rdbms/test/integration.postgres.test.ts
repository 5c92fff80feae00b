import { testEnvironment } from './support/environment.js';
import { describeIntegration } from './support/integration-suite.js';

describeIntegration('postgres', await testEnvironment('postgres'));

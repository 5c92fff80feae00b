import { testEnvironment } from './support/environment.js';
import { describeStatementPlans } from './support/statement-plans.js';

describeStatementPlans('mysql', await testEnvironment('mysql'));

import { sqlProviderFlows } from './support/backend-flows.js';

sqlProviderFlows('mysql', ['plain', 'hash']);

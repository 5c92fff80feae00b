import { sqlProviderFlows } from './support/backend-flows.js';

sqlProviderFlows('postgres', ['plain', 'hash', 'encrypt']);

import { cassandraProviderFlows } from './support/backend-flows.js';

cassandraProviderFlows(['plain', 'hash']);

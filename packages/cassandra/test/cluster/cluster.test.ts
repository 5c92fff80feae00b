import { clusterEnvironment } from './cluster-control.js';
import { clusterConformanceSuites } from './conformance-suites.js';
import { defaultsTests } from './defaults.js';
import { faultTests } from './faults.js';
import { loadFaultTests } from './load-faults.js';
import { readCacheTests } from './read-cache.js';

/**
 * Everything that runs on the three-node cluster, in one file so that it runs one test after the
 * other: the fault tests stop nodes, which no other test may see. The conformance runs come first.
 */
const environment = clusterEnvironment('cluster tests');
clusterConformanceSuites(environment ? undefined : 'no TOKENSTORE_TEST_CASSANDRA_CLUSTER_URL');
readCacheTests(environment !== undefined);
defaultsTests(environment !== undefined);
const controlled = environment?.controlled === true;
if (environment && !controlled)
  console.log('[cassandra] cluster fault tests: skipped — they stop nodes; set TOKENSTORE_TEST_CASSANDRA_CLUSTER_CONTROL=script');
faultTests(controlled);
loadFaultTests(controlled);

// Prints the test counts from Vitest's JSON report as one plain line: "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`Tests (Node ${process.versions.node}): ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
if (process.env.TOKENSTORE_CI_CASSANDRA_UNAVAILABLE === '1') {
  console.log('WARNING: CASSANDRA UNAVAILABLE: the Cassandra suites were skipped (see the start-up diagnostics above)');
}

// Prints the test counts from Vitest's JSON report as one plain line: "N passed, N failed, N skipped",
// then one line per failed test (file, full name, the first line of its message), so that the tail of a
// CI log says what failed even when only the tail is kept. A missing report is said, not thrown.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const file = process.argv[2];
const label = process.argv[3] ?? `Node ${process.versions.node}`;
if (!existsSync(file)) {
  console.log(`Tests (${label}): no report at ${file} (the run did not finish; see its output above)`);
  process.exit(0);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`Tests (${label}): ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
const oneLine = (text) =>
  String(text ?? '')
    .split('\n')
    .find((line) => line.trim() !== '') ?? '';
for (const suite of report.testResults ?? []) {
  const name = relative(process.cwd(), suite.name ?? '');
  const failed = (suite.assertionResults ?? []).filter((test) => test.status === 'failed');
  for (const test of failed) {
    console.log(`  FAILED ${name} > ${test.fullName ?? test.title}: ${oneLine(test.failureMessages?.[0]).slice(0, 300)}`);
  }
  // A file that failed to load (a syntax error, a hook that threw) has no failed test but a message.
  if (suite.status === 'failed' && failed.length === 0) {
    console.log(`  FAILED ${name}: ${oneLine(suite.message).slice(0, 300)}`);
  }
}
if (process.env.TOKENSTORE_CI_CASSANDRA_UNAVAILABLE === '1') {
  console.log('WARNING: CASSANDRA UNAVAILABLE: the Cassandra suites were skipped (see the start-up diagnostics above)');
}

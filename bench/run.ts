/**
 * `npm run bench`: every benchmark in one run. Backends that need a server run when their URL is set
 * (TOKENSTORE_TEST_POSTGRES_URL, TOKENSTORE_TEST_MYSQL_URL, TOKENSTORE_TEST_CASSANDRA_URL); otherwise
 * one line says why they were skipped. Select with
 * BENCH=cache,protection,observability,rdbms,cassandra,cassandra-cluster,read-cache,http,keyv,memory; the 5-minute
 * `soak` and the 1,200,000-row `purge` and `purge-profile` run only by name (BENCH=soak, BENCH=purge, BENCH=purge-profile).
 */
const selected = new Set(
  (process.env.BENCH ?? 'cache,protection,observability,rdbms,cassandra,cassandra-cluster,read-cache,http,keyv,memory')
    .split(',')
    .map((s) => s.trim()),
);

interface Bench {
  name: string;
  module: string;
  run: string;
  needs?: string[];
}

const benches: Bench[] = [
  { name: 'cache', module: './cache.js', run: 'benchCache' },
  { name: 'protection', module: './protection.js', run: 'benchProtection' },
  { name: 'observability', module: './observability.js', run: 'benchObservability' },
  { name: 'rdbms', module: './rdbms.js', run: 'benchRdbms', needs: ['TOKENSTORE_TEST_POSTGRES_URL', 'TOKENSTORE_TEST_MYSQL_URL'] },
  { name: 'cassandra', module: './cassandra.js', run: 'benchCassandra', needs: ['TOKENSTORE_TEST_CASSANDRA_URL'] },
  {
    name: 'cassandra-cluster',
    module: './cassandra.js',
    run: 'benchCassandraCluster',
    needs: ['TOKENSTORE_TEST_CASSANDRA_CLUSTER_URL'],
  },
  { name: 'read-cache', module: './read-cache.js', run: 'benchReadCache', needs: ['TOKENSTORE_TEST_POSTGRES_URL'] },
  { name: 'http', module: './http.js', run: 'benchHttp' },
  { name: 'keyv', module: './keyv.js', run: 'benchKeyv', needs: ['TOKENSTORE_TEST_POSTGRES_URL'] },
  { name: 'memory', module: './memory.js', run: 'benchMemory' },
  { name: 'soak', module: './soak.js', run: 'benchSoak' },
  { name: 'purge', module: './purge.js', run: 'benchPurge', needs: ['TOKENSTORE_TEST_POSTGRES_URL', 'TOKENSTORE_TEST_MYSQL_URL'] },
  { name: 'purge-profile', module: './purge-profile.js', run: 'benchPurgeProfile', needs: ['TOKENSTORE_TEST_MYSQL_URL'] },
];

let failed = false;
for (const bench of benches) {
  if (!selected.has(bench.name)) continue;
  const missing = (bench.needs ?? []).filter((name) => !process.env[name]);
  if (bench.needs && missing.length === bench.needs.length) {
    console.log(`[bench] ${bench.name}: skipped — ${missing.join(' and ')} not set`);
    continue;
  }
  console.log(`\n[bench] ${bench.name}`);
  try {
    const mod = (await import(bench.module)) as Record<string, () => Promise<unknown>>;
    const run = mod[bench.run];
    if (typeof run !== 'function') throw new Error(`${bench.module} does not export ${bench.run}()`);
    await run();
  } catch (error) {
    failed = true;
    console.error(`[bench] ${bench.name}: failed —`, error);
  }
}
process.exitCode = failed ? 1 : 0;

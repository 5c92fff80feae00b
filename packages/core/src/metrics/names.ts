/**
 * Every instrument {@link instrumentTokenService} creates, named in the OpenTelemetry semantic
 * conventions style: lower-case dotted names under `tokenstore.`, UCUM units (`s`, `{token}`).
 */
export const METRIC = {
  issued: {
    name: 'tokenstore.token.issued',
    unit: '{token}',
    description: 'Access tokens and authorization codes issued (attempts, by outcome).',
  },
  validations: {
    name: 'tokenstore.token.validations',
    unit: '{validation}',
    description: 'Access-token validations: valid (a hit), invalid (a miss: unknown, expired, revoked), error.',
  },
  refreshes: {
    name: 'tokenstore.token.refreshes',
    unit: '{refresh}',
    description: 'Refresh-token rotations, by outcome (success or the error code).',
  },
  revocations: { name: 'tokenstore.token.revocations', unit: '{token}', description: 'Tokens revoked, by kind.' },
  security: {
    name: 'tokenstore.security.events',
    unit: '{event}',
    description: 'Authorization-code replays and refresh-token reuse detected (each revoked its grant).',
  },
  fallbackHits: {
    name: 'tokenstore.protection.fallback_hits',
    unit: '{lookup}',
    description: 'Lookups that found their row only through an older protection mode or key.',
  },
  backendErrors: {
    name: 'tokenstore.backend.errors',
    unit: '{error}',
    description: 'Errors raised by a backend, by error code and backend.',
  },
  purgeRows: { name: 'tokenstore.purge.rows', unit: '{row}', description: 'Rows deleted by purge, by kind.' },
  purgeRuns: { name: 'tokenstore.purge.runs', unit: '{run}', description: 'Purge runs, by outcome: complete, backlog, lease_held, error.' },
  purgeDuration: { name: 'tokenstore.purge.duration', unit: 's', description: 'Duration of purge runs.' },
  purgeBacklog: { name: 'tokenstore.purge.backlog', unit: '1', description: '1 when the last purge run stopped with rows left to delete.' },
  rewrapDone: {
    name: 'tokenstore.rewrap.rows.done',
    unit: '{row}',
    description: 'Rows the protection migration (rewrap) has visited, by kind.',
  },
  rewrapConverted: { name: 'tokenstore.rewrap.rows.converted', unit: '{row}', description: 'Rows the rewrap converted, by kind.' },
  rewrapTotal: {
    name: 'tokenstore.rewrap.rows.total',
    unit: '{row}',
    description: 'Rows the rewrap expects to visit, by kind (when counted).',
  },
  readCacheLookups: { name: 'tokenstore.read_cache.lookups', unit: '{lookup}', description: 'Read-cache lookups: hit or miss.' },
} as const;

import { describe, expect, it } from 'vitest';
import type { PurgeTarget, SqlDialect } from '../src/dialects/dialect.js';
import { Db2Dialect, MssqlDialect, MysqlDialect, OracleDialect, PostgresDialect } from '../src/index.js';

/**
 * DESIGN, Purge: an ACTIVE row is purged once `expires_at + expiredSeconds` has passed (never when it
 * never expires); a row that left ACTIVE once both `expires_at + expiredSeconds` (if it expires) and
 * `state_changed_at + inactiveSeconds` have passed. With the cut-offs the purger computes.
 */
function purgeable(row: SampleRow, p: Cutoffs): boolean {
  const expired = row.expires_at !== null && row.expires_at <= p.expiredBefore;
  if (row.state === 'ACTIVE') return expired;
  return row.state_changed_at <= p.inactiveBefore && (row.expires_at === null || expired);
}

interface SampleRow {
  state: string;
  expires_at: number | null;
  state_changed_at: number;
}
interface Cutoffs {
  expiredBefore: number;
  inactiveBefore: number;
}
type Condition = (row: SampleRow, p: Cutoffs) => boolean;

/** `a <= b` as SQL means it: false when `a` is NULL. */
const le = (a: number | null, b: number) => a !== null && a <= b;

/**
 * A WHERE condition of the purge SQL as a function. It knows the few forms purge conditions use; any
 * other SQL is left untranslated and fails on evaluation (an unknown identifier), never passes silently.
 */
function conditionOf(sql: string): Condition {
  const js = sql
    .replace(/(\w+) <= :(\w+)/g, 'le(r.$1, p.$2)')
    .replace(/(\w+) IS NULL/g, 'r.$1 === null')
    .replace(/(\w+) IN \(([^)]*)\)/g, '[$2].includes(r.$1)')
    .replace(/(\w+) <> ('\w+')/g, 'r.$1 !== $2')
    .replace(/(\w+) = ('\w+')/g, 'r.$1 === $2')
    .replace(/\bAND\b/g, '&&')
    .replace(/\bOR\b/g, '||');
  const evaluate = new Function('r', 'p', 'le', `return ${js};`) as (r: SampleRow, p: Cutoffs, l: typeof le) => boolean;
  return (row, p) => evaluate(row, p, le);
}

/** The conditions of the index branches (one per line, `WHERE … ORDER BY|LIMIT|FETCH`) and of the re-check (`AND (…)`). */
function conditionsOf(sql: string): { branches: string[]; recheck: string | undefined } {
  const lines = sql.split('\n');
  const branches = lines.flatMap((line) => {
    const match = /WHERE (.+?) (?:ORDER BY|LIMIT|FETCH FIRST)/.exec(line);
    return match && !match[1]!.startsWith('token_key') ? [match[1]!] : [];
  });
  const recheck = lines.map((line) => /^\s*AND (\(.+\))\s*$/.exec(line)?.[1]).find((condition) => condition !== undefined);
  return { branches, recheck };
}

const STATES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'EXPIRED'];
const CUTOFFS: Cutoffs[] = [
  { expiredBefore: 10_000, inactiveBefore: 5_000 },
  { expiredBefore: 5_000, inactiveBefore: 10_000 },
];
function samples(p: Cutoffs): SampleRow[] {
  const expiries = [null, p.expiredBefore - 1, p.expiredBefore, p.expiredBefore + 1];
  const changes = [p.inactiveBefore - 1, p.inactiveBefore, p.inactiveBefore + 1];
  return STATES.flatMap((state) =>
    expiries.flatMap((expires_at) => changes.map((state_changed_at) => ({ state, expires_at, state_changed_at }))),
  );
}

const TARGET: PurgeTarget = {
  table: 'tokenstore_refresh_token',
  auditTable: 'tokenstore_refresh_token_audit',
  columns: ['token_key', 'state'],
};
const DIALECTS: Array<[string, SqlDialect]> = [
  ['postgres', new PostgresDialect()],
  ['mysql', new MysqlDialect()],
  ['mssql', new MssqlDialect()],
  ['oracle', new OracleDialect()],
  ['db2', new Db2Dialect()],
];

describe.each(DIALECTS)('%s purge statements', (_name, dialect) => {
  const statements = [
    ['purgeBatch', dialect.purgeBatch(TARGET)],
    ['purgeAndArchiveBatch', dialect.purgeAndArchiveBatch(TARGET)],
    ['selectPurgeableKeys', dialect.selectPurgeableKeys(TARGET)],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);

  it.each(statements)(
    '%s: its two index branches together select exactly the purgeable rows, each only purgeable ones',
    (_statement, sql) => {
      const { branches, recheck } = conditionsOf(sql);
      expect(branches).toHaveLength(2);
      const conditions = branches.map(conditionOf);
      for (const p of CUTOFFS)
        for (const row of samples(p)) {
          const expected = purgeable(row, p);
          const picked = conditions.map((condition) => condition(row, p));
          const where = `${JSON.stringify(row)} with ${JSON.stringify(p)}`;
          expect(picked.some(Boolean), `union of branches for ${where}`).toBe(expected);
          // A branch never picks a row that is not purgeable: the batch limit is spent only on rows deleted.
          for (const [index, value] of picked.entries()) if (value) expect(expected, `branch ${index} for ${where}`).toBe(true);
          if (recheck !== undefined) expect(conditionOf(recheck)(row, p), `re-check for ${where}`).toBe(expected);
        }
    },
  );
});

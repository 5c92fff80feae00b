import type { ExplainSupport } from '../dialect.js';

/** Rows of one explained statement in PLAN_TABLE (a session-private temporary table since 10g). */
const STATEMENT_ID = 'tokenstore';

/**
 * Oracle's plan takes two statements on one connection: `EXPLAIN PLAN … FOR <sql>` writes the plan
 * to PLAN_TABLE and returns no rows; {@link planQuery} then reads it back.
 */
export interface OracleExplainSupport extends ExplainSupport {
  /**
   * Run after {@link ExplainSupport.statement} on the same connection, without parameters: the
   * plan lines of the latest explained statement (`operation`, `options`, `object_name`), the rows
   * {@link ExplainSupport.findFullScans} reads.
   */
  readonly planQuery: string;
}

export const ORACLE_EXPLAIN: OracleExplainSupport = {
  statement: (sql) => `EXPLAIN PLAN SET STATEMENT_ID = '${STATEMENT_ID}' FOR ${sql}`,
  planQuery: `SELECT id, operation, options, object_name FROM plan_table
WHERE plan_id = (SELECT MAX(plan_id) FROM plan_table WHERE statement_id = '${STATEMENT_ID}')
ORDER BY id`,
  findFullScans(planRows, tables) {
    // EXPLAIN PLAN itself returns no rows: an empty plan means planQuery was not run, and must not pass as "no scan".
    if (planRows.length === 0 || !planRows.every((row) => 'operation' in row))
      throw new TypeError('Oracle plans are read with explain.planQuery after explain.statement (PLAN_TABLE rows expected)');
    return planRows
      .filter(
        (row) =>
          row.operation === 'TABLE ACCESS' &&
          (row.options === 'FULL' || row.options === 'STORAGE FULL') &&
          tables.includes(String(row.object_name).toLowerCase()),
      )
      .map((row) => `TABLE ACCESS ${String(row.options)} on ${String(row.object_name).toLowerCase()}`);
  },
};

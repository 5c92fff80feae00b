import type { ColumnValues } from '../schema/row-codec.js';
import { ARTIFACT_COLUMNS, ARTIFACT_TABLE } from '../schema/tables.js';
import { columnMarkers, type StatementTemplate } from './sql-statement.js';
import type { CatalogDialect } from './statement-catalog.js';

/** The statements of provider artifacts (`005_artifacts.sql`, issue 14). */
export interface ArtifactStatements {
  /** Insert or replace every column (the dialect's upsert). */
  upsert: StatementTemplate<ColumnValues>;
  selectByKey: StatementTemplate<{ model: string; key: string }>;
  /** Every row of the model claiming the uid (through `(model, uid_key)`); the store keeps the latest written. */
  selectByUid: StatementTemplate<{ model: string; uidKey: string }>;
  selectByUserCode: StatementTemplate<{ model: string; userCodeKey: string }>;
  /** The decision of `consumeArtifact`: row count 1 for the first caller only. */
  consume: StatementTemplate<{ model: string; key: string; at: number }>;
  deleteByKey: StatementTemplate<{ model: string; key: string }>;
  /** Every model of the grant, through the grant index. */
  deleteOfGrant: StatementTemplate<{ grantId: string }>;
  purge: StatementTemplate<{ expiredBefore: number; limit: number }>;
  /** A page in primary-key order after `(model, key)` (the rewrap job's scan). */
  page: StatementTemplate<{ model: string; key: string; limit: number }>;
  /** A plain insert: a unique violation means the key is taken (`insertArtifact` answers false). */
  insert: StatementTemplate<ColumnValues>;
  /**
   * Every column replaced, if the row is still the version read (`updated_at`, and `consumed_at` by
   * the variant: still NULL, or that instant). Row count 1 when it was.
   */
  replaceIf: VersionVariants<ColumnValues & VersionArguments>;
  /** Deletes the row if it is still the version read (the same variants). */
  deleteIf: VersionVariants<{ model: string; key: string } & VersionArguments>;
}

/** The version a conditional statement compares (`expectedConsumedAt` only in the `consumed` variant). */
export interface VersionArguments {
  expectedUpdatedAt: number;
  expectedConsumedAt?: number;
}

/** A conditional statement in two variants, as NULL compares to nothing: the row not consumed, or consumed at an instant. */
export interface VersionVariants<A extends object> {
  unconsumed: StatementTemplate<A>;
  consumed: StatementTemplate<A>;
}

/** What the catalog hands over to define a statement with its example arguments. */
export type DefineStatement = <A extends object>(
  name: string,
  text: string,
  sample: (args: { example: { now: number; grantId: string } }) => A,
) => StatementTemplate<A>;

const KEY_COLUMNS = ['model', 'artifact_key'] as const;

/** Defines the artifact statements in the catalog (portable SQL here; upsert and purge from the dialect). */
export function defineArtifactStatements(dialect: CatalogDialect, define: DefineStatement): ArtifactStatements {
  const table = ARTIFACT_TABLE;
  const list = ARTIFACT_COLUMNS.join(', ');
  const example = (now: number, grantId: string): ColumnValues => ({
    model: 'AuthorizationCode',
    artifact_key: 'example-artifact-key',
    artifact_value: null,
    payload: '{"accountId":"example-user"}',
    is_sealed: dialect.booleanParameter(false),
    grant_id: grantId,
    uid_key: 'example-uid-key',
    user_code_key: 'example-user-code-key',
    expires_at: now + 600_000,
    consumed_at: null,
    updated_at: now,
  });
  const ref = () => ({ model: 'AuthorizationCode', key: 'example-artifact-key' });
  const assignments = ARTIFACT_COLUMNS.filter((column) => !(KEY_COLUMNS as readonly string[]).includes(column))
    .map((column) => `${column} = :${column}`)
    .join(', ');
  const versionOf = (consumed: boolean) =>
    `updated_at = :expectedUpdatedAt AND ${consumed ? 'consumed_at = :expectedConsumedAt' : 'consumed_at IS NULL'}`;
  const replaceIf = (consumed: boolean) =>
    define(
      `artifact.replaceIf.${consumed ? 'consumed' : 'unconsumed'}`,
      `UPDATE ${table} SET ${assignments} WHERE model = :model AND artifact_key = :artifact_key AND ${versionOf(consumed)}`,
      (s) => {
        const row = example(s.example.now, s.example.grantId);
        return {
          ...row,
          expectedUpdatedAt: s.example.now,
          ...(consumed ? { expectedConsumedAt: s.example.now, consumed_at: s.example.now } : {}),
        };
      },
    );
  const deleteIf = (consumed: boolean) =>
    define(
      `artifact.deleteIf.${consumed ? 'consumed' : 'unconsumed'}`,
      `DELETE FROM ${table} WHERE model = :model AND artifact_key = :key AND ${versionOf(consumed)}`,
      (s) => ({ ...ref(), expectedUpdatedAt: s.example.now, ...(consumed ? { expectedConsumedAt: s.example.now } : {}) }),
    );
  return {
    upsert: define('artifact.upsert', dialect.upsert(table, ARTIFACT_COLUMNS, KEY_COLUMNS), (s) =>
      example(s.example.now, s.example.grantId),
    ),
    selectByKey: define('artifact.selectByKey', `SELECT ${list} FROM ${table} WHERE model = :model AND artifact_key = :key`, ref),
    selectByUid: define('artifact.selectByUid', `SELECT ${list} FROM ${table} WHERE model = :model AND uid_key = :uidKey`, () => ({
      model: 'Session',
      uidKey: 'example-uid-key',
    })),
    selectByUserCode: define(
      'artifact.selectByUserCode',
      `SELECT ${list} FROM ${table} WHERE model = :model AND user_code_key = :userCodeKey`,
      () => ({ model: 'DeviceCode', userCodeKey: 'example-user-code-key' }),
    ),
    consume: define(
      'artifact.consume',
      `UPDATE ${table} SET consumed_at = :at WHERE model = :model AND artifact_key = :key AND consumed_at IS NULL`,
      (s) => ({ ...ref(), at: s.example.now }),
    ),
    deleteByKey: define('artifact.deleteByKey', `DELETE FROM ${table} WHERE model = :model AND artifact_key = :key`, ref),
    deleteOfGrant: define('artifact.deleteOfGrant', `DELETE FROM ${table} WHERE grant_id = :grantId`, (s) => ({
      grantId: s.example.grantId,
    })),
    purge: define('artifact.purge', dialect.purgeExpiredArtifacts(table), (s) => ({ expiredBefore: s.example.now, limit: 1000 })),
    page: define('artifact.page', dialect.selectArtifactPage(table, ARTIFACT_COLUMNS), () => ({
      model: 'AuthorizationCode',
      key: 'example-artifact-key',
      limit: 500,
    })),
    insert: define('artifact.insert', `INSERT INTO ${table} (${list}) VALUES (${columnMarkers(ARTIFACT_COLUMNS)})`, (s) =>
      example(s.example.now, s.example.grantId),
    ),
    replaceIf: { unconsumed: replaceIf(false), consumed: replaceIf(true) },
    deleteIf: { unconsumed: deleteIf(false), consumed: deleteIf(true) },
  };
}

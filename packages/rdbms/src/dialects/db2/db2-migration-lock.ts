import type { MigrationLockStatements } from '../dialect.js';

/**
 * DB2 has no named session locks (every lock ends with its transaction, and the runner commits per
 * file), so the migration lock is a row: `holder` is the application id of the connection that took
 * it (`MON_GET_APPLICATION_ID()`, unique per connection). A runner that died without releasing it
 * blocks others until the row is {@link STALE_AFTER} old.
 */
export interface Db2MigrationLockStatements extends MigrationLockStatements {
  /**
   * Run once before the first `tryAcquire`, on any connection: creates the lock table and its one
   * row when they do not exist (idempotent, safe to run concurrently).
   */
  readonly prepare: string;
}

export const MIGRATION_LOCK_TABLE = 'tokenstore_migration_lock';
const LOCK_NAME = "'migrations'";
const STALE_AFTER = '10 MINUTES';

export const DB2_MIGRATION_LOCK: Db2MigrationLockStatements = {
  // 42710: the table exists; 23505: the row exists. EXECUTE IMMEDIATE because static SQL in the
  // block would be compiled against a table that may not exist yet.
  prepare: `BEGIN
  DECLARE CONTINUE HANDLER FOR SQLSTATE '42710' BEGIN END;
  DECLARE CONTINUE HANDLER FOR SQLSTATE '23505' BEGIN END;
  EXECUTE IMMEDIATE 'CREATE TABLE ${MIGRATION_LOCK_TABLE} (
    lock_name VARCHAR(64) NOT NULL,
    holder VARCHAR(255),
    acquired_at TIMESTAMP,
    CONSTRAINT ${MIGRATION_LOCK_TABLE}_pk PRIMARY KEY (lock_name)
  )';
  EXECUTE IMMEDIATE 'INSERT INTO ${MIGRATION_LOCK_TABLE} (lock_name) VALUES (''migrations'')';
END`,
  // One UPDATE, committed on its own (the runner's connection is in autocommit mode here); FINAL
  // TABLE returns the row it changed, so COUNT(*) is 1 when this connection holds the lock.
  tryAcquire: `SELECT COUNT(*) AS acquired FROM FINAL TABLE (
  UPDATE ${MIGRATION_LOCK_TABLE} SET holder = MON_GET_APPLICATION_ID(), acquired_at = CURRENT TIMESTAMP
  WHERE lock_name = ${LOCK_NAME}
  AND (holder IS NULL OR holder = MON_GET_APPLICATION_ID() OR acquired_at < CURRENT TIMESTAMP - ${STALE_AFTER})
)`,
  release: `SELECT COUNT(*) AS released FROM FINAL TABLE (
  UPDATE ${MIGRATION_LOCK_TABLE} SET holder = NULL, acquired_at = NULL
  WHERE lock_name = ${LOCK_NAME} AND holder = MON_GET_APPLICATION_ID()
)`,
};

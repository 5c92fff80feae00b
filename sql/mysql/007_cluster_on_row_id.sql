-- tokenstore schema for MySQL 8.0+ and MariaDB 10.6+, version 7: cluster the token tables on row_id.
--
-- Run by the migration runner (which records it in tokenstore_schema_version), or by hand:
--   mysql <database> < 007_cluster_on_row_id.sql
--
-- What it does. InnoDB stores a table in the order of its primary key (the clustered index), and every
-- secondary index entry carries that key. Until now the token tables were keyed by token_key, a random
-- value (an HMAC or a random token): inserts landed on random pages, every secondary index repeated the
-- up-to-512-byte key, and a purge batch of 1000 expired rows touched about 1000 different pages, which
-- a buffer pool smaller than the table turns into 1000 disk reads. This file makes row_id (increasing,
-- AUTO_INCREMENT) the primary key of tokenstore_access_token, tokenstore_refresh_token and
-- tokenstore_authorization_code, and token_key a UNIQUE secondary key (<table>_key): rows then sit in
-- the order they were written, which is close to the order they expire, and purge deletes neighbours.
-- The old UNIQUE index on row_id (<table>_row_id) is dropped: the primary key is that index now.
-- A validation by token_key costs one more B-tree descent (the unique key, then the primary key).
-- tokenstore_client (a handful of rows, never purged) and the audit tables (already keyed by an
-- increasing audit_id) are left as they are.
--
-- Locks and time. Each table is converted by one ALTER TABLE, which rebuilds it (copies every row and
-- every index): count about as long as an OPTIMIZE TABLE of it, minutes per 10 million rows on a
-- fast disk, and free space for a second copy of the table. MySQL 8.0 and MariaDB 10.6+ run it in
-- place and online (ALGORITHM=INPLACE, LOCK=NONE): reads and writes go on during the rebuild; an
-- exclusive metadata lock is held only briefly at its start and end (it waits for running
-- transactions to finish, and new statements on the table queue behind it meanwhile). Concurrent
-- writes are kept in a log (innodb_online_alter_log_max_size, 128 MB by default) and applied at the
-- end: if a busy table outgrows it the ALTER fails and leaves the table as it was; raise the size or
-- run it at a quiet time. On a replica set the ALTER replicates as one statement and the replicas
-- then rebuild in turn (replication lag of the rebuild's length). To avoid both, apply the change
-- with pt-online-schema-change or gh-ost instead of this file, then record the file as applied:
--   pt-online-schema-change --alter "DROP PRIMARY KEY, ADD PRIMARY KEY (row_id),
--     ADD UNIQUE KEY tokenstore_access_token_key (token_key), DROP INDEX tokenstore_access_token_row_id"
--     D=<database>,t=tokenstore_access_token --execute        (the same for the two other tables)
--   then run this file anyway (it finds the tables converted and does nothing), or let the migration
--   runner run it.
--
-- Safe to run twice, and after a failure part way: MySQL commits each ALTER on its own, so each table
-- is converted by one statement that is prepared only while its primary key is still token_key (read
-- from information_schema), and is otherwise replaced by DO 0.

SET @tokenstore_007 = (
  SELECT IF(COUNT(*) = 0, 'DO 0',
    'ALTER TABLE tokenstore_access_token DROP PRIMARY KEY, ADD PRIMARY KEY (row_id), ADD UNIQUE KEY tokenstore_access_token_key (token_key), DROP INDEX tokenstore_access_token_row_id')
  FROM information_schema.statistics
  WHERE table_schema = DATABASE() AND table_name = 'tokenstore_access_token' AND index_name = 'PRIMARY' AND column_name = 'token_key'
);

PREPARE tokenstore_007 FROM @tokenstore_007;

EXECUTE tokenstore_007;

DEALLOCATE PREPARE tokenstore_007;

SET @tokenstore_007 = (
  SELECT IF(COUNT(*) = 0, 'DO 0',
    'ALTER TABLE tokenstore_refresh_token DROP PRIMARY KEY, ADD PRIMARY KEY (row_id), ADD UNIQUE KEY tokenstore_refresh_token_key (token_key), DROP INDEX tokenstore_refresh_token_row_id')
  FROM information_schema.statistics
  WHERE table_schema = DATABASE() AND table_name = 'tokenstore_refresh_token' AND index_name = 'PRIMARY' AND column_name = 'token_key'
);

PREPARE tokenstore_007 FROM @tokenstore_007;

EXECUTE tokenstore_007;

DEALLOCATE PREPARE tokenstore_007;

SET @tokenstore_007 = (
  SELECT IF(COUNT(*) = 0, 'DO 0',
    'ALTER TABLE tokenstore_authorization_code DROP PRIMARY KEY, ADD PRIMARY KEY (row_id), ADD UNIQUE KEY tokenstore_authorization_code_key (token_key), DROP INDEX tokenstore_authorization_code_row_id')
  FROM information_schema.statistics
  WHERE table_schema = DATABASE() AND table_name = 'tokenstore_authorization_code' AND index_name = 'PRIMARY' AND column_name = 'token_key'
);

PREPARE tokenstore_007 FROM @tokenstore_007;

EXECUTE tokenstore_007;

DEALLOCATE PREPARE tokenstore_007;

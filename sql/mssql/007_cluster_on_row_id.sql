-- tokenstore schema for SQL Server 2016 or later and Azure SQL, version 7: cluster the token tables
-- on row_id.
--
-- Run by the migration runner, in one transaction with its row in tokenstore_schema_version, or by
-- hand: sqlcmd -b -I -d <database> -i 007_cluster_on_row_id.sql
--
-- What it does. SQL Server stores a table in the order of its clustered index, the primary key by
-- default, and every nonclustered index entry carries that key. Until now the token tables were
-- clustered on token_key, a random value (an HMAC or a random token): inserts split pages all over the
-- table, every index repeated the up-to-512-byte key, and a purge batch touched a different page for
-- nearly every row it deleted. This file makes row_id (increasing, IDENTITY) the clustered primary key
-- of tokenstore_access_token, tokenstore_refresh_token and tokenstore_authorization_code (constraint
-- <table>_pkey, the same name as before), and token_key a UNIQUE nonclustered index (<table>_key):
-- rows then sit in the order they were written, close to the order they expire, and purge deletes
-- neighbours. The old UNIQUE index on row_id (<table>_row_id) is dropped: the clustered key is that
-- index now. A validation by token_key costs one more B-tree descent (the unique index, then the
-- clustered key). tokenstore_client (a handful of rows, never purged) and the audit tables (heaps)
-- are left as they are.
--
-- Locks and time. Per table: the unique index on token_key is built, the old clustered key dropped
-- (the table becomes a heap for the rest of the transaction: every nonclustered index is rebuilt) and
-- the new clustered key created (every nonclustered index rebuilt again). Without ONLINE each step
-- holds a schema-modification (Sch-M) lock, so the table is unreadable and unwritable until the
-- transaction commits: minutes per 10 million rows, log space for two copies of the table. On
-- Enterprise edition and Azure SQL the same steps run online: apply them by hand with
-- WITH (ONLINE = ON) on the CREATE INDEX and ADD CONSTRAINT statements and (ONLINE = ON) on the
-- DROP CONSTRAINT, then run this file (it finds the tables converted and does nothing) or let the
-- migration runner run it. Either way, do it at a quiet time.
--
-- Safe to run twice: each statement runs only while its table is still in the old shape (read from
-- sys.indexes).

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_access_token') AND name = N'tokenstore_access_token_key')
  CREATE UNIQUE NONCLUSTERED INDEX tokenstore_access_token_key ON tokenstore_access_token (token_key);

IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_access_token') AND name = N'tokenstore_access_token_row_id')
  DROP INDEX tokenstore_access_token_row_id ON tokenstore_access_token;

IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_access_token') AND is_primary_key = 1 AND INDEX_COL(N'tokenstore_access_token', index_id, 1) = N'token_key')
  ALTER TABLE tokenstore_access_token DROP CONSTRAINT tokenstore_access_token_pkey;

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_access_token') AND is_primary_key = 1)
  ALTER TABLE tokenstore_access_token ADD CONSTRAINT tokenstore_access_token_pkey PRIMARY KEY CLUSTERED (row_id);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_refresh_token') AND name = N'tokenstore_refresh_token_key')
  CREATE UNIQUE NONCLUSTERED INDEX tokenstore_refresh_token_key ON tokenstore_refresh_token (token_key);

IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_refresh_token') AND name = N'tokenstore_refresh_token_row_id')
  DROP INDEX tokenstore_refresh_token_row_id ON tokenstore_refresh_token;

IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_refresh_token') AND is_primary_key = 1 AND INDEX_COL(N'tokenstore_refresh_token', index_id, 1) = N'token_key')
  ALTER TABLE tokenstore_refresh_token DROP CONSTRAINT tokenstore_refresh_token_pkey;

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_refresh_token') AND is_primary_key = 1)
  ALTER TABLE tokenstore_refresh_token ADD CONSTRAINT tokenstore_refresh_token_pkey PRIMARY KEY CLUSTERED (row_id);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_authorization_code') AND name = N'tokenstore_authorization_code_key')
  CREATE UNIQUE NONCLUSTERED INDEX tokenstore_authorization_code_key ON tokenstore_authorization_code (token_key);

IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_authorization_code') AND name = N'tokenstore_authorization_code_row_id')
  DROP INDEX tokenstore_authorization_code_row_id ON tokenstore_authorization_code;

IF EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_authorization_code') AND is_primary_key = 1 AND INDEX_COL(N'tokenstore_authorization_code', index_id, 1) = N'token_key')
  ALTER TABLE tokenstore_authorization_code DROP CONSTRAINT tokenstore_authorization_code_pkey;

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'tokenstore_authorization_code') AND is_primary_key = 1)
  ALTER TABLE tokenstore_authorization_code ADD CONSTRAINT tokenstore_authorization_code_pkey PRIMARY KEY CLUSTERED (row_id);

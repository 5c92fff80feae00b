-- tokenstore schema for Db2 for Linux, UNIX and Windows, version 3: per-client scope allow-list and
-- resource-server flag.
--
-- Run by the migration runner, in one transaction with its row in tokenstore_schema_version, or by
-- hand with the command line processor: db2 -tvf 003_client_policy.sql (connected to the database).
-- The file is not idempotent: the runner records that it ran.
--
--   * allowed_scopes: JSON array of the scopes the client may request ("device_*" stands for every
--     device_<id> scope). NULL (every client registered before this file) allows no scope: scopes are
--     denied unless allowed, so give existing clients their scopes (updateClient, or the CLI's
--     clients file) after running it.
--   * resource_server: the client may introspect other clients' tokens (RFC 7662 §4).

ALTER TABLE tokenstore_client ADD COLUMN allowed_scopes CLOB(1M);

ALTER TABLE tokenstore_client ADD COLUMN resource_server SMALLINT NOT NULL DEFAULT 0;

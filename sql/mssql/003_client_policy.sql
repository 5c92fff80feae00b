-- tokenstore schema for SQL Server, version 3: per-client scope allow-list and resource-server flag.
--
-- Run by the migration runner (in one transaction with its row in tokenstore_schema_version), or by
-- hand: sqlcmd -b -d <database> -i 003_client_policy.sql
--
--   * allowed_scopes: JSON array of the scopes the client may request ("device_*" stands for every
--     device_<id> scope). NULL (every client registered before this file) allows no scope: scopes are
--     denied unless allowed, so give existing clients their scopes (updateClient, or the CLI's
--     clients file) after running it.
--   * resource_server: the client may introspect other clients' tokens (RFC 7662 §4).

ALTER TABLE tokenstore_client ADD allowed_scopes nvarchar(max) NULL;

ALTER TABLE tokenstore_client ADD resource_server bit NOT NULL DEFAULT 0;

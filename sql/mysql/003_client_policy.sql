-- tokenstore schema for MySQL 8.0+ and MariaDB 10.6+, version 3: per-client scope allow-list and
-- resource-server flag.
--
-- Run by the migration runner (which records it in tokenstore_schema_version), or by hand:
--   mysql <database> < 003_client_policy.sql
-- One statement, so it either adds both columns or neither (MySQL has no ADD COLUMN IF NOT EXISTS:
-- do not run it twice by hand).
--
--   * allowed_scopes: JSON array of the scopes the client may request ("device_*" stands for every
--     device_<id> scope). NULL (every client registered before this file) allows no scope: scopes are
--     denied unless allowed, so give existing clients their scopes (updateClient, or the CLI's
--     clients file) after running it.
--   * resource_server: the client may introspect other clients' tokens (RFC 7662 §4).

ALTER TABLE tokenstore_client
  ADD COLUMN allowed_scopes  TEXT    NULL,
  ADD COLUMN resource_server BOOLEAN NOT NULL DEFAULT FALSE;

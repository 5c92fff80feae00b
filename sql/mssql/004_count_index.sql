-- tokenstore schema, version 4: an index per token table for counting rows by state without a scan.
--
-- Run by the migration runner (which records it in tokenstore_schema_version), or by hand:
--   sqlcmd -b -d <database> -i 004_count_index.sql
--
-- TokenStore.count (tokenstore stats, and the totals of purge and rewrap) groups by state and counts
-- ACTIVE rows past expiry: both are answered from this index alone. It costs one more index entry
-- per write of a token row; on a very large table create it at a quiet time.

CREATE INDEX tokenstore_access_token_state ON tokenstore_access_token (state, expires_at);

CREATE INDEX tokenstore_refresh_token_state ON tokenstore_refresh_token (state, expires_at);

CREATE INDEX tokenstore_authorization_code_state ON tokenstore_authorization_code (state, expires_at);

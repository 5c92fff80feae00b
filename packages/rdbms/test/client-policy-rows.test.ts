import { describe, expect, it } from 'vitest';
import { MysqlDialect } from '../src/dialects/mysql/mysql-dialect.js';
import { PostgresDialect } from '../src/dialects/postgres/postgres-dialect.js';
import { RowCodec } from '../src/schema/row-codec.js';

// A client registered before 003_client_policy.sql has NULL in both new columns (the migration adds
// them with no value): it must read back as allowing no scope and not being a resource server.
const BEFORE_003 = {
  consumer_key: 'old-client',
  secret_key: 'key',
  secret_value: null,
  client_name: null,
  grant_types: '["client_credentials"]',
  redirect_uris: '[]',
  application_access_token_validity: null,
  user_access_token_validity: null,
  refresh_token_validity: null,
  authorization_code_validity: null,
  created_at: '1',
  updated_at: '2',
};

describe('client rows and 003_client_policy.sql', () => {
  for (const dialect of [new PostgresDialect(), new MysqlDialect()]) {
    const codec = new RowCodec(dialect);

    it(`${dialect.name}: reads a client written before the migration as allowing no scope, not a resource server`, () => {
      expect(codec.clientFromRow({ ...BEFORE_003, allowed_scopes: null, resource_server: null })).toMatchObject({
        allowedScopes: [],
        resourceServer: false,
      });
      // MySQL/MariaDB after the migration: the column default, 0.
      expect(codec.clientFromRow({ ...BEFORE_003, allowed_scopes: null, resource_server: 0 })).toMatchObject({ resourceServer: false });
    });

    it(`${dialect.name}: writes and reads back the allowed scopes and the flag`, () => {
      const client = codec.clientFromRow({ ...BEFORE_003, allowed_scopes: '["device_*","read"]', resource_server: 1 });
      expect(client).toMatchObject({ allowedScopes: ['device_*', 'read'], resourceServer: true });
      const values = codec.clientValues(client);
      expect(values.allowed_scopes).toBe('["device_*","read"]');
      expect(codec.clientFromRow({ ...BEFORE_003, ...values })).toEqual(client);
    });
  }
});

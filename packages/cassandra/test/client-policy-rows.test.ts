import { describe, expect, it } from 'vitest';
import { clientFromRow, clientParams } from '../src/token-rows.js';

describe('client rows and 006_client_policy.cql', () => {
  const before = {
    consumer_key: 'old-client',
    secret_key: 'key',
    secret_value: null,
    name: null,
    grant_types: ['client_credentials'],
    redirect_uris: null,
    created_at: new Date(1),
    updated_at: new Date(2),
  };

  it('reads a client written before the columns existed as allowing no scope, not a resource server', () => {
    expect(clientFromRow({ ...before, allowed_scopes: null, resource_server: null })).toMatchObject({
      allowedScopes: [],
      resourceServer: false,
    });
  });

  it('binds the allowed scopes and the flag after the columns of 003_clients', () => {
    const client = clientFromRow({ ...before, allowed_scopes: ['read'], resource_server: true })!;
    expect(client).toMatchObject({ allowedScopes: ['read'], resourceServer: true });
    expect(clientParams(client).slice(-2)).toEqual([['read'], true]);
  });
});

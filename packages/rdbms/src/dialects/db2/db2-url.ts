import { MisconfigurationError } from '@tokenstore/core';
import type { DatabaseUrl } from '../../url.js';

/**
 * A DB2 CLI connection string from `db2://user:password@host:50000/DATABASE`: `DATABASE=…;
 * HOSTNAME=…;PORT=…;PROTOCOL=TCPIP;UID=…;PWD=…;`. tokenstore's `schema` becomes `CURRENTSCHEMA`;
 * other query parameters are passed on as CLI keywords (`?Security=SSL`). A value holding `;` or
 * `{` is wrapped in braces, as CLI expects. Errors never echo the URL (it may hold a password).
 */
export function db2ConnectionString(url: DatabaseUrl): string {
  const parsed = url.connectionUrl;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') throw new MisconfigurationError('url', 'needs the database name as its path, e.g. db2://user@host:50000/TESTDB');
  const keywords: Array<[string, string]> = [
    ['DATABASE', database],
    ['HOSTNAME', parsed.hostname],
    ['PORT', parsed.port === '' ? '50000' : parsed.port],
    ['PROTOCOL', 'TCPIP'],
  ];
  if (parsed.username !== '') keywords.push(['UID', decodeURIComponent(parsed.username)]);
  if (parsed.password !== '') keywords.push(['PWD', decodeURIComponent(parsed.password)]);
  if (url.schema !== undefined) keywords.push(['CURRENTSCHEMA', url.schema]);
  for (const [name, value] of parsed.searchParams) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name))
      throw new MisconfigurationError('url', 'has a query parameter that is not a DB2 CLI keyword');
    keywords.push([name, value]);
  }
  return keywords.map(([name, value]) => `${name}=${cliValue(value)};`).join('');
}

function cliValue(value: string): string {
  if (!/[;{}]/.test(value)) return value;
  if (value.includes('}')) throw new MisconfigurationError('url', 'a DB2 connection value may not contain "}"');
  return `{${value}}`;
}

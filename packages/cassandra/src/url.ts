import { MisconfigurationError } from '@tokenstore/core';
import { BACKEND } from './errors.js';

export const DEFAULT_PORT = 9042;

/** What a `cassandra://` URL says. */
export interface CassandraUrl {
  /** `host:port` for each host (IPv6 hosts in brackets). */
  contactPoints: string[];
  /** Empty path → `undefined` (the store's default keyspace applies). */
  keyspace: string | undefined;
  localDataCenter: string | undefined;
  credentials: { username: string; password: string } | undefined;
}

const URL_SHAPE = /^cassandra:\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/i;
const KEYSPACE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;
const KNOWN_PARAMETERS = new Set(['dc', 'localDataCenter']);

/**
 * Parses `cassandra://[user:password@]host[:port][,host2[:port]]/[keyspace]?dc=<local data centre>`.
 * Errors name the option `url` and never echo the URL (it may hold a password).
 */
export function parseCassandraUrl(url: string): CassandraUrl {
  const fail = (message: string) => new MisconfigurationError('url', message, { backend: BACKEND });
  if (typeof url !== 'string') throw fail('must be a string like cassandra://host:9042/keyspace?dc=datacenter1');
  const match = URL_SHAPE.exec(url.trim());
  if (!match) throw fail('must look like cassandra://host[:port][,host2[:port]]/keyspace?dc=datacenter1');
  const [, userInfo, hostList = '', path = '', query = ''] = match;

  const contactPoints = hostList.split(',').map((entry) => normaliseHost(entry.trim(), fail));
  if (contactPoints.length === 0 || contactPoints.some((host) => host === ''))
    throw fail('names no host; e.g. cassandra://127.0.0.1:9042/tokenstore?dc=datacenter1');

  const keyspace = decodeURIComponent(path.replace(/\/+$/, ''));
  if (keyspace !== '' && !KEYSPACE_NAME.test(keyspace)) throw fail('keyspace must be 1..48 letters, digits or _ and start with a letter');

  const params = new URLSearchParams(query);
  for (const name of params.keys()) if (!KNOWN_PARAMETERS.has(name)) throw fail(`unknown parameter "${name}"; supported: dc`);
  const dc = params.get('dc') ?? params.get('localDataCenter') ?? undefined;

  let credentials: CassandraUrl['credentials'];
  if (userInfo !== undefined && userInfo !== '') {
    const colon = userInfo.indexOf(':');
    const username = decodeURIComponent(colon < 0 ? userInfo : userInfo.slice(0, colon));
    const password = colon < 0 ? '' : decodeURIComponent(userInfo.slice(colon + 1));
    credentials = { username, password };
  }
  return { contactPoints, keyspace: keyspace === '' ? undefined : keyspace, localDataCenter: dc === '' ? undefined : dc, credentials };
}

function normaliseHost(entry: string, fail: (message: string) => Error): string {
  if (entry === '') return '';
  let host: string;
  let port: string | undefined;
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']');
    if (end < 0) throw fail('has an IPv6 host without a closing bracket');
    host = entry.slice(0, end + 1);
    const rest = entry.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw fail('has an invalid host');
    port = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = entry.lastIndexOf(':');
    host = colon < 0 ? entry : entry.slice(0, colon);
    port = colon < 0 ? undefined : entry.slice(colon + 1);
  }
  if (host === '' || host === '[]' || /[\s]/.test(host)) throw fail('has an empty or invalid host');
  const portNumber = port === undefined ? DEFAULT_PORT : Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535 || (port !== undefined && !/^\d+$/.test(port)))
    throw fail('has an invalid port (1..65535)');
  return `${host}:${portNumber}`;
}

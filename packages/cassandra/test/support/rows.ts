import * as rows from '@tokenstore/conformance';
import type { StoredAccessToken, StoredAuthorizationCode, StoredClient, StoredRefreshToken } from '@tokenstore/core';

/** Times of the store-level tests: the suite's fake 2030 clock, never the machine's. */
export const NOW = Date.UTC(2030, 0, 1);
export const HOUR = 3_600_000;

/** The conformance package's row builders, issued at {@link NOW}. */
export const accessTokenRow = (overrides?: Partial<StoredAccessToken>) => rows.accessTokenRow(NOW, overrides);
export const refreshTokenRow = (overrides?: Partial<StoredRefreshToken>) => rows.refreshTokenRow(NOW, overrides);
export const authorizationCodeRow = (overrides?: Partial<StoredAuthorizationCode>) => rows.authorizationCodeRow(NOW, overrides);
export const clientRow = (overrides?: Partial<StoredClient>) => rows.clientRow(NOW, overrides);

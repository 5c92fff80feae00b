import { MemoryStore } from '@tokenstore/cache';
import {
  createProtector,
  type FallbackHitEvent,
  generateAesKey,
  generatePepper,
  generateRsaKeyPair,
  ManualClock,
  PROTECTED_KINDS,
  type ProtectedKind,
  type ProtectionOptions,
  type RewrapProgressEvent,
  type ScannedRowByKind,
  type ScanPage,
  TokenService,
  type TokenServiceOptions,
  type TokenStore,
  TokenStoreEventEmitter,
} from '@tokenstore/core';

/** Shared fixtures of the protection and rewrap tests: keys, services on one MemoryStore, seeded data. */

export const PEPPER_1 = { id: 'p1', secret: generatePepper() };
export const PEPPER_2 = { id: 'p2', secret: generatePepper() };
export const AES_A = { id: 'kA', key: generateAesKey() };
export const AES_B = { id: 'kB', key: generateAesKey() };

let rsaPair: { publicKeyPem: string; privateKeyPem: string } | undefined;
/** One 2048-bit key pair per test file, made on first use (generation costs ~100 ms). */
export function rsaKeyPair(): { publicKeyPem: string; privateKeyPem: string } {
  rsaPair ??= generateRsaKeyPair(2048);
  return rsaPair;
}

export const HASH: ProtectionOptions = { mode: 'hash', peppers: [PEPPER_1] };
export const HASH_SHA256: ProtectionOptions = { mode: 'hash', algorithm: 'sha256' };
export const ENCRYPT_AES: ProtectionOptions = {
  mode: 'encrypt',
  peppers: [PEPPER_1],
  cipher: { algorithm: 'aes-256-gcm', keys: [AES_A], activeKey: 'kA' },
};
export function encryptRsa(transformation?: string): ProtectionOptions {
  return {
    mode: 'encrypt',
    peppers: [PEPPER_1],
    cipher: {
      algorithm: 'rsa-oaep',
      keys: [{ id: 'r1', ...rsaKeyPair() }],
      activeKey: 'r1',
      ...(transformation ? { transformation } : {}),
    },
  };
}

/** Every mode by name, for tests that run the same scenario in each. */
export function everyMode(): Array<[string, ProtectionOptions]> {
  return [
    ['plain', { mode: 'plain' }],
    ['hash (HMAC-SHA-256)', HASH],
    ['hash (SHA-256, WSO2)', HASH_SHA256],
    ['encrypt (AES-256-GCM)', ENCRYPT_AES],
    ['encrypt (RSA-OAEP, SHA-1)', encryptRsa('RSA/ECB/OAEPwithSHA1andMGF1Padding')],
    ['encrypt (RSA-OAEP, SHA-256)', encryptRsa('RSA/ECB/OAEPWithSHA-256AndMGF1Padding')],
  ];
}

/** One store and clock that successive service configurations (a rolling migration) share. */
export class Deployment {
  readonly clock = new ManualClock();
  readonly store: TokenStore = new MemoryStore({ clock: this.clock });
  readonly events = new TokenStoreEventEmitter();
  readonly fallbackHits: FallbackHitEvent[] = [];
  readonly progress: RewrapProgressEvent[] = [];

  constructor() {
    this.events.on('protection:fallback', (event) => this.fallbackHits.push(event));
    this.events.on('rewrap:progress', (event) => this.progress.push(event));
  }

  /** A service over the shared store with this protection configuration (the next "deploy"). */
  service(protection: ProtectionOptions, options: Partial<TokenServiceOptions> = {}): TokenService {
    return new TokenService({
      store: this.store,
      clock: this.clock,
      events: this.events,
      protector: createProtector(protection),
      ...options,
    });
  }

  /** Every row the store holds, as stored, serialised: what an attacker reading the database sees. */
  async dump(): Promise<string> {
    const rows: unknown[] = [];
    for (const kind of PROTECTED_KINDS) {
      let cursor: string | null = null;
      do {
        const page: ScanPage<ScannedRowByKind[ProtectedKind]> = await this.store.scan(kind, { cursor, limit: 1000 });
        rows.push(...page.rows);
        cursor = page.cursor;
      } while (cursor !== null);
    }
    return JSON.stringify(rows);
  }

  /** Every lookup key and stored value, per kind. */
  async storedForms(): Promise<Array<{ kind: string; key: string; value: string | null }>> {
    const forms: Array<{ kind: string; key: string; value: string | null }> = [];
    for (const kind of PROTECTED_KINDS) {
      let cursor: string | null = null;
      do {
        const page: ScanPage<ScannedRowByKind[ProtectedKind]> = await this.store.scan(kind, { cursor, limit: 1000 });
        for (const row of page.rows) {
          if ('secretKey' in row) forms.push({ kind, key: row.secretKey, value: row.secretValue });
          else forms.push({ kind, key: row.key, value: row.value });
        }
        cursor = page.cursor;
      } while (cursor !== null);
    }
    return forms;
  }
}

/** What a seeded deployment hands out: the plaintexts a client holds. */
export interface SeededData {
  consumerKey: string;
  consumerSecret: string;
  /** Access tokens issued by client credentials, each with its refresh token. */
  tokens: Array<{ accessToken: string; refreshToken: string }>;
  /** Unused authorization codes. */
  codes: string[];
}

/** Registers a client and issues `count` token pairs and `count` codes. */
export async function seed(service: TokenService, count: number): Promise<SeededData> {
  const client = await service.registerClient({ name: 'migration-app', redirectUris: ['https://app.example/cb'] });
  const tokens: SeededData['tokens'] = [];
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const issued = await service.issueAccessToken({
      consumerKey: client.consumerKey,
      userId: `user-${i}`,
      scopes: 'read',
      issueRefreshToken: true,
    });
    tokens.push({ accessToken: issued.accessToken, refreshToken: issued.refreshToken! });
    const code = await service.issueAuthorizationCode({
      consumerKey: client.consumerKey,
      userId: `user-${i}`,
      redirectUri: 'https://app.example/cb',
    });
    codes.push(code.code);
  }
  return { consumerKey: client.consumerKey, consumerSecret: client.consumerSecret, tokens, codes };
}

/** How many of the seeded artefacts the service still accepts (without consuming anything). */
export async function countAccepted(
  service: TokenService,
  data: SeededData,
): Promise<{ access: number; refresh: number; codes: number; secret: boolean }> {
  let access = 0;
  for (const { accessToken } of data.tokens) if (await service.validateAccessToken(accessToken)) access++;
  let refresh = 0;
  let codes = 0;
  for (const { refreshToken } of data.tokens) if (await foundRefreshToken(service, data.consumerKey, refreshToken)) refresh++;
  for (const code of data.codes) if (await foundCode(service, data.consumerKey, code)) codes++;
  return { access, refresh, codes, secret: await service.verifyClientSecret(data.consumerKey, data.consumerSecret) };
}

async function foundRefreshToken(service: TokenService, consumerKey: string, refreshToken: string): Promise<boolean> {
  // A scope outside the grant fails validation after the lookup, so nothing is rotated.
  try {
    await service.refreshAccessToken({ consumerKey, refreshToken, scopes: 'not-granted' });
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'INVALID_INPUT';
  }
}

async function foundCode(service: TokenService, consumerKey: string, code: string): Promise<boolean> {
  // A wrong redirect URI fails after the lookup and before the code is consumed.
  try {
    await service.consumeAuthorizationCode({ consumerKey, code, redirectUri: 'https://other.example/cb' });
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'INVALID_INPUT';
  }
}

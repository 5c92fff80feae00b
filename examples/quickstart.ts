/**
 * The main job on the embedded default (the in-memory store): register a client, issue, validate,
 * refresh, revoke and purge. Run: npm run demo
 */
import { MemoryStore } from '@tokenstore/cache';
import { TokenService } from '@tokenstore/core';

const tokens = new TokenService({ store: new MemoryStore(), reuseTokens: true, purge: { intervalSeconds: 60 } });
tokens.events.on('purge', (run) => console.log('purge run', run.removed));

const { consumerKey, consumerSecret } = await tokens.registerClient({ name: 'demo-app', grantTypes: ['password', 'refresh_token'] });
console.log('client secret verifies:', await tokens.verifyClientSecret(consumerKey, consumerSecret));

const issued = await tokens.issueAccessToken({ consumerKey, userId: 'alice', scopes: 'read write', issueRefreshToken: true });
console.log('issued:', { expiresIn: issued.expiresIn, scopes: issued.scopes, reused: issued.reused });
console.log('valid:', (await tokens.validateAccessToken(issued.accessToken))?.userId);

const again = await tokens.issueAccessToken({ consumerKey, userId: 'alice', scopes: 'write read' });
console.log('same token for the same client, user and scopes:', again.accessToken === issued.accessToken);
const ipad = await tokens.issueAccessToken({ consumerKey, userId: 'alice', scopes: 'read write device_ipad' });
console.log('device_ipad gets its own token:', ipad.accessToken !== issued.accessToken);

const refreshed = await tokens.refreshAccessToken({ consumerKey, refreshToken: issued.refreshToken as string });
console.log('rotated refresh token; new access token valid:', (await tokens.validateAccessToken(refreshed.accessToken)) !== null);

console.log('revoked for alice:', await tokens.revokeTokensOfUser('alice'));
console.log('after revocation valid:', await tokens.validateAccessToken(refreshed.accessToken));
console.log('purge now:', (await tokens.purgeExpired()).removed);
await tokens.close();

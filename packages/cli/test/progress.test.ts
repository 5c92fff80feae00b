import { MemoryStore } from '@tokenstore/cache';
import { ManualClock, TokenService } from '@tokenstore/core';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { Collector } from './support/cli.js';

/** A terminal-like stream: progress bars are drawn only on one. */
class Terminal extends Collector {
  override isTTY = true;
  columns = 120;
}

async function filledStore(clock: ManualClock) {
  const store = new MemoryStore({ clock });
  store.useRetention({ inactiveSeconds: 20 * 86400, expiredSeconds: 20 * 86400 });
  store.close = async () => undefined;
  const service = new TokenService({ store, clock });
  const { consumerKey } = await service.registerClient();
  for (let i = 0; i < 5; i++) await service.issueAccessToken({ consumerKey, userId: `u${i}`, validitySeconds: 60 });
  return store;
}

describe('progress bars', () => {
  it('purge draws rows removed out of the counted total on a terminal, and keeps stdout clean', async () => {
    const clock = new ManualClock();
    const store = await filledStore(clock);
    clock.advanceSeconds(120);
    const stdout = new Collector();
    const stderr = new Terminal();
    const code = await runCli(['purge', '--json'], { env: {}, stdout, stderr, clock, openStore: async () => store, handleSignals: false });
    expect(code).toBe(0);
    expect(stderr.text).toMatch(/purge .*5\/5 rows \| access 5/);
    expect(JSON.parse(stdout.text)).toMatchObject({ total: 5 });
  });

  it('rewrap draws done/total and the rate on a terminal', async () => {
    const clock = new ManualClock();
    const store = await filledStore(clock);
    const stderr = new Terminal();
    const code = await runCli(['rewrap', '--batch-size', '2'], {
      env: {
        TOKENSTORE_PROTECTION: 'hash',
        TOKENSTORE_PEPPERS: `p1:${Buffer.alloc(32, 7).toString('base64')}`,
        TOKENSTORE_PROTECTION_FALLBACK: 'plain',
      },
      stdout: new Collector(),
      stderr,
      clock,
      openStore: async () => store,
      handleSignals: false,
    });
    expect(code).toBe(0);
    expect(stderr.text).toMatch(/rewrap .*6\/6 rows \| provider artifacts \| converted 6 \| \d+ rows\/s/);
  });

  it('draws nothing when stderr is not a terminal', async () => {
    const clock = new ManualClock();
    const store = await filledStore(clock);
    const stderr = new Collector();
    await runCli(['purge'], { env: {}, stdout: new Collector(), stderr, clock, openStore: async () => store, handleSignals: false });
    expect(stderr.text).toBe('');
  });
});

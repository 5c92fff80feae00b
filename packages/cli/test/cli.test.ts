import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

const COMMANDS = ['serve', 'migrate', 'purge', 'rewrap', 'stats', 'bench'];
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

describe('--help', () => {
  it('lists every command, the configuration variables and the exit codes', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(stdout).toContain('TOKENSTORE_URL');
    expect(stdout).toMatch(/Exit codes:[\s\S]*2 usage or configuration error/);
  });

  it.each(COMMANDS)('works for %s without reading the configuration', async (command) => {
    // A broken environment must not stop --help.
    const { code, stdout, stderr } = await cli([command, '--help'], { env: { PORT: 'broken', TOKENSTORE_URL: 'nope://' } });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: tokenstore ${command}`);
  });

  it('documents the --json option of the read-only commands', async () => {
    for (const command of ['migrate', 'purge', 'rewrap', 'stats', 'bench'])
      expect((await cli([command, '--help'])).stdout).toContain('--json');
  });
});

describe('exit codes', () => {
  it('0 for --version', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('2 for an unknown command, an unknown option or a missing command', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['stats', '--verbose'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  it('2 for a bad variable, with a message naming it', async () => {
    const result = await cli(['stats'], { env: { TOKENSTORE_PROTECTION: 'rot13' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('tokenstore: TOKENSTORE_PROTECTION: must be one of plain, hash, encrypt, got "rot13"\n');
  });
});

/** Runs the real bin through tsx from the repository root, as `npm start` does. */
function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('TOKENSTORE_') && name !== 'PORT' && name !== 'HOST'),
  );
  return spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/bin.ts', ...args], {
    cwd: REPO,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the real process', () => {
  it('exits 0 on --help and 2 on a bad variable', async () => {
    expect((await finished(spawnCli(['--help']))).code).toBe(0);
    const bad = await finished(spawnCli(['stats'], { PORT: 'x' }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('PORT: must be a whole number');
  });

  it('serves the demo client on the memory store, issues a token to the printed curl credentials, and stops cleanly on SIGTERM', async () => {
    const child = spawnCli(['serve'], { PORT: '0' });
    const done = finished(child);
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    const deadline = Date.now() + 30_000;
    while (!/Ctrl\+C stops/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = /listening on (http:\/\/\S+)/.exec(output)![1]!;
    const secret = /secret: (\S+)/.exec(output)![1]!;
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const token = await fetch(`${url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`demo-client:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    expect(((await token.json()) as { access_token?: string }).access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGTERM received, stopping');
  });
});

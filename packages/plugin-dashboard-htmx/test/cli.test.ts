import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';

describe('charge-it-dashboard CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  const run = async (argv: string[], stdin = '', extraEnv: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { env: { ...env, ...extraEnv }, stdin: Readable.from([stdin]), out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dashboard-cli-'));
    env = { CHARGE_IT_DATABASE_URL: `sqlite:${join(dir, 'csms.db')}`, CHARGE_IT_LOG_LEVEL: 'silent' };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates the first admin with the password from stdin, lists users, changes a password', async () => {
    const created = await run(['create-admin', '--username', 'siti'], 'a-long-password-1\n');
    expect(created).toMatchObject({ code: 0, out: 'created admin "siti"' });
    const list = await run(['list']);
    expect(list.out).toMatch(/^siti\tadmin\t/);
    const changed = await run(['set-password', '--username', 'siti'], '', { CHARGE_IT_DASHBOARD_ADMIN_PASSWORD: 'another-password-2' });
    expect(changed.code).toBe(0);
  });

  it('refuses a short password and a missing username with a clear message', async () => {
    const short = await run(['create-admin', '--username', 'budi'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.err).toContain('password');
    const missing = await run(['create-admin']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--username is required');
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});

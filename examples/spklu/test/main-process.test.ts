import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/** The built entry point, as `npm start` and the Docker image run it. turbo builds it before this package's tests. */
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const READY_TIMEOUT_MS = 20_000;

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('node dist/main.js', () => {
  let cwd: string;
  const running: ChildProcess[] = [];

  beforeAll(() => {
    if (!existsSync(MAIN)) {
      throw new Error(`${MAIN} is missing: build the example first (npm run build -w @charge-it/example-spklu, or run the tests through turbo: npm test)`);
    }
  });

  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'charge-it-spklu-main-'));
  });

  afterEach(async () => {
    for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(cwd, { recursive: true, force: true });
  });

  function run(env: Record<string, string>): Run {
    // The test runner's own CHARGE_IT_* variables (e.g. CI's MariaDB URL) must not leak into the app.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CHARGE_IT_')));
    const child = spawn(process.execPath, [MAIN], { cwd, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    const result: Run = {
      child,
      stdout: '',
      stderr: '',
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (result.stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (result.stderr += chunk));
    return result;
  }

  /** Resolves with the first JSON log line whose msg matches; fails if the process exits or time runs out. */
  async function waitForLog(runInfo: Run, msg: RegExp): Promise<Record<string, unknown>> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited = false;
    void runInfo.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      for (const line of runInfo.stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (typeof entry.msg === 'string' && msg.test(entry.msg)) return entry;
      }
      if (exited) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no log line matching ${msg} (exited: ${exited}); stdout:\n${runInfo.stdout}\nstderr:\n${runInfo.stderr}`);
  }

  it('refuses a bad CHARGE_IT_PORT with a non-zero exit and a message naming it, without a stack trace', async () => {
    const app = run({ CHARGE_IT_PORT: 'abc' });
    const { code } = await app.exited;
    expect(code).not.toBe(0);
    expect(app.stderr).toContain('CHARGE_IT_PORT');
    expect(app.stderr).toContain('"abc"');
    expect(app.stderr).not.toMatch(/^\s+at /m);
  });

  it('starts on the embedded database under ./data, serves /health, and stops gracefully on SIGTERM', async () => {
    const app = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1' });
    const ready = await waitForLog(app, /^SPKLU app ready/);
    expect(ready.ocpp).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ocpp\/<chargePointId>$/);
    expect(existsSync(join(cwd, 'data', 'spklu.db'))).toBe(true);

    const health = await fetch(`${String(ready.http)}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { database: string }).database).toBe('ok');

    app.child.kill('SIGTERM');
    const { code } = await app.exited;
    expect(code).toBe(0);
    await waitForLog(app, /CSMS closed/);
  });

  it('starts again on the same data dir without seeding DEMO-123 twice', async () => {
    const first = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1' });
    await waitForLog(first, /^seeded demo idTag/);
    await waitForLog(first, /^SPKLU app ready/);
    first.child.kill('SIGINT');
    expect((await first.exited).code).toBe(0);

    const second = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1' });
    await waitForLog(second, /^SPKLU app ready/);
    expect(second.stdout).not.toContain('seeded demo idTag');
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/** The built entry point, as `npm start` and the Docker image run it. turbo builds it before this package's tests. */
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
/** The node flags of `npm start` (package.json), so that the app runs here as it runs there. */
const START_NODE_FLAGS = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(' ')
  .filter((part) => part.startsWith('--'));
const READY_TIMEOUT_MS = 60_000;
/** The `charge-it-edge` command as npm links it (node_modules/.bin → the package's bin wrapper). */
const EDGE_BIN = join(dirname(createRequire(import.meta.url).resolve('@charge-it/edge-runtime/package.json')), 'bin', 'charge-it-edge.js');

async function until(probe: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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

  /** A light demo unless a test asks for more: no simulated fleet, no synthetic history. */
  const LIGHT_DEMO = { CHARGE_IT_SPKLU_DEMO_CHARGE_POINTS: '0', CHARGE_IT_SPKLU_DEMO_PN532: 'false', CHARGE_IT_SPKLU_DEMO_HISTORY_DAYS: '0' };

  function run(env: Record<string, string>, args: string[] = []): Run {
    // The test runner's own CHARGE_IT_* variables (e.g. CI's MariaDB URL) must not leak into the app.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CHARGE_IT_') && key !== 'NODE_ENV'));
    const child = spawn(process.execPath, [...START_NODE_FLAGS, MAIN, ...args], { cwd, env: { ...inherited, ...LIGHT_DEMO, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  async function waitForLog(runInfo: Run, msg: RegExp, timeoutMs = READY_TIMEOUT_MS): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
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

  it('--help prints the usage and exits 0', async () => {
    const app = run({}, ['--help']);
    expect((await app.exited).code).toBe(0);
    expect(app.stdout).toContain('--no-demo');
    expect(app.stdout).toContain('.env.example');
  });

  it('prints the URLs and the demo login, and runs the demo charge point with the emulated PN532 reader', async () => {
    const app = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1', CHARGE_IT_SPKLU_DEMO_PN532: 'true' });
    const ready = await waitForLog(app, /^SPKLU app ready/);
    await until(() => app.stderr.includes('Demo login'), 'the banner');
    const base = String(ready.http);
    expect(app.stderr).toContain(`Dashboard     ${base}/dashboard/`);
    expect(app.stderr).toContain(`Health        ${base}/health`);
    expect(app.stderr).toContain('/driver/live.html?cp=DEMO-PI-01&c=1');
    expect(app.stderr).toContain('admin / charge-it-demo');
    // The demo charge point connects through the edge runtime and its reader's tap starts a session.
    await waitForLog(app, /^demo card 04A1B2C3 tapped on DEMO-PI-01: started/, 60_000);
    // "started" is the charge point's own outcome: its StartTransaction is queued in the outbox, so
    // the central system shows the session a moment later.
    let view: { status: string; session: unknown } | null = null;
    const viewUrl = `${base}/public/v1/connectors/DEMO-PI-01/1`;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      view = (await (await fetch(viewUrl)).json()) as { status: string; session: unknown };
      if (view.session !== null) break;
    }
    expect(view?.session ?? null).not.toBeNull();
    app.child.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
  });

  it('demo: the synthetic history is written once and AI Insights answers at once, marked synthetic', async () => {
    const key = 'test-admin-key-0123456789abcdef';
    const app = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1', CHARGE_IT_API_ADMIN_KEY: key, CHARGE_IT_SPKLU_DEMO_HISTORY_DAYS: '28' });
    const ready = await waitForLog(app, /^SPKLU app ready/);
    const written = await waitForLog(app, /^demo: \d+ synthetic sessions written/, 90_000);
    expect(Number(written.created)).toBeGreaterThan(100);
    const get = async (path: string) => (await fetch(`${String(ready.http)}${path}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<any>;
    let forecast: any;
    const deadline = Date.now() + 90_000;
    do {
      forecast = await get('/api/v1/ml/forecast?hours=24');
      if (forecast.status === 'ok') break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    expect(forecast.status, JSON.stringify(forecast).slice(0, 300)).toBe('ok');
    expect(forecast.training.syntheticShare).toBeGreaterThan(0.99);
    // No demo charge points in this run: every transaction is a synthetic one, and says so.
    const all = await get('/api/v1/transactions?limit=50');
    expect(all.total).toBe(Number(written.created));
    expect(all.items.every((t: { flags: string[] }) => t.flags.includes('synthetic'))).toBe(true);
    app.child.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);

    // A restart does not write the history again.
    const again = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1', CHARGE_IT_SPKLU_DEMO_HISTORY_DAYS: '28' });
    await waitForLog(again, /^SPKLU app ready/);
    await waitForLog(again, /^ml: training finished/, 90_000);
    expect(again.stdout).not.toMatch(/synthetic sessions written/);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 240_000);

  it('--no-demo starts clean: no demo card, no demo login, no auto-registration', async () => {
    const app = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1' }, ['--no-demo']);
    const ready = await waitForLog(app, /^SPKLU app ready/);
    expect(ready.autoRegister).toBe(false);
    expect(app.stdout).not.toContain('seeded demo idTag');
    await until(() => app.stderr.includes('Charge-IT SPKLU'), 'the banner');
    expect(app.stderr).not.toContain('Demo login');
    app.child.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
  });

  it('production mode refuses demo credentials, the demo and auto-registration, listing every problem', async () => {
    const app = run(
      {
        CHARGE_IT_SPKLU_MODE: 'production',
        CHARGE_IT_DASHBOARD_ADMIN_USER: 'admin',
        CHARGE_IT_DASHBOARD_ADMIN_PASSWORD: 'charge-it-demo',
        CHARGE_IT_DATABASE_URL: 'mysql://charge_it:charge-it-demo@127.0.0.1:3306/charge_it',
        CHARGE_IT_AUTO_REGISTER: 'true',
      },
      ['--demo'],
    );
    expect((await app.exited).code).toBe(1);
    expect(app.stderr).toContain('CHARGE_IT_DASHBOARD_ADMIN_PASSWORD is the demo password');
    expect(app.stderr).toContain('CHARGE_IT_DATABASE_URL uses the demo database password');
    expect(app.stderr).toContain('CHARGE_IT_AUTO_REGISTER=true');
    expect(app.stderr).toContain('the demo');
    expect(app.stderr).not.toMatch(/^\s+at /m);
  });

  it('production mode refuses a database whose dashboard user still has the demo password', async () => {
    const demo = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1' });
    await waitForLog(demo, /^SPKLU app ready/);
    demo.child.kill('SIGTERM');
    expect((await demo.exited).code).toBe(0);

    const prod = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1', NODE_ENV: 'production' });
    expect((await prod.exited).code).toBe(1);
    expect(prod.stderr).toContain('still has the demo password');
    expect(prod.stderr).toContain('charge-it-dashboard set-password');
  });

  it('production mode reads a .env-style config file (--config), the environment winning over it', async () => {
    const file = join(cwd, 'spklu.env');
    await writeFile(file, 'CHARGE_IT_SPKLU_MODE=production\nCHARGE_IT_HOST=127.0.0.1\nCHARGE_IT_PORT=abc\n');
    const bad = run({}, ['--config', file]);
    expect((await bad.exited).code).toBe(1);
    expect(bad.stderr).toContain('CHARGE_IT_PORT');

    const good = run({ CHARGE_IT_PORT: '0' }, ['--config', file]);
    const ready = await waitForLog(good, /^SPKLU app ready/);
    expect(ready).toMatchObject({ mode: 'production', demo: false, autoRegister: false });
    good.child.kill('SIGTERM');
    expect((await good.exited).code).toBe(0);
  });

  it('`charge-it-edge simulate --count 5` against the demo app charges: sessions, no refused cards', async () => {
    const key = 'test-admin-key-0123456789abcdef';
    const app = run({ CHARGE_IT_PORT: '0', CHARGE_IT_HOST: '127.0.0.1', CHARGE_IT_API_ADMIN_KEY: key });
    const ready = await waitForLog(app, /^SPKLU app ready/);
    const ocpp = String(ready.ocpp).replace('/<chargePointId>', '');
    const sim = spawn(
      process.execPath,
      [EDGE_BIN, 'simulate', '--csms', ocpp, '--count', '5', '--sessions', 'scripted', '--session-seconds', '2', '--duration', '12'],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let simErr = '';
    sim.stderr!.setEncoding('utf8').on('data', (c: string) => (simErr += c));
    const code = await new Promise<number | null>((resolve) => sim.once('exit', resolve));
    expect(code, simErr).toBe(0);
    // The final line: "done: 5/5 booted at the end, 15 sessions started, 0 errors"; the status lines say "… N refused".
    const done = /(\d+)\/5 booted at the end, (\d+) sessions started, (\d+) errors/.exec(simErr);
    expect(done, simErr).not.toBeNull();
    expect(Number(done![1])).toBe(5);
    expect(Number(done![2])).toBeGreaterThanOrEqual(5);
    expect(Number(done![3])).toBe(0);
    const refused = [...simErr.matchAll(/(\d+) refused/g)].map((x) => Number(x[1]));
    expect(refused.length, simErr).toBeGreaterThan(0);
    expect(refused.at(-1)).toBe(0);
    const res = await fetch(`${String(ready.http)}/api/v1/transactions?limit=100`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { items: { idTag: string; status: string }[] };
    expect(body.items.filter((t) => /^SIM00\d1A$/.test(t.idTag) && t.status === 'Completed').length).toBeGreaterThanOrEqual(5);
    app.child.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
  }, 120_000);

  it('the charge-it-edge command (a committed wrapper) says how to build when dist is missing', async () => {
    const pkg = join(cwd, 'edge-runtime');
    await mkdir(join(pkg, 'bin'), { recursive: true });
    await copyFile(EDGE_BIN, join(pkg, 'bin', 'charge-it-edge.js'));
    const child = spawn(process.execPath, [join(pkg, 'bin', 'charge-it-edge.js'), '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(err).toContain('npm run build -w @charge-it/edge-runtime');
  });
});

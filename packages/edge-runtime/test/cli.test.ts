import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ocppRpc from 'ocpp-rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCentralSystem } from '../src/testing/index.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the package's node_modules so the bundle resolves dependencies like the installed bin does.
const outDir = join(pkgDir, 'node_modules', '.cache', 'charge-it-cli-test');
const cliJs = join(outDir, 'cli.js');

/** Bundles src/cli.ts (dependencies stay external) so the test runs the CLI as a real process. */
async function buildCli(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(pkgDir, 'src', 'cli.ts')],
    outfile: cliJs,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'error',
  });
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    for (const key of Object.keys(env)) if (key.startsWith('CHARGE_IT_EDGE_') && !options.env?.[key]) delete env[key];
    const child = spawn(process.execPath, [cliJs, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`charge-it-edge ${args.join(' ')} did not exit\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('charge-it-edge CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charge-it-cli-'));
    await buildCli();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage:');
    expect(r.stdout).toContain('charge-it-edge simulate --csms');
    expect(r.stdout).toContain('CHARGE_IT_EDGE_CSMS_URL');
  });

  it('explains a config file that does not exist', async () => {
    const r = await runCli(['--config', join(dir, 'nope.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config file .*nope\.json does not exist; pass --config/);
  });

  it('explains a config file that is not JSON', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "identity": "CP1", }');
    const r = await runCli(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not valid JSON');
  });

  it('explains a bad field and how to fix it', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ identity: 'CP1', csmsUrl: 'http://example.com/ocpp', dataDir: join(dir, 'data') }));
    const r = await runCli(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`invalid configuration in ${file}: csmsUrl "http://example.com/ocpp" is invalid`);
    expect(r.stderr).toContain('ws:// or wss://');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user mistake
  });

  it('explains a bad reader entry', async () => {
    const file = join(dir, 'bad-reader.json');
    await writeFile(
      file,
      JSON.stringify({ identity: 'CP1', csmsUrl: 'ws://127.0.0.1:1/ocpp', dataDir: join(dir, 'data'), readers: [{ kind: 'pn532' }] }),
    );
    const r = await runCli(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('readers[0].kind "pn532" is unknown');
  });

  it('rejects unknown options and bad simulate arguments', async () => {
    expect((await runCli(['--frobnicate'])).code).toBe(2);
    const noCsms = await runCli(['simulate', '--count', '3']);
    expect(noCsms.code).toBe(2);
    expect(noCsms.stderr).toContain('--csms is missing');
    const badCount = await runCli(['simulate', '--csms', 'ws://127.0.0.1:1/ocpp', '--count', 'many']);
    expect(badCount.code).toBe(2);
    expect(badCount.stderr).toContain('--count must be a whole number >= 1 and <= 10000, got "many"');
  });

  it('runs one charge point from a config file, takes cards from stdin, and stops cleanly on SIGTERM', async () => {
    const { RPCServer } = ocppRpc as unknown as { RPCServer: new (o: object) => ScriptedServer };
    const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
    const calls: string[] = [];
    const authorized: string[] = [];
    server.auth((accept) => accept());
    server.on('client', (client) => {
      const now = () => new Date().toISOString();
      const h = (method: string, fn: (params: Record<string, unknown>) => unknown) =>
        client.handle(method, ({ params }) => {
          calls.push(method);
          return fn(params);
        });
      h('BootNotification', () => ({ status: 'Accepted', currentTime: now(), interval: 300 }));
      h('Heartbeat', () => ({ currentTime: now() }));
      h('StatusNotification', () => ({}));
      h('Authorize', (params) => {
        authorized.push(String(params.idTag));
        return { idTagInfo: { status: 'Accepted' } };
      });
    });
    const http = await server.listen(0, '127.0.0.1');
    const file = join(dir, 'run.json');
    await writeFile(
      file,
      JSON.stringify({
        identity: 'PI-CLI-1',
        csmsUrl: `ws://127.0.0.1:${(http.address() as { port: number }).port}/ocpp`,
        dataDir: join(dir, 'run-data'),
        readers: [{ kind: 'stdin', connectorId: 1 }],
        logLevel: 'info',
      }),
    );
    const child = spawn(process.execPath, [cliJs, '--config', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 150 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!ok()) throw new Error(`timed out waiting for ${what}; stdout: ${stdout}`);
    };
    try {
      await until('boot', () => calls.includes('BootNotification'));
      child.stdin.write('04:a2:3b:1c\n'); // a USB HID reader types the UID and Enter
      await until('Authorize', () => authorized.length > 0);
      expect(authorized).toEqual(['04A23B1C']);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('"msg":"stopped"');
    } finally {
      child.kill('SIGKILL');
      await server.close({ force: true });
    }
  });

  it('charges from the config file alone: a card typed on stdin starts a transaction at once (cable "always", the default) and stops it', async () => {
    const cs = await startFakeCentralSystem({ idTags: { '04A23B1C': 'Accepted' } });
    const file = join(dir, 'charge.json');
    await writeFile(
      file,
      JSON.stringify({
        identity: 'PI-CLI-2',
        csmsUrl: `${cs.url}/ocpp`,
        dataDir: join(dir, 'charge-data'),
        connectors: [{ maxPowerW: 3_700 }],
        readers: [{ kind: 'stdin', debounceMs: 0 }],
        logLevel: 'info',
      }),
    );
    const child = spawn(process.execPath, [cliJs, '--config', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await cs.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Available', { timeoutMs: 20_000 });
      child.stdin.write('04:a2:3b:1c\n');
      const start = await cs.waitFor('StartTransaction', undefined, { timeoutMs: 20_000 });
      expect(start.params).toMatchObject({ connectorId: 1, idTag: '04A23B1C' });
      await cs.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Charging', { timeoutMs: 20_000 });
      child.stdin.write('04A23B1C\n');
      const stop = await cs.waitFor('StopTransaction', undefined, { timeoutMs: 20_000 });
      expect(stop.params).toMatchObject({ transactionId: 1, reason: 'Local' });
      expect(cs.transactions).toEqual([expect.objectContaining({ identity: 'PI-CLI-2', idTag: '04A23B1C', stopReason: 'Local' })]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await cs.close();
    }
  });

  it('bench set-up: "plug 1" on stdin is a cable command, not a card, when the connector takes commands and a stdin reader shares stdin', async () => {
    const cs = await startFakeCentralSystem({ idTags: { CAFE01: 'Accepted' } });
    const file = join(dir, 'bench.json');
    await writeFile(
      file,
      JSON.stringify({
        identity: 'PI-CLI-3',
        csmsUrl: cs.url,
        dataDir: join(dir, 'bench-data'),
        connectors: [{ cable: { kind: 'command' } }],
        readers: [{ kind: 'stdin', debounceMs: 0 }],
        logLevel: 'info',
      }),
    );
    const child = spawn(process.execPath, [cliJs, '--config', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await cs.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Available', { timeoutMs: 20_000 });
      child.stdin.write('CAFE01\n');
      await cs.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Preparing', { timeoutMs: 20_000 });
      expect(cs.callsOf('StartTransaction')).toEqual([]);
      child.stdin.write('plug 1\n');
      await cs.waitFor('StartTransaction', (p) => p.idTag === 'CAFE01', { timeoutMs: 20_000 });
      child.stdin.write('unplug 1\n');
      const stop = await cs.waitFor('StopTransaction', undefined, { timeoutMs: 20_000 });
      expect(stop.params.reason).toBe('EVDisconnected');
      // Only the card reached Authorize: the commands were not taken for cards.
      expect(cs.callsOf('Authorize').map((c) => c.params.idTag)).toEqual(['CAFE01']);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await cs.close();
    }
  });

  it('simulate --count 3 --duration 3 connects and boots 3 charge points, then exits cleanly', async () => {
    const { RPCServer } = ocppRpc as unknown as { RPCServer: new (o: object) => ScriptedServer };
    const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
    const boots: string[] = [];
    const identities = new Set<string>();
    server.auth((accept) => accept());
    server.on('client', (client) => {
      identities.add(client.identity);
      const now = () => new Date().toISOString();
      client.handle('BootNotification', () => {
        boots.push(client.identity);
        return { status: 'Accepted', currentTime: now(), interval: 300 };
      });
      client.handle('Heartbeat', () => ({ currentTime: now() }));
      client.handle('StatusNotification', () => ({}));
      client.handle('Authorize', () => ({ idTagInfo: { status: 'Accepted' } }));
      client.handle('StartTransaction', () => ({ transactionId: 1, idTagInfo: { status: 'Accepted' } }));
      client.handle('StopTransaction', () => ({ idTagInfo: { status: 'Accepted' } }));
      client.handle('MeterValues', () => ({}));
    });
    const http = await server.listen(0, '127.0.0.1');
    try {
      const port = (http.address() as { port: number }).port;
      const r = await runCli(
        ['simulate', '--csms', `ws://127.0.0.1:${port}/ocpp`, '--count', '3', '--duration', '3', '--sessions', 'scripted', '--session-seconds', '1'],
        { timeoutMs: 30_000 },
      );
      expect(r.stderr).toContain('simulating 3 charge point(s)');
      expect(r.code).toBe(0);
      expect([...identities].sort()).toEqual(['SIM-001', 'SIM-002', 'SIM-003']);
      expect(new Set(boots)).toEqual(new Set(['SIM-001', 'SIM-002', 'SIM-003']));
      // Not a TTY: plain summary lines, one of them with all three connected and booted.
      expect(r.stderr).toMatch(/connected 3\/3 \| booted 3/);
      expect(r.stderr).not.toContain('\x1b[2K');
    } finally {
      await server.close({ force: true });
    }
  });
});

interface ScriptedClient {
  identity: string;
  handle(method: string, fn: (call: { params: Record<string, unknown> }) => unknown): void;
}
interface ScriptedServer {
  auth(cb: (accept: () => void) => void): void;
  on(event: 'client', fn: (client: ScriptedClient) => void): void;
  listen(port: number, host: string): Promise<{ address(): unknown }>;
  close(options: { force: boolean }): Promise<void>;
}

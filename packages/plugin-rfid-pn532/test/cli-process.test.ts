import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the package's node_modules so the bundle resolves i2c-bus like the installed bin does.
const outDir = join(pkgDir, 'node_modules', '.cache', 'charge-it-pn532-cli-test');
const cliJs = join(outDir, 'cli.js');

// The edge runtime's installed bin (its package's public "bin"), which delegates "pn532" to this package.
const edgePkg = createRequire(import.meta.url).resolve('@charge-it/edge-runtime/package.json');
const edgeCliJs = join(dirname(edgePkg), 'dist', 'cli.js');

function run(args: string[], bin = cliJs): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('CHARGE_IT_EDGE_')) delete env[key];
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('charge-it-pn532 as a process', () => {
  beforeAll(async () => {
    await mkdir(outDir, { recursive: true });
    await build({ entryPoints: [join(pkgDir, 'src', 'cli.ts')], outfile: cliJs, bundle: true, platform: 'node', format: 'esm', target: 'node22', packages: 'external', logLevel: 'error' });
  });

  it('--help exits 0 with the usage', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/charge-it-edge pn532 \[--bus 1\]/);
  });

  it('on a machine without I2C (this one) it exits 1 saying how to enable I2C, or what to install', async () => {
    const installed = await import('i2c-bus' as string).then(
      () => true,
      () => false,
    );
    const r = await run(['--bus', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(installed ? /\/dev\/i2c-1 does not exist: I2C is not enabled.*raspi-config/ : /npm install i2c-bus/);
  });

  it('charge-it-edge pn532 delegates here: --help, and the same clear message', async () => {
    const help = await run(['pn532', '--help'], edgeCliJs);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/charge-it-edge pn532 \(also: charge-it-pn532\)/);
    const r = await run(['pn532', '--bus', '1'], edgeCliJs);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot use the reader: /);
  });

  it('edge.json loads the plugin by package name; without I2C the charge point fails at start saying why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'charge-it-pn532-'));
    try {
      const config = join(dir, 'edge.json');
      await writeFile(
        config,
        JSON.stringify({
          identity: 'PI-PN532',
          csmsUrl: 'ws://127.0.0.1:9/ocpp',
          dataDir: join(dir, 'data'),
          logLevel: 'silent',
          plugins: [{ module: '@charge-it/plugin-rfid-pn532', export: 'pn532Reader', options: { i2cBus: 1, connectorId: 1 } }],
        }),
      );
      const r = await run(['--config', config], edgeCliJs);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/plugin "pn532-reader" failed in setup\(\): /);
      expect(r.stderr).toMatch(/\/dev\/i2c-1 does not exist: I2C is not enabled|npm install i2c-bus/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

#!/usr/bin/env node
// Memory footprint of the edge runtime.
//
//   node bench/edge-footprint.mjs [--counts 1,10,100] [--settle 5] [--sample 5]
//
// 1. Starts a small scripted OCPP 1.6J central system (ocpp-rpc RPCServer) on 127.0.0.1.
// 2. Starts ONE edge process (`charge-it-edge --config ...`, simulated meter) and samples its RSS
//    once it has booted: the figure for a Raspberry Pi running one charge point (target <= 60 MB).
// 3. Starts `charge-it-edge simulate --count N` for each N, waits until all N have booted, lets
//    scripted sessions run, samples RSS, and fits MB per additional simulated charge point.
//
// Needs the built CLI: `npm run build -w @charge-it/edge-runtime` (done automatically if missing).
// Linux only (RSS from /proc/<pid>/status). Loopback only.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './cli-args.mjs';
import ocppRpc from 'ocpp-rpc';

const { RPCServer } = ocppRpc;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'packages', 'edge-runtime');
const cli = join(pkgDir, 'dist', 'cli.js');

const { values } = parseBenchArgs(import.meta.url, {
  counts: { type: 'string', default: '1,10,100' },
  settle: { type: 'string', default: '5' },
  sample: { type: 'string', default: '5' },
});
const counts = values.counts.split(',').map((n) => Number.parseInt(n, 10)).filter((n) => n > 0);
const settleS = Number(values.settle);
const sampleS = Number(values.sample);

if (!existsSync(cli)) {
  console.error('building @charge-it/edge-runtime (dist/cli.js missing)…');
  const r = spawnSync('npx', ['tsup'], { cwd: pkgDir, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}

// --- a scripted central system: accepts everything, counts boots per identity -------------------
const booted = new Set();
let nextTx = 1;
const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: false });
server.auth((accept) => accept());
server.on('client', (client) => {
  const now = () => new Date().toISOString();
  client.handle('BootNotification', () => {
    booted.add(client.identity);
    return { status: 'Accepted', currentTime: now(), interval: 300 };
  });
  client.handle('Heartbeat', () => ({ currentTime: now() }));
  client.handle('StatusNotification', () => ({}));
  client.handle('Authorize', () => ({ idTagInfo: { status: 'Accepted' } }));
  client.handle('StartTransaction', () => ({ transactionId: nextTx++, idTagInfo: { status: 'Accepted' } }));
  client.handle('StopTransaction', () => ({ idTagInfo: { status: 'Accepted' } }));
  client.handle('MeterValues', () => ({}));
  client.handle('DataTransfer', () => ({ status: 'Accepted' }));
  client.handle('DiagnosticsStatusNotification', () => ({}));
  client.handle('FirmwareStatusNotification', () => ({}));
});
const http = await server.listen(0, '127.0.0.1');
const csmsUrl = `ws://127.0.0.1:${http.address().port}/ocpp`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Samples RSS every 250 ms for `seconds`; returns the median and the max. */
async function sampleRss(pid, seconds) {
  const samples = [];
  for (let i = 0; i < Math.max(1, Math.round(seconds * 4)); i++) {
    samples.push(await rssMb(pid));
    await sleep(250);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], max: samples[samples.length - 1] };
}

async function waitFor(predicate, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (predicate()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The V8 flags the systemd unit runs the edge with (deploy/charge-it-edge.service). */
const SMALL_FLAGS = ['--lite-mode', '--max-semi-space-size=1', '--v8-pool-size=0'];

function start(args, nodeFlags = []) {
  const child = spawn(process.execPath, [...nodeFlags, cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}

async function stop(proc) {
  proc.child.kill('SIGTERM');
  const code = await Promise.race([proc.exited, sleep(20_000).then(() => 'timeout')]);
  if (code === 'timeout') proc.child.kill('SIGKILL');
  return code;
}

const work = await mkdtemp(join(tmpdir(), 'charge-it-edge-bench-'));
const results = { node: process.version, arch: process.arch };
try {
  // --- reference: an empty Node process on this machine -------------------------------------
  const bare = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  await sleep(1000);
  results.bareNodeRssMb = round((await sampleRss(bare.pid, 1)).median);
  bare.kill('SIGKILL');

  // --- one edge process ---------------------------------------------------------------------
  const config = {
    identity: 'BENCH-EDGE-1',
    csmsUrl,
    dataDir: join(work, 'edge'),
    connectors: [{ maxPowerW: 7400, meter: { kind: 'simulated', maxPowerW: 7400 } }],
    logLevel: 'warn',
  };
  const configPath = join(work, 'edge.json');
  await writeFile(configPath, JSON.stringify(config));
  const edge = start(['--config', configPath]);
  await waitFor(() => booted.has('BENCH-EDGE-1'), 30_000, 'the edge process to boot').catch((err) => {
    throw new Error(`${err.message}\n${edge.stderr()}`);
  });
  await sleep(settleS * 1000);
  const one = await sampleRss(edge.child.pid, sampleS);
  const edgeExit = await stop(edge);
  results.oneChargePoint = { rssMb: round(one.median), rssMaxMb: round(one.max), exitCode: edgeExit };

  // --- the same with the systemd unit's small-footprint flags ---------------------------------
  // A new identity and data folder: the first one would reconnect without a new BootNotification.
  const smallConfigPath = join(work, 'edge-small.json');
  await writeFile(smallConfigPath, JSON.stringify({ ...config, identity: 'BENCH-EDGE-2', dataDir: join(work, 'edge-small') }));
  const small = start(['--config', smallConfigPath], SMALL_FLAGS);
  await waitFor(() => booted.has('BENCH-EDGE-2'), 30_000, 'the edge process (small flags) to boot').catch((err) => {
    throw new Error(`${err.message}\n${small.stderr()}`);
  });
  await sleep(settleS * 1000);
  const oneSmall = await sampleRss(small.child.pid, sampleS);
  results.oneChargePointSmallFlags = { flags: SMALL_FLAGS.join(' '), rssMb: round(oneSmall.median), rssMaxMb: round(oneSmall.max), exitCode: await stop(small) };

  // --- the simulator with N charge points ----------------------------------------------------
  results.simulator = [];
  for (const n of counts) {
    booted.clear();
    const prefix = `B${n}-`;
    const sim = start([
      'simulate', '--csms', csmsUrl, '--count', String(n), '--prefix', prefix, '--sessions', 'scripted',
      '--session-seconds', '5', '--spread-ms', '5', '--log-level', 'silent',
      '--data-dir', join(work, `sim-${n}`),
    ]);
    await waitFor(() => [...booted].filter((id) => id.startsWith(prefix)).length >= n, 60_000 + n * 200, `${n} simulated charge points to boot`).catch(
      (err) => {
        throw new Error(`${err.message}\n${sim.stderr()}`);
      },
    );
    await sleep(settleS * 1000); // sessions start, meters sample
    const r = await sampleRss(sim.child.pid, sampleS);
    const code = await stop(sim);
    results.simulator.push({ count: n, rssMb: round(r.median), rssMaxMb: round(r.max), exitCode: code });
  }
  if (results.simulator.length >= 2) {
    // Least-squares slope of RSS over the number of charge points: single samples are noisy (GC).
    const pts = results.simulator;
    const mx = pts.reduce((a, p) => a + p.count, 0) / pts.length;
    const my = pts.reduce((a, p) => a + p.rssMb, 0) / pts.length;
    const slope = pts.reduce((a, p) => a + (p.count - mx) * (p.rssMb - my), 0) / pts.reduce((a, p) => a + (p.count - mx) ** 2, 0);
    results.mbPerAdditionalSimulatedCp = round(slope, 3);
  }
} finally {
  await server.close({ force: true }).catch(() => {});
  await rm(work, { recursive: true, force: true });
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

console.log(`edge footprint (node ${results.node}, ${results.arch})`);
console.log(`  empty node process (reference): RSS ${results.bareNodeRssMb} MB`);
console.log(`  one charge point process: RSS ${results.oneChargePoint.rssMb} MB (max ${results.oneChargePoint.rssMaxMb} MB; target <= 60 MB)`);
console.log(`  one charge point process with ${results.oneChargePointSmallFlags.flags} (systemd unit): RSS ${results.oneChargePointSmallFlags.rssMb} MB (max ${results.oneChargePointSmallFlags.rssMaxMb} MB; target <= 60 MB)`);
for (const s of results.simulator) console.log(`  simulator, ${String(s.count).padStart(4)} CPs: RSS ${s.rssMb} MB (max ${s.rssMaxMb} MB)`);
if (results.mbPerAdditionalSimulatedCp !== undefined) console.log(`  per additional simulated CP: ${results.mbPerAdditionalSimulatedCp} MB`);
console.log(JSON.stringify(results));

#!/usr/bin/env node
// Throughput, latency and memory of the Charge-IT CSMS next to a bare ocpp-rpc server, in one run.
//
//   npm run build && node bench/core-throughput.mjs [options]
//
// (a) MeterValues flood: N charge points (default 100 and 1,000), each an ocpp-rpc RPCClient that
//     connects, boots, starts a transaction and then sends MeterValues back-to-back (one call in
//     flight per charge point) for --duration seconds after --warmup seconds.
// (b) Heartbeats: --hb-count charge points (default 10,000) connected and booted, sending
//     Heartbeats paced to --hb-rate calls/s in total (default 2,000) for --duration seconds.
// Each against: a bare ocpp-rpc RPCServer in strict mode (schemas checked both ways; no database), the Charge-IT
// CSMS on SQLite (temp file), and the Charge-IT CSMS on MariaDB (a fresh database on
// --mariadb-url; skipped with a note when unreachable). Every run gets a fresh server process
// (bench/core-throughput-server.mjs) and a fresh database, so RSS is the server's alone.
//
// Options (all optional):
//   --duration 10          measured seconds per run          --warmup 2        seconds not measured
//   --flood 100,1000       charge point counts for (a)       --sampled-values 1  sampled values per MeterValues
//   --hb-count 10000       charge points for (b)             --hb-rate 2000    Heartbeats per second, total
//   --targets bare,sqlite,mariadb                            --phases flood,heartbeat
//   --mariadb-url mysql://root@127.0.0.1:3306               (env CHARGE_IT_BENCH_MARIADB_URL; the
//                          database part is ignored: a fresh charge_it_test_bench_* database is made and dropped)
//   --connect-concurrency 200   --log-level warn   --json results.json
//   --server-cpu 0         pin each server process to that CPU (taskset); run the generator with `taskset -c 1`
//   --profile <dir>        run every server with --cpu-prof, profiles written to <dir> (open in Chrome DevTools)
//   --interleave N         flood only: all servers up at once, the flood goes to one at a time in N
//                          rounds of --duration s; reports the median and range of the per-round
//                          ratios (the VM's speed drifts too much for ratios of runs minutes apart)
//   --baseline-core <dist/index.js>  with --interleave: every charge-it target also runs on this other
//                          build of the core, in the same rounds (before/after of a change)
//   --node-flags "<flags>" node flags for every server process, the bare one included (e.g. the
//                          SPKLU app's --experimental-async-context-frame); write it --node-flags=…
//   --baseline-node-flags "<flags>"  with --interleave: the baseline servers also get these node
//                          flags (e.g. --experimental-async-context-frame); without --baseline-core
//                          the baseline is the same build, so only the flags differ
//   --baseline-env K=V,...  with --interleave: the baseline servers also get these environment
//                          variables (e.g. CHARGE_IT_PERSISTENCE_BATCH_DELAY_MS=1)
//   --client rpc           rpc: ocpp-rpc RPCClient per charge point (default); ws: a minimal OCPP-J
//                          client on a bare ws socket, ~5× cheaper for the generator, so that the
//                          generator's own CPU and GC pauses weigh less in the figures
// Linux only (RSS and CPU from /proc). Loopback only.
import { fork, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './cli-args.mjs';
import { freshMariaDbDatabase } from './fresh-mariadb.mjs';
import ocppRpc from 'ocpp-rpc';
import { WebSocket } from 'ws';

const { RPCClient } = ocppRpc;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverScript = join(root, 'bench', 'core-throughput-server.mjs');
const coreDist = process.env.CHARGE_IT_BENCH_CORE ?? join(root, 'packages', 'core', 'dist', 'index.js');

// Thousands of client sockets from 127.0.0.2-40 are open when a module is loaded lazily (the SQLite
// driver for the stored counts): a library that calls process.report.getReport() to detect the C
// library then has Node resolve every socket's address by reverse DNS, 5 s per address without an
// answering DNS server, which looked like a hang after the storm. The report needs no sockets.
process.report.excludeNetwork = true;

const { values: args } = parseBenchArgs(import.meta.url, {
  duration: { type: 'string', default: '10' },
  warmup: { type: 'string', default: '2' },
  flood: { type: 'string', default: '100,1000' },
  'sampled-values': { type: 'string', default: '1' },
  'hb-count': { type: 'string', default: '10000' },
  'hb-rate': { type: 'string', default: '2000' },
  targets: { type: 'string', default: 'bare,sqlite,mariadb' },
  phases: { type: 'string', default: 'flood,heartbeat' },
  'mariadb-url': { type: 'string', default: process.env.CHARGE_IT_BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306' },
  'connect-concurrency': { type: 'string', default: '200' },
  'log-level': { type: 'string', default: 'warn' },
  client: { type: 'string', default: 'rpc' },
  profile: { type: 'string' },
  'server-cpu': { type: 'string' },
  json: { type: 'string' },
  interleave: { type: 'string' },
  'baseline-core': { type: 'string' },
  'node-flags': { type: 'string' },
  'baseline-node-flags': { type: 'string' },
  'baseline-env': { type: 'string' },
});

const durationS = positive('duration');
const warmupS = Number(args.warmup);
const floodCounts = args.flood.split(',').map(Number).filter((n) => n > 0);
const sampledValues = positive('sampled-values');
const hbCount = positive('hb-count');
const hbRate = positive('hb-rate');
const connectConcurrency = positive('connect-concurrency');
const targets = args.targets.split(',').map((t) => t.trim());
if (!['rpc', 'ws'].includes(args.client)) {
  console.error(`--client must be rpc or ws; got ${JSON.stringify(args.client)}`);
  process.exit(2);
}
const phases = args.phases.split(',').map((p) => p.trim());
const interleave = args.interleave === undefined ? 0 : positive('interleave');
const serverFlags = args['node-flags']?.split(/\s+/).filter(Boolean) ?? [];
const baselineFlags = args['baseline-node-flags']?.split(/\s+/).filter(Boolean) ?? [];
const baselineEnv = Object.fromEntries(
  (args['baseline-env'] ?? '').split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
/** A baseline variant of every charge-it target runs: another build, other node flags or settings. */
const hasBaseline = args['baseline-core'] !== undefined || baselineFlags.length > 0 || Object.keys(baselineEnv).length > 0;
if (hasBaseline && interleave === 0) {
  console.error('--baseline-core, --baseline-node-flags and --baseline-env need --interleave: two variants are only comparable in the same rounds');
  process.exit(2);
}
if (interleave > 0 && !targets.includes('bare')) {
  console.error('--interleave compares each target with the bare server round by round: include bare in --targets');
  process.exit(2);
}
const BENCH_ID_TAG = 'BENCH-1';
/** Suffix of a target's baseline variant (--baseline-core, --baseline-node-flags, --baseline-env). */
const BASELINE = '~baseline';
const databaseOf = (target) => target.replace(BASELINE, '');
/** Client source addresses: 127.0.0.1-40, so 10,000+ connections never run out of ephemeral ports. */
const SOURCE_ADDRESSES = Array.from({ length: 40 }, (_, i) => `127.0.0.${i + 1}`);
const CALL_TIMEOUT_MS = 30_000;

function positive(name) {
  const n = Number(args[name]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number; got ${JSON.stringify(args[name])}`);
    process.exit(2);
  }
  return n;
}

// ---- file descriptors: 10,000 sockets need a raised limit ------------------------------------
function openFileLimits() {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line.trim().split(/\s+/).slice(3, 5).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return { soft, hard };
}
const needFds = Math.max(hbCount, ...floodCounts, 0) + 1_000;
const limits = openFileLimits();
if (limits.soft < needFds) {
  if (limits.hard >= needFds && !process.env.CHARGE_IT_BENCH_REEXEC) {
    // Node cannot raise its own limit: re-run through the shell with `ulimit -n` (children inherit it).
    const raised = Number.isFinite(limits.hard) ? limits.hard : needFds;
    const quoted = [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
    const result = spawnSync('/bin/sh', ['-c', `ulimit -n ${raised} && exec ${quoted.join(' ')}`], {
      stdio: 'inherit',
      env: { ...process.env, CHARGE_IT_BENCH_REEXEC: '1' },
    });
    process.exit(result.status ?? 1);
  }
  console.error(`open file limit is ${limits.soft} (hard ${limits.hard}); ${needFds} are needed for ${hbCount} connections. Raise it (ulimit -n ${needFds}) or lower --hb-count.`);
  process.exit(2);
}

if (!existsSync(coreDist) && targets.some((t) => t !== 'bare')) {
  console.error(`${coreDist} is missing: run \`npm run build\` first.`);
  process.exit(2);
}

// ---- server processes -------------------------------------------------------------------------
/** Starts a fresh server process; resolves once it listens. */
async function startServer(kind, databaseUrl, { core, nodeFlags = [], env = {} } = {}) {
  const child = fork(serverScript, kind === 'bare' ? ['bare'] : ['charge-it', databaseUrl, args['log-level']], {
    env: { ...process.env, ...env, ...(core ? { CHARGE_IT_BENCH_CORE: core } : {}) },
    execArgv: ['--expose-gc', ...serverFlags, ...nodeFlags, ...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`, `--cpu-prof-name=${kind}-${databaseUrl.split(':')[0] || 'bare'}-${Date.now()}.cpuprofile`] : [])],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  // --server-cpu 0: pin the server to that CPU (run the generator itself under `taskset -c 1`).
  if (args['server-cpu'] !== undefined) spawnSync('taskset', ['-cp', args['server-cpu'], String(child.pid)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = await Promise.race([
    new Promise((resolve) => child.once('message', resolve)),
    exited.then(({ code, signal }) => {
      throw new Error(`server (${kind}) exited during start-up (code ${code}, signal ${signal})`);
    }),
    sleep(60_000).then(() => {
      throw new Error(`server (${kind}) did not start within 60 s`);
    }),
  ]);
  const request = (message, replyType) =>
    new Promise((resolve, reject) => {
      const onMessage = (reply) => {
        if (reply?.type !== replyType) return;
        child.off('message', onMessage);
        clearTimeout(timer);
        resolve(reply);
      };
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`server (${kind}) did not answer ${message.type} within 30 s`));
      }, 30_000);
      child.on('message', onMessage);
      child.send(message);
    });
  return {
    kind,
    pid: child.pid,
    port: ready.port,
    /** RSS after a full GC: the memory the server really holds, without garbage not yet collected. */
    rssAfterGc: async () => (await request({ type: 'rss', gc: true }, 'rss')).rss,
    /** Sampled values stored per measurand (`{ measurand: count }`), null when not stored on purpose. */
    stored: async () => (await request({ type: 'stored' }, 'stored')).stored,
    /** Group-commit batches so far (`{ count, works, seconds }`), null for the bare server. */
    batches: async () => (await request({ type: 'batches' }, 'batches')).batches,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await Promise.race([request({ type: 'stop' }, 'stopped').catch(() => undefined), sleep(30_000)]);
        const gone = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
        if (!gone) child.kill('SIGKILL');
      }
    },
  };
}

/** VmRSS of a process in bytes (sampled from outside, so it works while the server is busy). */
function rssOf(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** CPU seconds (user + system) a process has used. */
function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Samples the server's RSS every 250 ms; `stop()` returns the peak. */
function watchRss(pid) {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      /* the process is gone; keep the last peak */
    }
  }, 250);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

// ---- databases ----------------------------------------------------------------------------------
/** A fresh database for one run: a temp SQLite file, or a new MariaDB database dropped afterwards. */
async function freshDatabase(targetName) {
  const target = databaseOf(targetName);
  if (target === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'charge-it-bench-'));
    return { url: `sqlite:${join(dir, 'bench.db')}`, dispose: () => rm(dir, { recursive: true, force: true }) };
  }
  if (target === 'mariadb') return freshMariaDbDatabase(args['mariadb-url']);
  return { url: '', dispose: async () => undefined };
}

async function mariadbReachable() {
  try {
    const mysql = await import('mysql2/promise');
    const server = new URL(args['mariadb-url']);
    const conn = await mysql.createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username) || 'root',
      password: decodeURIComponent(server.password),
      connectTimeout: 3_000,
    });
    const [rows] = await conn.query('select version() as v');
    await conn.end();
    return { ok: true, version: rows[0].v };
  } catch (err) {
    return { ok: false, why: err.message };
  }
}

// ---- charge points --------------------------------------------------------------------------------
/**
 * The smallest OCPP-J 1.6 caller that measures the same thing as RPCClient: one websocket with the
 * `ocpp1.6` subprotocol, CALL frames out, CALLRESULT/CALLERROR frames matched by message id. No
 * validation, no queue, no reconnects. Same interface as the part of RPCClient used here.
 */
class RawOcppClient {
  #url;
  #options;
  #ws;
  #seq = 0;
  #pending = new Map();

  constructor(url, options) {
    this.#url = url;
    this.#options = options;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.#url, ['ocpp1.6'], { ...this.#options, perMessageDeflate: false });
      this.#ws = ws;
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} at the handshake`)));
      ws.on('message', (data) => this.#onMessage(data));
      ws.once('close', () => {
        for (const { reject: fail, timer } of this.#pending.values()) {
          clearTimeout(timer);
          fail(new Error('connection closed'));
        }
        this.#pending.clear();
      });
    });
  }

  call(action, payload) {
    return new Promise((resolve, reject) => {
      const id = String(++this.#seq);
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${action} timed out after ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      this.#ws.send(JSON.stringify([2, id, action, payload]));
    });
  }

  #onMessage(data) {
    const [type, id, a, b] = JSON.parse(data.toString());
    if (type === 2) {
      // A call from the central system: answer like a charger without that feature (and like
      // RPCClient without a handler), rather than leaving the server waiting for its timeout.
      this.#ws.send(JSON.stringify([4, id, 'NotImplemented', `${a} is not implemented by this bench client`, {}]));
      return;
    }
    const pending = this.#pending.get(id);
    if (!pending || (type !== 3 && type !== 4)) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (type === 3) pending.resolve(a);
    else pending.reject(new Error(`CALLERROR ${a}: ${b}`));
  }

  async close() {
    this.#ws?.terminate();
  }
}

function newClient(port, identity, index) {
  const localAddress = SOURCE_ADDRESSES[index % SOURCE_ADDRESSES.length];
  if (args.client === 'ws') {
    return new RawOcppClient(`ws://127.0.0.1:${port}/ocpp/${encodeURIComponent(identity)}`, { localAddress, handshakeTimeout: 30_000 });
  }
  return new RPCClient({
    endpoint: `ws://127.0.0.1:${port}/ocpp`,
    identity,
    protocols: ['ocpp1.6'],
    strictMode: false, // the generator must not spend its CPU validating; the server does
    reconnect: false,
    pingIntervalMs: 0, // only the measured traffic on the wire
    callTimeoutMs: CALL_TIMEOUT_MS,
    wsOpts: { localAddress, handshakeTimeout: 30_000 },
  });
}

/** Runs `task(i)` for i in [0, count) with at most `limit` at a time. */
async function pool(count, limit, task) {
  let next = 0;
  const errors = [];
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return errors;
}

/** Connects and boots `count` charge points; with `startTransaction`, each also starts one. */
async function connectChargePoints(server, count, prefix, { startTransaction }) {
  const chargePoints = new Array(count);
  const started = performance.now();
  const errors = await pool(count, connectConcurrency, async (i) => {
    const client = newClient(server.port, `${prefix}-${String(i).padStart(5, '0')}`, i);
    await client.connect();
    chargePoints[i] = { client, transactionId: undefined };
    await client.call('BootNotification', { chargePointVendor: 'Charge-IT', chargePointModel: 'Bench' });
    if (startTransaction) {
      const answer = await client.call('StartTransaction', { connectorId: 1, idTag: BENCH_ID_TAG, meterStart: 0, timestamp: new Date().toISOString() });
      chargePoints[i].transactionId = answer.transactionId;
    }
  });
  return {
    chargePoints: chargePoints.filter(Boolean),
    connectSeconds: (performance.now() - started) / 1000,
    errors,
  };
}

async function closeChargePoints(chargePoints) {
  await pool(chargePoints.length, 500, (i) => chargePoints[i].client.close({ code: 1000, force: true }));
}

function meterValuesPayload(transactionId, energyWh) {
  const timestamp = new Date().toISOString();
  const extra = [
    { measurand: 'Power.Active.Import', unit: 'W', value: '7200' },
    { measurand: 'Current.Import', unit: 'A', value: '32.0' },
    { measurand: 'Voltage', unit: 'V', value: '229.8' },
    { measurand: 'SoC', unit: 'Percent', value: '54' },
    { measurand: 'Temperature', unit: 'Celsius', value: '31.5' },
  ];
  const sampledValue = [{ value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' }];
  for (let i = 0; i < sampledValues - 1; i++) sampledValue.push({ ...extra[i % extra.length], context: 'Sample.Periodic' });
  return { connectorId: 1, ...(transactionId !== undefined ? { transactionId } : {}), meterValue: [{ timestamp, sampledValue }] };
}

// ---- statistics -------------------------------------------------------------------------------------
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

const MB = 1024 * 1024;
const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- (a) MeterValues flood ------------------------------------------------------------------------
/** A fresh database and server for `target`, with `count` charge points connected, booted and in a transaction. */
async function floodSetup(target, count) {
  const db = await freshDatabase(target);
  const server = await startServer(target === 'bare' ? 'bare' : 'charge-it', db.url, target.endsWith(BASELINE) ? { core: args['baseline-core'], nodeFlags: baselineFlags, env: baselineEnv } : {});
  try {
    const rssIdle = await server.rssAfterGc();
    const { chargePoints, errors: connectErrors, connectSeconds } = await connectChargePoints(server, count, `FLOOD-${target.replace(BASELINE, '-baseline')}`, { startTransaction: true });
    if (connectErrors.length > 0) console.warn(`  ${connectErrors.length} of ${count} charge points failed to connect/boot/start: ${connectErrors[0].message}`);
    const rssConnected = await server.rssAfterGc();
    return { target, count, db, server, chargePoints, rssIdle, rssConnected, connectSeconds, energyWh: new Map(), acked: 0, errors: 0 };
  } catch (err) {
    await server.stop();
    await db.dispose();
    throw err;
  }
}

async function floodTeardown(setup) {
  if (setup.target !== 'bare') await checkStored(setup);
  await closeChargePoints(setup.chargePoints);
  await setup.server.stop();
  await setup.db.dispose();
}

/**
 * A fast server that loses writes is no result: every sampled value of every acknowledged
 * MeterValues must be in meter_sample, under its measurand. (A call that failed on our side may
 * still have been stored, so with errors the count may be higher.)
 */
async function checkStored(setup) {
  const stored = await setup.server.stored();
  if (stored === null) return; // CHARGE_IT_BENCH_STORE_NOTHING
  const expected = setup.acked * sampledValues;
  const total = Object.values(stored).reduce((sum, n) => sum + n, 0);
  const perMeasurand = Object.entries(stored).map(([measurand, n]) => `${measurand} ${n}`).join(', ');
  const ok = total === expected || (setup.errors > 0 && total >= expected);
  storedChecks.push(`  ${ok ? 'ALL' : 'WRONG'}  ${label(setup.target)} × ${setup.count}: ${total} sampled values stored for ${setup.acked} acknowledged MeterValues × ${sampledValues} (${perMeasurand})`);
  if (!ok) process.exitCode = 1;
}
/** The lines of `checkStored`, printed after the tables. */
const storedChecks = [];

/** Every charge point of `setup` sends MeterValues back-to-back for `warmS` + `measureS` seconds; the last `measureS` are measured. */
async function floodMeasure(setup, warmS, measureS) {
  const { server, chargePoints } = setup;
  const latencies = [];
  let errors = 0;
  let firstError;
  const startAt = performance.now();
  const measureFrom = startAt + warmS * 1000;
  const stopAt = measureFrom + measureS * 1000;
  let cpuFrom;
  let genCpuFrom;
  let batchesFrom;
  const stopWatch = watchRss(server.pid);
  const startMeasuring = () => {
    cpuFrom = cpuSecondsOf(server.pid);
    genCpuFrom = process.cpuUsage();
    batchesFrom = server.batches();
  };
  if (warmS > 0) setTimeout(startMeasuring, warmS * 1000);
  else startMeasuring();
  await Promise.all(
    chargePoints.map(async (cp) => {
      let energyWh = setup.energyWh.get(cp) ?? 0;
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        try {
          await cp.client.call('MeterValues', meterValuesPayload(cp.transactionId, (energyWh += 10)));
          setup.acked++;
          const t1 = performance.now();
          if (t0 >= measureFrom && t1 <= stopAt) latencies.push(t1 - t0);
        } catch (err) {
          errors++;
          firstError ??= err;
          await sleep(50);
        }
      }
      setup.energyWh.set(cp, energyWh);
    }),
  );
  const serverCpu = (cpuSecondsOf(server.pid) - cpuFrom) / measureS;
  const genCpuUsage = process.cpuUsage(genCpuFrom);
  const genCpu = (genCpuUsage.user + genCpuUsage.system) / 1e6 / measureS;
  const rssPeak = stopWatch();
  const [batchesStart, batchesEnd] = await Promise.all([batchesFrom, server.batches()]);
  const batchCount = batchesEnd ? batchesEnd.count - batchesStart.count : NaN;
  if (firstError) console.warn(`  ${errors} MeterValues calls failed; first: ${firstError.message}`);
  setup.errors += errors;
  const stats = summarize(latencies);
  return {
    phase: 'flood',
    target: setup.target,
    chargePoints: chargePoints.length,
    connectSeconds: setup.connectSeconds,
    msgsPerSecond: stats.count / measureS,
    p50Ms: stats.p50,
    p99Ms: stats.p99,
    maxMs: stats.max,
    errors,
    rssIdleMB: setup.rssIdle / MB,
    rssConnectedMB: setup.rssConnected / MB,
    rssPeakMB: rssPeak / MB,
    serverCpuPercent: serverCpu * 100,
    generatorCpuPercent: genCpu * 100,
    batchesPerSecond: batchCount / measureS,
    worksPerBatch: batchesEnd ? (batchesEnd.works - batchesStart.works) / batchCount : NaN,
    batchMs: batchesEnd ? ((batchesEnd.seconds - batchesStart.seconds) * 1000) / batchCount : NaN,
  };
}

async function floodRun(target, count) {
  const setup = await floodSetup(target, count);
  try {
    return await floodMeasure(setup, warmupS, durationS);
  } finally {
    await floodTeardown(setup);
  }
}

/**
 * --interleave N: every target's server runs at once (idle but for its turn) and the flood goes
 * to one target at a time, in N rounds of --duration seconds each. This VM's speed swings by up to
 * 2× within minutes, so a ratio is only meaningful between runs seconds apart: each round gives
 * one ratio per target against the bare server of the same round, and the report shows their
 * median and range.
 */
async function floodInterleaved(targetsToRun, count, rounds) {
  const setups = [];
  try {
    for (const target of targetsToRun) setups.push(await floodSetup(target, count));
    // One unmeasured pass of --warmup seconds each first (JIT, connection buffers, caches).
    for (const setup of setups) await floodMeasure(setup, 0, Math.max(warmupS, 1));
    const perRound = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order, so that no target always runs right after the same one.
      const order = round % 2 === 0 ? setups : [...setups].reverse();
      const results = [];
      for (const setup of order) results.push(await floodMeasure(setup, Math.min(warmupS, 1), durationS));
      perRound.push(results);
      const bare = results.find((r) => r.target === 'bare');
      console.log(
        `  round ${round + 1}: ${results.map((r) => `${label(r.target)} ${fmt(r.msgsPerSecond, 0)}${bare && r !== bare ? ` (${fmt((100 * r.msgsPerSecond) / bare.msgsPerSecond)} %)` : ''}`).join(', ')}`,
      );
    }
    return perRound;
  } finally {
    for (const setup of setups) await floodTeardown(setup);
  }
}

// ---- (b) paced Heartbeats over many connections ---------------------------------------------------
async function heartbeatRun(target) {
  const db = await freshDatabase(target);
  const server = await startServer(target === 'bare' ? 'bare' : 'charge-it', db.url);
  try {
    const rssIdle = await server.rssAfterGc();
    const { chargePoints, errors: connectErrors, connectSeconds } = await connectChargePoints(server, hbCount, `HB-${target}`, { startTransaction: false });
    if (connectErrors.length > 0) console.warn(`  ${connectErrors.length} of ${hbCount} charge points failed to connect/boot: ${connectErrors[0].message}`);
    await sleep(1_000); // let boot-time writes and timers settle before weighing the connections
    const rssConnected = await server.rssAfterGc();

    const latencies = [];
    let sent = 0;
    let answered = 0;
    let errors = 0;
    let firstError;
    let maxLagMs = 0;
    const inFlight = new Set();
    /** Worst latency of the calls sent in each measured second: shows periodic stalls (GC, batch writes). */
    const worstPerSecond = [];
    const stopWatch = watchRss(server.pid);
    const startAt = performance.now();
    const measureFrom = startAt + warmupS * 1000;
    const stopAt = measureFrom + durationS * 1000;
    let cpuFrom;
    let genCpuFrom;
    let next = 0;
    // Paced by the clock, not by answers: every 5 ms, send whatever the rate says is due by now, so
    // a slow server sees a growing backlog (and its latency shows it) instead of a slower sender.
    await new Promise((resolve) => {
      let measuring = false;
      const tick = () => {
        const now = performance.now();
        if (!measuring && now >= measureFrom) {
          measuring = true;
          cpuFrom = cpuSecondsOf(server.pid);
          genCpuFrom = process.cpuUsage();
        }
        if (now >= stopAt) {
          clearInterval(timer);
          resolve();
          return;
        }
        const due = Math.floor(((now - startAt) / 1000) * hbRate);
        if (due - sent > hbRate) maxLagMs = Math.max(maxLagMs, ((due - sent) / hbRate) * 1000);
        while (sent < due) {
          const cp = chargePoints[next];
          next = (next + 1) % chargePoints.length;
          // When the intended send time was: latency is counted from then (no coordinated omission).
          const intended = startAt + (sent / hbRate) * 1000;
          sent++;
          const call = cp.client.call('Heartbeat', {}).then(
            () => {
              const t1 = performance.now();
              answered++;
              if (intended >= measureFrom && t1 <= stopAt) {
                latencies.push(t1 - intended);
                const second = Math.floor((intended - measureFrom) / 1000);
                worstPerSecond[second] = Math.max(worstPerSecond[second] ?? 0, t1 - intended);
              }
            },
            (err) => {
              errors++;
              firstError ??= err;
            },
          );
          inFlight.add(call);
          void call.finally(() => inFlight.delete(call));
        }
      };
      const timer = setInterval(tick, 5);
    });
    const measuredS = durationS;
    const serverCpu = (cpuSecondsOf(server.pid) - cpuFrom) / measuredS;
    const genCpuUsage = process.cpuUsage(genCpuFrom);
    const genCpu = (genCpuUsage.user + genCpuUsage.system) / 1e6 / measuredS;
    await Promise.race([Promise.allSettled([...inFlight]), sleep(CALL_TIMEOUT_MS)]);
    const rssPeak = stopWatch();
    if (firstError) console.warn(`  ${errors} Heartbeat calls failed; first: ${firstError.message}`);
    await closeChargePoints(chargePoints);
    const stats = summarize(latencies);
    return {
      phase: 'heartbeat',
      target,
      chargePoints: chargePoints.length,
      connectSeconds,
      sent,
      answered,
      msgsPerSecond: stats.count / measuredS,
      p50Ms: stats.p50,
      p99Ms: stats.p99,
      maxMs: stats.max,
      errors,
      rssIdleMB: rssIdle / MB,
      rssConnectedMB: rssConnected / MB,
      rssPeakMB: rssPeak / MB,
      rssPer1000MB: ((rssConnected - rssIdle) / MB / chargePoints.length) * 1000,
      serverCpuPercent: serverCpu * 100,
      generatorCpuPercent: genCpu * 100,
      maxSenderLagMs: maxLagMs,
      worstMsPerSecond: Array.from(worstPerSecond, (v) => Math.round(v ?? 0)),
    };
  } finally {
    await server.stop();
    await db.dispose();
  }
}

// ---- report -------------------------------------------------------------------------------------------
function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const label = (target) => (target === 'bare' ? 'bare ocpp-rpc' : target.endsWith(BASELINE) ? `charge-it/${databaseOf(target)} (baseline)` : `charge-it/${target}`);
const verdict = (ok) => (ok === undefined ? '' : ok ? 'MEETS' : 'MISSES');

async function main() {
  const plannedTargets = [];
  const notes = [];
  for (const target of targets) {
    if (target === 'mariadb') {
      const reach = await mariadbReachable();
      if (!reach.ok) {
        notes.push(`MariaDB skipped: ${args['mariadb-url']} is unreachable (${reach.why}); set --mariadb-url or CHARGE_IT_BENCH_MARIADB_URL.`);
        continue;
      }
      notes.push(`MariaDB ${reach.version} at ${new URL(args['mariadb-url']).host} (fresh charge_it_test_bench_* database per run)`);
    } else if (!['bare', 'sqlite'].includes(target)) {
      console.error(`unknown target "${target}" (bare, sqlite, mariadb)`);
      process.exit(2);
    }
    plannedTargets.push(target);
    if (target !== 'bare' && hasBaseline) plannedTargets.push(`${target}${BASELINE}`);
  }
  if (hasBaseline) notes.push(`baseline: ${args['baseline-core'] ?? 'this build'}${baselineFlags.length > 0 ? ` with node ${baselineFlags.join(' ')}` : ''}${Object.keys(baselineEnv).length > 0 ? ` with ${args['baseline-env']}` : ''}`);

  console.log(`Charge-IT core throughput — node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 1024 ** 3)} GiB RAM`);
  console.log(`runs: ${durationS} s measured after ${warmupS} s warm-up; server log level ${args['log-level']}; clients: ${args.client === 'ws' ? 'minimal ws OCPP-J client' : 'ocpp-rpc RPCClient'}`);
  if (serverFlags.length > 0) console.log(`node flags of every server process: ${serverFlags.join(' ')}`);
  console.log(`load generator and server share this machine; load average before the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const note of notes) console.log(note);
  console.log('');

  const results = [];
  const interleaved = [];
  if (phases.includes('flood') && interleave > 0) {
    for (const count of floodCounts) {
      console.log(`(a) flood × ${count}, interleaved, ${interleave} rounds of ${durationS} s`);
      interleaved.push({ count, rounds: await floodInterleaved(plannedTargets, count, interleave) });
    }
  } else if (phases.includes('flood')) {
    for (const count of floodCounts) {
      for (const target of plannedTargets) {
        process.stdout.write(`(a) flood ${label(target)} × ${count} … `);
        const r = await floodRun(target, count);
        results.push(r);
        console.log(`${fmt(r.msgsPerSecond, 0)} msgs/s, p99 ${fmt(r.p99Ms)} ms`);
      }
    }
  }
  if (phases.includes('heartbeat')) {
    for (const target of plannedTargets) {
      process.stdout.write(`(b) heartbeats ${label(target)} × ${hbCount} at ${hbRate}/s … `);
      const r = await heartbeatRun(target);
      results.push(r);
      console.log(`${fmt(r.msgsPerSecond, 0)} msgs/s, p99 ${fmt(r.p99Ms)} ms, ${r.chargePoints} connected`);
    }
  }

  const bareOf = (r) => results.find((b) => b.phase === r.phase && b.target === 'bare' && b.chargePoints === r.chargePoints);
  const floods = results.filter((r) => r.phase === 'flood');
  const beats = results.filter((r) => r.phase === 'heartbeat');
  const checks = [];

  if (floods.length > 0) {
    console.log(`\n(a) MeterValues flood — one call in flight per charge point, ${sampledValues} sampled value(s) per message`);
    console.log(
      table(
        ['server', 'CPs', 'msgs/s', '% of bare', 'p50 ms', 'p99 ms', 'errors', 'RSS idle MB', 'RSS peak MB', 'server CPU %', 'gen CPU %', 'batches/s', 'works/batch', 'ms/batch'],
        floods.map((r) => {
          const bare = bareOf(r);
          const ratio = bare && r.target !== 'bare' ? (r.msgsPerSecond / bare.msgsPerSecond) * 100 : NaN;
          if (r.target !== 'bare' && bare) {
            const target = r.target === 'sqlite' ? 50 : 33;
            checks.push([`flood ${r.chargePoints} CPs ${label(r.target)}: ${fmt(ratio)} % of bare (target ≥ ${target} %)`, ratio >= target]);
          }
          return [label(r.target), r.chargePoints, fmt(r.msgsPerSecond, 0), fmt(ratio), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), r.errors, fmt(r.rssIdleMB), fmt(r.rssPeakMB), fmt(r.serverCpuPercent, 0), fmt(r.generatorCpuPercent, 0), fmt(r.batchesPerSecond, 0), fmt(r.worksPerBatch), fmt(r.batchMs, 2)];
        }),
      ),
    );
  }

  for (const { count, rounds } of interleaved) {
    console.log(`\n(a) MeterValues flood, ${count} charge points, ${rounds.length} interleaved rounds of ${durationS} s — median (range) per target`);
    const median = (values) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    };
    const range = (values) => `${fmt(Math.min(...values), 0)}–${fmt(Math.max(...values), 0)}`;
    const rows = plannedTargets.map((target) => {
      const runs = rounds.map((round) => round.find((r) => r.target === target));
      const ratios = rounds.map((round) => (100 * round.find((r) => r.target === target).msgsPerSecond) / round.find((r) => r.target === 'bare').msgsPerSecond);
      const msgs = runs.map((r) => r.msgsPerSecond);
      if (target !== 'bare' && !target.endsWith(BASELINE)) {
        const goal = target === 'sqlite' ? 50 : 33;
        checks.push([`flood ${count} CPs ${label(target)}: median ${fmt(median(ratios))} % of bare over ${rounds.length} rounds, range ${range(ratios)} % (target ≥ ${goal} %)`, median(ratios) >= goal]);
      }
      return [
        label(target),
        fmt(median(msgs), 0),
        range(msgs),
        target === 'bare' ? '–' : fmt(median(ratios)),
        target === 'bare' ? '–' : range(ratios),
        fmt(median(runs.map((r) => r.p99Ms)), 2),
        runs.reduce((n, r) => n + r.errors, 0),
        fmt(median(runs.map((r) => r.serverCpuPercent)), 0),
        fmt(median(runs.map((r) => r.generatorCpuPercent)), 0),
        fmt(median(runs.map((r) => r.worksPerBatch))),
      ];
    });
    console.log(table(['server', 'msgs/s', 'range', '% of bare', 'range %', 'p99 ms', 'errors', 'server CPU %', 'gen CPU %', 'works/batch'], rows));
    for (const round of rounds) results.push(...round);
  }

  if (beats.length > 0) {
    console.log(`\n(b) Heartbeats — ${hbCount} charge points, paced at ${hbRate}/s in total; latency from the intended send time`);
    console.log(
      table(
        ['server', 'connected', 'connect s', 'msgs/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'RSS idle MB', 'RSS connected MB', 'RSS peak MB', 'MB/1000 conns', '× bare', 'server CPU %'],
        beats.map((r) => {
          const bare = bareOf(r) ?? beats.find((b) => b.target === 'bare');
          const ratio = bare && r.target !== 'bare' ? r.rssPer1000MB / bare.rssPer1000MB : NaN;
          if (r.target !== 'bare') {
            checks.push([`heartbeats ${label(r.target)}: p99 ${fmt(r.p99Ms, 2)} ms at ${r.chargePoints} connections (target < 50 ms)`, r.p99Ms < 50 && r.chargePoints >= hbCount]);
            if (bare) checks.push([`heartbeats ${label(r.target)}: ${fmt(r.rssPer1000MB, 2)} MB RSS per 1,000 connections = ${fmt(ratio, 2)}× bare (target ≤ 1.5×)`, ratio <= 1.5]);
          }
          return [label(r.target), r.chargePoints, fmt(r.connectSeconds), fmt(r.msgsPerSecond, 0), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), fmt(r.maxMs, 1), r.errors, fmt(r.rssIdleMB), fmt(r.rssConnectedMB), fmt(r.rssPeakMB), fmt(r.rssPer1000MB, 2), fmt(ratio, 2), fmt(r.serverCpuPercent, 0)];
        }),
      ),
    );
  }

  for (const r of beats) {
    console.log(`  worst latency per second, ${label(r.target)}: ${r.worstMsPerSecond.join(' ')} ms`);
  }

  if (storedChecks.length > 0) {
    console.log('\nEvery acknowledged sampled value stored in meter_sample (counted per measurand at the end of the flood)');
    for (const line of storedChecks) console.log(line);
  }
  if (checks.length > 0) {
    console.log('\nTargets (issue 2)');
    for (const [text, ok] of checks) console.log(`  ${verdict(ok).padEnd(6)}  ${text}`);
  }
  console.log('\nRSS: server process only (MariaDB\'s own memory is not included); "idle" and "connected" are measured after a full GC.');

  if (args.json) {
    await writeFile(args.json, JSON.stringify({ node: process.version, cpus: cpus().length, durationS, warmupS, sampledValues, hbCount, hbRate, notes, results }, null, 2));
    console.log(`results written to ${args.json}`);
  }
}

await main();

#!/usr/bin/env node
// Reconnect storm: every charger of a site reconnecting at once after a restart of the central system.
//
//   npm run build -w @charge-it/core && taskset -c 1 node bench/reconnect-storm.mjs --server-cpu 0 [options]
//
// Charge points open their websocket at --rate per second (handshake timeout --handshake-timeout ms),
// then send BootNotification and StatusNotification (connector 1, Available). Scenarios (--scenarios):
//   auto        fresh database, every charger unknown: auto-registration
//   registered  fresh database with --count chargers registered at security profile 0
//   profile1    the same at profile 1 (Basic auth with the right key)
//   restart     --restart-count registered chargers connected and booted, then the server is killed
//               with SIGKILL and started again on the same database; the chargers reconnect (first
//               try 0-1 s after they lose the socket, then every 1-2 s) and must all be back (booted)
// against --targets bare (ocpp-rpc strict, no database; auto only), sqlite, mariadb.
// Figures: connected / booted / failed (by HTTP status or error), handshake p50/p99/max (from the
// intended start time: a slow generator does not hide latency), Boot p99, Status p99, server CPU.
//
// Options: --count 19900  --rate 1000  --handshake-timeout 10000  --restart-count 2000
//          --scenarios auto,registered,profile1,restart  --targets bare,sqlite,mariadb
//          --source-addresses 1 (1 = every charger behind one NAT address; up to 40: 127.0.0.1-40)
//          --server-cpu 0 (taskset the server)  --profile <dir> (--cpu-prof)  --json <file>
//          --mariadb-url mysql://root@127.0.0.1:3306  --log-level warn
// CHARGE_IT_BENCH_CORE=<path to a dist/index.js> measures another build of the core.
import { fork, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { parseBenchArgs } from './cli-args.mjs';
import { freshMariaDbDatabase } from './fresh-mariadb.mjs';

// Thousands of client sockets from 127.0.0.2-40 are open when a module is loaded lazily (the SQLite
// driver for the stored counts): a library that calls process.report.getReport() to detect the C
// library then has Node resolve every socket's address by reverse DNS, 5 s per address without an
// answering DNS server, which looked like a hang after the storm. The report needs no sockets.
process.report.excludeNetwork = true;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverScript = join(root, 'bench', 'reconnect-storm-server.mjs');
/** Charger i's Basic-auth key in the profile 1 scenario (the server stores its hash). */
const stormKey = (i) => createHash('sha1').update(`storm-${i}`).digest('hex');
const CALL_TIMEOUT_MS = 60_000;

const { values: args } = parseBenchArgs(import.meta.url, {
  count: { type: 'string', default: '19900' },
  rate: { type: 'string', default: '1000' },
  'handshake-timeout': { type: 'string', default: '10000' },
  'restart-count': { type: 'string', default: '2000' },
  scenarios: { type: 'string', default: 'auto,registered,profile1,restart' },
  targets: { type: 'string', default: 'bare,sqlite,mariadb' },
  'source-addresses': { type: 'string', default: '1' },
  'server-cpu': { type: 'string' },
  'mariadb-url': { type: 'string', default: process.env.CHARGE_IT_BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306' },
  'log-level': { type: 'string', default: 'warn' },
  profile: { type: 'string' },
  json: { type: 'string' },
});
const count = Number(args.count);
const rate = Number(args.rate);
const handshakeTimeoutMs = Number(args['handshake-timeout']);
const restartCount = Number(args['restart-count']);
const scenarios = args.scenarios.split(',').map((s) => s.trim());
const targets = args.targets.split(',').map((s) => s.trim());
const sourceAddresses = Array.from({ length: Math.min(40, Math.max(1, Number(args['source-addresses']))) }, (_, i) => `127.0.0.${i + 1}`);

const stormId = (i) => `STORM-${String(i).padStart(5, '0')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- file descriptors --------------------------------------------------------------------------
const limitLine = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
const [softFds, hardFds] = limitLine.trim().split(/\s+/).slice(3, 5).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
const needFds = Math.max(count, restartCount) + 60;
if (softFds < needFds) {
  if (hardFds >= needFds && !process.env.CHARGE_IT_BENCH_REEXEC) {
    const quoted = [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
    const result = spawnSync('/bin/sh', ['-c', `ulimit -n ${Number.isFinite(hardFds) ? hardFds : needFds} && exec ${quoted.join(' ')}`], {
      stdio: 'inherit',
      env: { ...process.env, CHARGE_IT_BENCH_REEXEC: '1' },
    });
    process.exit(result.status ?? 1);
  }
  console.error(`open file limit is ${softFds} (hard ${hardFds}); ${needFds} are needed. Raise it or lower --count.`);
  process.exit(2);
}
const coreDist = process.env.CHARGE_IT_BENCH_CORE ?? join(root, 'packages', 'core', 'dist', 'index.js');
if (!existsSync(coreDist) && targets.some((t) => t !== 'bare')) {
  console.error(`${coreDist} is missing: run \`npm run build -w @charge-it/core\` first.`);
  process.exit(2);
}

// ---- server process ------------------------------------------------------------------------------
async function startServer(kind, databaseUrl = '', seedCount = 0, seedProfile = 0, label = kind) {
  const child = fork(serverScript, kind === 'bare' ? ['bare'] : ['charge-it', databaseUrl, String(seedCount), String(seedProfile), args['log-level']], {
    execArgv: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`, `--cpu-prof-name=storm-${label}-${Date.now()}.cpuprofile`] : [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: process.env,
  });
  if (args['server-cpu'] !== undefined) spawnSync('taskset', ['-cp', args['server-cpu'], String(child.pid)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = await Promise.race([
    new Promise((resolve) => child.once('message', resolve)),
    exited.then(({ code, signal }) => {
      throw new Error(`server (${kind}) exited during start-up (code ${code}, signal ${signal})`);
    }),
  ]);
  return {
    pid: child.pid,
    port: ready.port,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      const gone = await Promise.race([exited.then(() => true), sleep(60_000).then(() => false)]);
      if (!gone) child.kill('SIGKILL');
    },
  };
}

function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function freshDatabase(target) {
  if (target === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'charge-it-storm-'));
    return { url: `sqlite:${join(dir, 'storm.db')}`, dispose: () => rm(dir, { recursive: true, force: true }) };
  }
  if (target === 'mariadb') return freshMariaDbDatabase(args['mariadb-url']);
  return { url: '', dispose: async () => undefined };
}

// ---- one charger ------------------------------------------------------------------------------------
/**
 * Opens the websocket, then Boot + Status. Resolves with the outcome (never rejects):
 * { ok, phase, error, handshakeMs, bootMs, statusMs, ws }.
 */
function chargerSession(port, index, intendedAt, { withKey } = {}) {
  const identity = stormId(index);
  const key = withKey ? stormKey(index) : undefined;
  const headers = key ? { authorization: `Basic ${Buffer.from(`${identity}:${key}`).toString('base64')}` } : {};
  return new Promise((resolve) => {
    const out = { ok: false, phase: 'handshake', error: null, handshakeMs: NaN, bootMs: NaN, statusMs: NaN, ws: null };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/${identity}`, ['ocpp1.6'], {
      headers,
      handshakeTimeout: handshakeTimeoutMs,
      perMessageDeflate: false,
      localAddress: sourceAddresses[index % sourceAddresses.length],
    });
    out.ws = ws;
    let seq = 0;
    const pending = new Map();
    let settled = false;
    const finish = (error) => {
      if (settled) return;
      settled = true;
      out.error = error;
      out.ok = !error;
      if (error) ws.terminate();
      resolve(out);
    };
    const call = (action, payload) =>
      new Promise((res, rej) => {
        const id = String(++seq);
        const timer = setTimeout(() => rej(new Error(`${action} timeout`)), CALL_TIMEOUT_MS);
        pending.set(id, { res, rej, timer });
        ws.send(JSON.stringify([2, id, action, payload]));
      });
    ws.on('message', (data) => {
      const [type, id, a, b] = JSON.parse(data.toString());
      if (type === 2) {
        ws.send(JSON.stringify([4, id, 'NotImplemented', '', {}]));
        return;
      }
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      clearTimeout(p.timer);
      if (type === 3) p.res(a);
      else p.rej(new Error(`CALLERROR ${a} ${b}`));
    });
    ws.once('unexpected-response', (_req, res) => finish(`HTTP ${res.statusCode}`));
    ws.once('error', (err) => finish(/timed out|timeout/i.test(err.message) ? 'handshake timeout' : err.code ?? err.message));
    ws.once('close', () => {
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.rej(new Error('closed'));
      }
      out.closed = true;
      finish(out.ok ? null : `closed during ${out.phase}`);
    });
    ws.once('open', async () => {
      out.handshakeMs = performance.now() - intendedAt;
      try {
        out.phase = 'boot';
        let t = performance.now();
        const boot = await call('BootNotification', { chargePointVendor: 'Storm', chargePointModel: 'Bench' });
        out.bootMs = performance.now() - t;
        if (boot.status !== 'Accepted') throw new Error(`boot ${boot.status}`);
        out.phase = 'status';
        t = performance.now();
        await call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: new Date().toISOString() });
        out.statusMs = performance.now() - t;
        out.phase = 'done';
        finish(null);
      } catch (err) {
        finish(err.message);
      }
    });
  });
}

/** Starts `n` chargers at `rate` per second (paced by the clock); resolves with every outcome. */
async function storm(port, n, { withKey, offset = 0 } = {}) {
  const t0 = performance.now();
  const results = new Array(n);
  const all = [];
  let next = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(n, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      for (; next < due; next++) {
        const i = next;
        all.push(chargerSession(port, offset + i, t0 + (i * 1000) / rate, { withKey }).then((r) => (results[i] = r)));
      }
      if (next >= n) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(all);
  return { results, wallMs: performance.now() - t0 };
}

function pct(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)];
}
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '—');

function summarise(results) {
  const failures = {};
  for (const r of results) if (!r.ok) failures[r.error] = (failures[r.error] ?? 0) + 1;
  const connected = results.filter((r) => Number.isFinite(r.handshakeMs)).length;
  const booted = results.filter((r) => r.ok).length;
  return {
    chargers: results.length,
    connected,
    booted,
    failures,
    handshakeP50: pct(results.map((r) => r.handshakeMs), 50),
    handshakeP99: pct(results.map((r) => r.handshakeMs), 99),
    handshakeMax: pct(results.map((r) => r.handshakeMs), 100),
    bootP99: pct(results.map((r) => r.bootMs), 99),
    statusP99: pct(results.map((r) => r.statusMs), 99),
  };
}

function line(label, s, extra = '') {
  const fails = Object.entries(s.failures).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
  return `${label.padEnd(34)} ${String(s.connected).padStart(6)} connected, ${String(s.booted).padStart(6)} booted of ${s.chargers}; handshake p50 ${ms(s.handshakeP50)} p99 ${ms(s.handshakeP99)} max ${ms(s.handshakeMax)}; Boot p99 ${ms(s.bootP99)}; Status p99 ${ms(s.statusP99)}; failed: ${fails}${extra}`;
}

async function closeAll(results) {
  for (const r of results) r?.ws?.terminate();
  await sleep(500);
}

/** Storm of `n` chargers against a fresh server; returns the summary. */
async function runStorm(target, scenario) {
  const db = await freshDatabase(target);
  const seed = scenario === 'registered' ? count : scenario === 'profile1' ? count : 0;
  const profile = scenario === 'profile1' ? 1 : 0;
  const server = await startServer(target === 'bare' ? 'bare' : 'charge-it', db.url, seed, profile, `${target}-${scenario}`);
  try {
    await sleep(500);
    const cpu0 = server.cpuSeconds();
    const { results, wallMs } = await storm(server.port, count, { withKey: profile > 0 });
    const s = summarise(results);
    s.wallMs = wallMs;
    s.serverCpuS = server.cpuSeconds() - cpu0;
    if (target !== 'bare') s.stored = await storedCounts(target, db.url);
    await closeAll(results);
    return s;
  } finally {
    await server.stop();
    await db.dispose();
  }
}

/** After a storm: charge points, connectors and status events in the database (each charger once). */
async function storedCounts(target, url) {
  const queries = {
    chargePoints: "select count(*) as n from charge_point where id like 'STORM-%'",
    booted: "select count(*) as n from charge_point where id like 'STORM-%' and registration_status = 'Accepted'",
    connectors: "select count(*) as n from connector where connector_id = 1 and status = 'Available'",
    statusEvents: 'select count(*) as n from status_event',
  };
  const out = {};
  if (target === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    for (const [k, q] of Object.entries(queries)) out[k] = Number(db.prepare(q).get().n);
    db.close();
  } else {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection(url);
    for (const [k, q] of Object.entries(queries)) out[k] = Number((await conn.query(q))[0][0].n);
    await conn.end();
  }
  return out;
}

/** Connected and booted chargers, server killed with SIGKILL, restarted: time until all are back. */
async function runRestart(target) {
  const db = await freshDatabase(target);
  let server = await startServer('charge-it', db.url, restartCount, 0, `${target}-restart-a`);
  try {
    const first = await storm(server.port, restartCount);
    const before = summarise(first.results);
    // Every charger reconnects on its own once its socket drops, like real firmware: first try
    // 0-1 s after the drop, then every 1-2 s until it is booted again.
    const back = new Array(restartCount);
    let port = server.port;
    let restartedAt = 0;
    let killedAt = 0;
    const attempts = { total: 0, failed: {} };
    const reconnect = async (i) => {
      await sleep(Math.random() * 1000);
      for (;;) {
        const t = performance.now();
        attempts.total++;
        const r = await chargerSession(port, i, t);
        if (r.ok) {
          back[i] = { ...r, backAtMs: performance.now() - restartedAt };
          return;
        }
        attempts.failed[r.error] = (attempts.failed[r.error] ?? 0) + 1;
        await sleep(1000 + Math.random() * 1000);
        if (performance.now() - killedAt > 120_000) return;
      }
    };
    const reconnects = first.results.map(
      (r, i) =>
        new Promise((resolve) => {
          if (!r.ok) return resolve();
          r.ws.once('close', () => resolve(reconnect(i)));
        }),
    );
    killedAt = performance.now();
    await server.kill9();
    server = await startServer('charge-it', db.url, 0, 0, `${target}-restart-b`);
    port = server.port;
    restartedAt = performance.now();
    const startupMs = restartedAt - killedAt;
    await Promise.all(reconnects);
    const done = back.filter(Boolean);
    const s = {
      before,
      startupMs,
      back: done.length,
      of: restartCount,
      allBackMs: done.length ? Math.max(...done.map((r) => r.backAtMs)) : NaN,
      backP99Ms: pct(done.map((r) => r.backAtMs), 99),
      handshakeP99: pct(done.map((r) => r.handshakeMs), 99),
      attempts,
    };
    s.stored = await storedCounts(target, db.url);
    await closeAll(back);
    return s;
  } finally {
    await server.stop();
    await db.dispose();
  }
}

// ---- main -----------------------------------------------------------------------------------------
console.log(`Reconnect storm — node ${process.version}, ${cpus().length} CPU(s); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(
  `${count} chargers at ${rate}/s, handshake timeout ${handshakeTimeoutMs} ms, ${sourceAddresses.length} source address(es); server CPU ${args['server-cpu'] ?? 'not pinned'}`,
);
const report = { at: new Date().toISOString(), loadavg: loadavg(), count, rate, results: {} };
for (const target of targets) {
  for (const scenario of scenarios) {
    if (target === 'bare' && scenario !== 'auto') continue;
    const label = `${target} ${scenario}`;
    try {
      if (scenario === 'restart') {
        const s = await runRestart(target);
        report.results[label] = s;
        console.log(
          `${label.padEnd(34)} ${line('', s.before).trim()}\n${''.padEnd(34)} after kill -9: server up in ${ms(s.startupMs)}, ${s.back}/${s.of} back and booted, last one ${ms(s.allBackMs)} after the restart (p99 ${ms(s.backP99Ms)}), handshake p99 ${ms(s.handshakeP99)}; ${s.attempts.total} attempts, failed ${JSON.stringify(s.attempts.failed)}; stored ${JSON.stringify(s.stored)}`,
        );
      } else {
        const s = await runStorm(target, scenario);
        report.results[label] = s;
        console.log(line(label, s, `; server CPU ${s.serverCpuS.toFixed(1)} s in ${(s.wallMs / 1000).toFixed(1)} s${s.stored ? `; stored ${JSON.stringify(s.stored)}` : ''}`));
      }
    } catch (err) {
      console.log(`${label}: failed: ${err.stack ?? err}`);
    }
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (args.json) await writeFile(args.json, JSON.stringify(report, null, 2));

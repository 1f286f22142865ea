// Password flood (issue 8 §2): how valid chargers fare while one address floods the OCPP port
// with wrong Basic-auth passwords.
//
//   node bench/auth-flood.mjs [--rate 500] [--seconds 20] [--valid-rate 20] [--chargers 40]
//
// The CSMS (built @charge-it/core, dist) runs in its own process on a fresh SQLite file, with
// `--chargers` security-profile-1 charge points: half with a key an operator typed (scrypt) and
// half with generated keys (salted HMAC-SHA256). From 127.0.0.2 the flood sends `--rate`
// handshakes per second with wrong passwords, spread over the scrypt charge points and unknown
// ids; from 127.0.0.3 the valid chargers connect `--valid-rate` times per second (each a full
// websocket upgrade, then closed). Printed: handshake time of the valid chargers (p50, p99, max;
// cold = first connect of a charger, warm = later ones), refused valid handshakes, the flood's
// answers by status, and the server's memory (RSS, heap) before and after.
// CHARGE_IT_BENCH_CORE=<path to dist/index.js> picks another build.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseBenchArgs } from './cli-args.mjs';

const TYPED_KEY = (i) => `operator typed key number ${i}`;

if (process.argv[2] === '--server') {
  const core = process.env.CHARGE_IT_BENCH_CORE ? pathToFileURL(process.env.CHARGE_IT_BENCH_CORE).href : '@charge-it/core';
  const { createCsms, hashAuthKey, generateAuthKey } = await import(core);
  const { hashGeneratedAuthKey } = await import(core);
  const dir = mkdtempSync(join(tmpdir(), 'auth-flood-'));
  const csms = await createCsms({ port: 0, host: '127.0.0.1', databaseUrl: `sqlite:${join(dir, 'csms.db')}`, logLevel: 'warn', env: {} });
  const count = Number(process.argv[3]);
  const keys = {};
  const conn = csms.orm.em.fork().getConnection();
  for (let i = 0; i < count; i++) {
    const id = `CP-${String(i).padStart(3, '0')}`;
    const typed = i % 2 === 0;
    const key = typed ? TYPED_KEY(i) : generateAuthKey();
    const hash = typed ? await hashAuthKey(key) : hashGeneratedAuthKey(key);
    await conn.execute('insert into charge_point (id, security_profile, auth_key_hash, created_at, updated_at) values (?, 1, ?, ?, ?)', [id, hash, Date.now(), Date.now()], 'run');
    keys[id] = { key, typed };
  }
  const { port } = await csms.listen();
  const memory = () => {
    const m = process.memoryUsage();
    return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 };
  };
  process.send({ type: 'ready', port, keys, memory: memory() });
  process.on('message', async (msg) => {
    if (msg.type === 'memory') {
      globalThis.gc?.();
      process.send({ type: 'memory', memory: memory() });
    }
    if (msg.type === 'stop') {
      await csms.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
} else {
  const { values } = parseBenchArgs(import.meta.url, {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    'valid-rate': { type: 'string', default: '20' },
    chargers: { type: 'string', default: '40' },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const validRate = Number(values['valid-rate']);
  const server = fork(new URL(import.meta.url).pathname, ['--server', values.chargers], { execArgv: ['--expose-gc'] });
  const next = (type) => new Promise((resolve) => server.once('message', (m) => (m.type === type ? resolve(m) : undefined)));
  const ready = await next('ready');
  const { port, keys } = ready;
  const agent = (localAddress) => new http.Agent({ keepAlive: false, maxSockets: Infinity, localAddress });
  const floodAgent = agent('127.0.0.2');
  const validAgent = agent('127.0.0.3');

  const upgrade = (id, password, httpAgent) =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = http.request({
        host: '127.0.0.1', port, path: `/ocpp/${id}`, agent: httpAgent,
        headers: {
          Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': 'ocpp1.6',
          Authorization: `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}`,
        },
      });
      const done = (status) => resolve({ status, ms: performance.now() - started });
      req.on('response', (res) => { res.resume(); done(res.statusCode); });
      req.on('upgrade', (res, socket) => { socket.destroy(); done(res.statusCode); });
      req.on('error', () => done(0));
      req.setTimeout(15_000, () => { req.destroy(); done(-1); });
      req.end();
    });

  globalThis.gc?.();
  server.send({ type: 'memory' });
  const before = (await next('memory')).memory;
  const typedIds = Object.keys(keys).filter((id) => keys[id].typed);
  const allIds = Object.keys(keys);
  const floodResults = [];
  const validResults = [];
  const seen = new Set();
  const start = performance.now();
  const pending = [];
  let sentFlood = 0;
  let sentValid = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - start) / 1000;
      if (elapsed >= seconds) {
        clearInterval(tick);
        resolve();
        return;
      }
      while (sentFlood < elapsed * rate) {
        const i = sentFlood++;
        const id = i % 4 === 3 ? `NOPE-${i}` : typedIds[i % typedIds.length];
        pending.push(upgrade(id, `wrong-${i}`, floodAgent).then((r) => floodResults.push(r)));
      }
      while (sentValid < elapsed * validRate) {
        const id = allIds[sentValid++ % allIds.length];
        const cold = !seen.has(id);
        seen.add(id);
        pending.push(upgrade(id, keys[id].key, validAgent).then((r) => validResults.push({ ...r, cold, typed: keys[id].typed })));
      }
    }, 5);
  });
  await Promise.all(pending);
  server.send({ type: 'memory' });
  const after = (await next('memory')).memory;
  server.send({ type: 'stop' });

  const pct = (xs, p) => (xs.length ? xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);
  const fmt = (xs) => `n=${xs.length} p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  const ok = validResults.filter((r) => r.status === 101);
  const byStatus = {};
  for (const r of floodResults) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  console.log(`flood: ${floodResults.length} handshakes from 127.0.0.2 in ${seconds} s (target ${rate}/s), answers by status: ${JSON.stringify(byStatus)}`);
  console.log(`valid chargers from 127.0.0.3: ${ok.length}/${validResults.length} connected; refused: ${JSON.stringify(validResults.filter((r) => r.status !== 101).map((r) => r.status))}`);
  console.log(`  handshake all:              ${fmt(ok.map((r) => r.ms))}`);
  console.log(`  handshake cold scrypt key:  ${fmt(ok.filter((r) => r.cold && r.typed).map((r) => r.ms))}`);
  console.log(`  handshake cold HMAC key:    ${fmt(ok.filter((r) => r.cold && !r.typed).map((r) => r.ms))}`);
  console.log(`  handshake warm (cached):    ${fmt(ok.filter((r) => !r.cold).map((r) => r.ms))}`);
  console.log(`server memory: RSS ${before.rssMb.toFixed(1)} → ${after.rssMb.toFixed(1)} MB (+${(after.rssMb - before.rssMb).toFixed(1)}), heap ${before.heapMb.toFixed(1)} → ${after.heapMb.toFixed(1)} MB`);
}

#!/usr/bin/env node
// Firebase mirror benchmark: OCPP MeterValues round trips with the mirror off, on (firebase-server
// on loopback) and on with a dead Firebase (accepts TCP, never answers); writes per connector per
// second against live events. Prints figures; asserts nothing.
//   node bench/mirror.mjs [--chargers 20] [--seconds 10] [--interval-ms 200] [--throttle-ms 1000]
// Build first: npm run build -w @charge-it/core -w @charge-it/plugin-firebase
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createTestCsms, FakeChargePoint } from '@charge-it/core/testing';
import { firebaseMirror } from '@charge-it/plugin-firebase';

const { values } = parseArgs({
  options: { chargers: { type: 'string', default: '20' }, seconds: { type: 'string', default: '10' }, 'interval-ms': { type: 'string', default: '200' }, 'throttle-ms': { type: 'string', default: '1000' } },
});
const chargers = Number(values.chargers);
const seconds = Number(values.seconds);
const intervalMs = Number(values['interval-ms']);
const throttleMs = Number(values['throttle-ms']);

const require = createRequire(import.meta.url);
const FirebaseServer = require('firebase-server');

async function firebase() {
  const http = createServer();
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const port = http.address().port;
  const fb = new FirebaseServer({ server: http }, `127.0.0.1:${port}`);
  fb.setAuthSecret('owner');
  return { url: `http://127.0.0.1:${port}?ns=bench`, close: async () => { await fb.close(); http.closeAllConnections(); await new Promise((r) => http.close(r)); } };
}

async function blackhole() {
  const sockets = new Set();
  const server = createTcpServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}?ns=dead`, close: async () => { for (const s of sockets) s.destroy(); await new Promise((r) => server.close(r)); } };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function scenario(name, plugins) {
  const ids = Array.from({ length: chargers }, (_, i) => `CP-${i + 1}`);
  const csms = await createTestCsms({ plugins, idTags: { 'DEMO-123': 'Accepted' }, chargePoints: ids });
  const cps = [];
  for (const id of ids) {
    const cp = new FakeChargePoint({ url: csms.ocppUrlFor(id), identity: id, callTimeoutMs: 30_000 });
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Available');
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: 'DEMO-123', meterStart: 0 });
    await cp.status(1, 'Charging');
    cps.push({ cp, transactionId });
  }
  let liveEvents = 0;
  const unsubscribe = csms.csms.services.get('live').subscribe((e) => { if (e.type === 'connector') liveEvents++; });
  const mirror = csms.csms.services.has('firebaseMirror') ? csms.csms.services.get('firebaseMirror') : null;
  const before = mirror?.stats();
  const rtts = [];
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    cps.map(async ({ cp, transactionId }, i) => {
      let wh = 0;
      await new Promise((r) => setTimeout(r, (i * intervalMs) / chargers));
      while (Date.now() < end) {
        wh += 20;
        const t0 = performance.now();
        await cp.meterValues({ connectorId: 1, transactionId, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [
          { value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
          { value: String(7000 + (wh % 500)), measurand: 'Power.Active.Import', unit: 'W' },
        ] }] });
        rtts.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    }),
  );
  const after = mirror?.stats();
  unsubscribe();
  rtts.sort((a, b) => a - b);
  const line = {
    scenario: name,
    meterValues: rtts.length,
    'rtt p50 ms': pct(rtts, 50).toFixed(1),
    'rtt p95 ms': pct(rtts, 95).toFixed(1),
    'rtt max ms': rtts[rtts.length - 1].toFixed(1),
    'live connector events': liveEvents,
    'firebase states sent': mirror ? after.statesSent - before.statesSent : '-',
    'writes/connector/s': mirror ? ((after.statesSent - before.statesSent) / chargers / seconds).toFixed(2) : '-',
    'acked batches': mirror ? after.batchesAcked - before.batchesAcked : '-',
    'pending+unacked keys at end': mirror ? `${after.pendingKeys}+${after.inFlightKeys}` : '-',
    'heap MB': (process.memoryUsage().heapUsed / 1e6).toFixed(0),
  };
  for (const { cp } of cps) await cp.close().catch(() => {});
  const t0 = performance.now();
  await csms.close();
  line['close ms'] = (performance.now() - t0).toFixed(0);
  return line;
}

console.log(`mirror bench: ${chargers} charge points, MeterValues every ${intervalMs} ms each for ${seconds} s, throttle ${throttleMs} ms`);
const rows = [];
rows.push(await scenario('mirror off', []));
const fb = await firebase();
rows.push(await scenario('mirror → firebase-server', [firebaseMirror({ databaseURL: fb.url, throttleMs, driverPage: false })]));
await fb.close();
const dead = await blackhole();
rows.push(await scenario('mirror → dead Firebase', [firebaseMirror({ databaseURL: dead.url, throttleMs, driverPage: false })]));
await dead.close();
console.table(rows);
process.exit(0);

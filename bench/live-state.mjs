#!/usr/bin/env node
/**
 * Live state figures (prints, never asserts): a CSMS on a temporary SQLite file with N charge points
 * (2 connectors each, a running session on each) driven over real websockets, then
 *   - snapshot(): time per call and JSON size,
 *   - MeterValues round trips per second with 0 and with S live subscribers (one blocked forever),
 *   - restart: time to load the live state from the database.
 *
 *   npm run build -w @charge-it/core && node bench/live-state.mjs [--charge-points 200] [--subscribers 50] [--messages 4000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { 'charge-points': { type: 'string', default: '200' }, subscribers: { type: 'string', default: '50' }, messages: { type: 'string', default: '4000' } },
});
const N = Number(values['charge-points']);
const S = Number(values.subscribers);
const M = Number(values.messages);

const { createTestCsms, FakeChargePoint } = await import('@charge-it/core/testing');
const dir = await mkdtemp(join(tmpdir(), 'charge-it-bench-live-'));
const databaseUrl = `sqlite:${join(dir, 'csms.db')}`;
const ids = Array.from({ length: N }, (_, i) => `BENCH-${String(i).padStart(5, '0')}`);
const start = async () => createTestCsms({ databaseUrl, autoRegister: true, live: { coalesceMs: 1000 }, logLevel: 'silent' });

let server = await start();
await server.csms.services.get('idTags')?.ensure?.([{ idTag: 'BENCH-TAG' }], 'bench').catch(() => {});
const cps = [];
const sessions = [];
for (const id of ids) {
  const cp = new FakeChargePoint({ url: server.ocppUrlFor(id), identity: id, strictMode: false });
  await cp.connect();
  await cp.boot();
  for (const connectorId of [1, 2]) {
    await cp.status(connectorId, 'Charging');
    const { transactionId } = await cp.startTransaction({ connectorId, idTag: 'BENCH-TAG', meterStart: 0 });
    sessions.push({ cp, connectorId, transactionId, wh: 0 });
  }
  cps.push(cp);
}
const live = server.csms.services.get('live');

const meterRound = async (count) => {
  const t0 = performance.now();
  let next = 0;
  // One call in flight per charge point (as a charger does), all charge points at once.
  await Promise.all(
    cps.map(async (_, i) => {
      while (next < count) {
        next++;
        const s = sessions[(i * 2 + (next % 2)) % sessions.length];
        s.wh += 100;
        await s.cp.meterValues({
          connectorId: s.connectorId,
          transactionId: s.transactionId,
          meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [
            { value: String(s.wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
            { value: '7.2', measurand: 'Power.Active.Import', unit: 'kW' },
          ] }],
        });
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
};

await meterRound(Math.min(M, 1000)); // warm-up
const bare = await meterRound(M);
let delivered = 0;
const offs = [live.subscribe(() => new Promise(() => {}))]; // one subscriber that never returns
for (let i = 1; i < S; i++) offs.push(live.subscribe(() => void delivered++));
const withSubs = await meterRound(M);
await new Promise((r) => setTimeout(r, 1200));

const t0 = performance.now();
const rounds = 50;
let json = '';
for (let i = 0; i < rounds; i++) json = JSON.stringify(live.snapshot());
const snapshotMs = (performance.now() - t0) / rounds;
for (const off of offs) off();

for (const cp of cps) await cp.close();
await server.csms.close();
const r0 = performance.now();
server = await start();
const restoreMs = performance.now() - r0;
const restored = server.csms.services.get('live').snapshot().site;
await server.csms.close();
await rm(dir, { recursive: true, force: true });

console.log(`live state, ${N} charge points × 2 connectors, ${sessions.length} running sessions (SQLite)`);
console.log(`  snapshot() + JSON.stringify: ${snapshotMs.toFixed(2)} ms per call, ${(json.length / 1024).toFixed(0)} KiB`);
console.log(`  MeterValues round trips: ${bare.toFixed(0)}/s with no subscriber, ${withSubs.toFixed(0)}/s with ${S} subscribers (one blocked forever); ${delivered} events delivered (coalesced, 1 s)`);
console.log(`  restart: createCsms with the live state loaded in ${restoreMs.toFixed(0)} ms (site: ${JSON.stringify(restored)})`);

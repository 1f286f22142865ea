#!/usr/bin/env node
// ML training benchmark (@charge-it/plugin-ml): trains every model on one year of hourly site load and
// 100,000 sessions, in the worker thread the plugin uses, and reports
//   - training time (whole run and per model),
//   - memory (process RSS peak, sampled every 100 ms; the worker's heap is part of the process),
//   - the main thread's event-loop delay while the worker trains (p50/p99/max of the perf_hooks
//     histogram, 10 ms resolution, and the longest stall of a 10 ms timer), i.e. what OCPP traffic on
//     the main thread would feel during training.
// With --main-thread it also trains once on the main thread, to show the delay the worker avoids.
//
//   npm run build -w @charge-it/core -w @charge-it/plugin-ml && node bench/ml-training.mjs
//   node bench/ml-training.mjs --sessions 100000 --days 365 --per-charge-point --main-thread
//
// Options: --sessions 100000 (cut to this many, newest kept), --days 365, --seed 1,
//          --per-charge-point (also one forecast per charge point; 40 of them), --main-thread, --json <file>
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseBenchArgs } from './cli-args.mjs';

const { values } = parseBenchArgs(import.meta.url, {
  sessions: { type: 'string', default: '100000' },
  days: { type: 'string', default: '365' },
  seed: { type: 'string', default: '1' },
  'per-charge-point': { type: 'boolean', default: false },
  'main-thread': { type: 'boolean', default: false },
  json: { type: 'string' },
});
const want = Number(values.sessions);
const days = Number(values.days);
const seed = Number(values.seed);

let ml;
try {
  ml = await import('@charge-it/plugin-ml');
} catch (err) {
  console.error(`cannot load @charge-it/plugin-ml (${err.message.split('\n')[0]}); build it first: npm run build -w @charge-it/core -w @charge-it/plugin-ml`);
  process.exit(1);
}

const mb = (b) => Math.round(b / 1048576);
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

// A site big enough for 100,000 sessions in a year: 30 AC chargers (2 connectors, 22 kW) and 10 DC (50 kW),
// 20× the default drivers.
const chargePoints = [
  ...Array.from({ length: 30 }, (_, i) => ({ id: `AC-${String(i + 1).padStart(2, '0')}`, connectors: 2, maxPowerKw: 22 })),
  ...Array.from({ length: 10 }, (_, i) => ({ id: `DC-${String(i + 1).padStart(2, '0')}`, connectors: 1, maxPowerKw: 50 })),
];
const end = new Date(Date.UTC(2026, 10, 30));
let t0 = performance.now();
const history = ml.generateSyntheticHistory({
  days,
  seed,
  end,
  chargePoints,
  drivers: { 'evening-commuter': 700, 'daytime-worker': 500, 'fleet-taxi': 160, 'weekend-visitor': 900 },
  anomalies: 40,
});
const sessions = history.sessions.slice(-want).map((s, i) => ({
  id: i + 1,
  chargePointId: s.chargePointId,
  connectorId: s.connectorId,
  idTag: s.idTag,
  startedAt: s.startedAt.getTime(),
  stoppedAt: s.stoppedAt.getTime(),
  energyWh: s.energyWh,
  maxPowerW: s.maxPowerW,
  avgPowerW: Math.round((s.energyWh * 3_600_000) / Math.max(1, s.stoppedAt.getTime() - s.startedAt.getTime())),
  idleS: Math.round((s.stoppedAt.getTime() - s.chargingEndedAt.getTime()) / 1000),
  flags: s.anomaly ? ['synthetic', 'synthetic-anomaly'] : ['synthetic'],
}));
console.log(`data: ${sessions.length} sessions over ${days} days (${days * 24} hourly points), ${chargePoints.length} charge points, ${history.drivers.size} drivers; generated in ${fmt(performance.now() - t0)}`);
if (sessions.length < want) console.log(`note: the generator made ${sessions.length} sessions, fewer than --sessions ${want}`);

// Meter streams: 200 recorded sessions with a reading every 5 minutes (what the plugin reads by default).
const meterStreams = sessions.slice(-200).map((s) => {
  const energy = [];
  const power = [];
  const steps = Math.max(2, Math.floor((s.stoppedAt - s.startedAt) / 300_000));
  for (let i = 0; i <= steps; i++) {
    const t = s.startedAt + i * 300_000;
    energy.push([t, Math.round(1_000_000 + (s.energyWh * Math.min(i, steps)) / steps)]);
    power.push([t, s.avgPowerW]);
  }
  return { transactionId: s.id, chargePointId: s.chargePointId, connectorId: s.connectorId, energy, power };
});

const data = {
  sessions,
  chargers: chargePoints.map((c) => ({ id: c.id, maxPowerKw: c.maxPowerKw, connectorIds: Array.from({ length: c.connectors }, (_, i) => i + 1) })),
  meterStreams,
  from: end.getTime() - days * 86_400_000,
  to: end.getTime(),
  timeZone: 'Asia/Jakarta',
  seed,
  horizonHours: 48,
  perChargePoint: values['per-charge-point'],
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The longest time the main thread did not run a 10 ms timer (also sees a loop blocked for the whole run). */
function stallMeter() {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  return () => {
    clearInterval(timer);
    return Math.max(0, worst);
  };
}

function sampleRss() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss);
  };
}

async function measure(label, train) {
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const stopRss = sampleRss();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const stall = stallMeter();
  const start = performance.now();
  const outcomes = await train();
  const wall = performance.now() - start;
  await sleep(50); // lets the stall meter's timer see a loop that was blocked until now
  const worstStall = stall();
  delay.disable();
  const peak = stopRss();
  const ms = (ns) => ns / 1e6;
  const result = {
    label,
    wallMs: Math.round(wall),
    rssBeforeMb: mb(rssBefore),
    rssPeakMb: mb(peak),
    loopDelayMs: { p50: +ms(delay.percentile(50)).toFixed(1), p99: +ms(delay.percentile(99)).toFixed(1), max: +ms(delay.max).toFixed(1), longestStall: Math.round(worstStall) },
    models: Object.fromEntries(
      ['forecast', 'availability', 'sessionAnomalies', 'meterAnomalies', 'segments', 'regression'].map((n) => {
        const o = outcomes[n];
        return [n, o.status === 'ok' ? { ms: o.training.durationMs, metric: `${o.metric.name} ${o.metric.value} (baseline ${o.metric.baseline?.value ?? '-'})` } : { ms: 0, metric: o.message }];
      }),
    ),
    perChargePointForecasts: Object.keys(outcomes.forecastByChargePoint).length,
  };
  console.log(`\n${label}: ${fmt(wall)} wall, RSS ${result.rssBeforeMb} → peak ${result.rssPeakMb} MB, main-thread event-loop delay p50 ${result.loopDelayMs.p50} ms, p99 ${result.loopDelayMs.p99} ms, max ${result.loopDelayMs.max} ms, longest stall of a 10 ms timer ${result.loopDelayMs.longestStall} ms`);
  for (const [n, m] of Object.entries(result.models)) console.log(`  ${n.padEnd(17)} ${fmt(m.ms).padStart(8)}  ${m.metric}`);
  if (result.perChargePointForecasts) console.log(`  + ${result.perChargePointForecasts} per-charge-point forecasts`);
  return result;
}

const results = [];
results.push(
  await measure('worker thread (as the plugin trains)', () =>
    // As the plugin does: sessions packed into typed arrays (yielding every 10,000 rows), buffers transferred.
    ml.packTrainingData(data).then((packed) => ml.runTrainingInWorker(packed, ({ model, done, total }) => process.stderr.write(`\r  progress ${done}/${total} ${model}        `)).promise).then((o) => {
      process.stderr.write('\n');
      return o;
    }),
  ),
);
if (values['main-thread']) results.push(await measure('main thread (for comparison: what the worker avoids)', async () => {
  await sleep(20);
  return ml.trainAll(data);
}));
console.log(`\nnode ${process.version}, ${(await import('node:os')).cpus().length} CPUs, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ sessions: sessions.length, days, results }, null, 2));

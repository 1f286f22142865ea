#!/usr/bin/env node
// Query times of the read models (`services.get('queries')`) at volume, on SQLite and MariaDB.
//
//   npm run build -w @charge-it/core && node bench/query-volume.mjs [options]
//
// For each database: a fresh database migrated by createCsms (so the committed indexes are the ones
// measured), then seeded fast with raw multi-row INSERTs (default 100,000 transactions over a year
// on 50 charge points × 2 connectors, 50 meter samples each = 5,000,000 samples: an energy register
// and an active power value every 2 minutes; 100,000 status events; 20,000 audit entries), then every
// query of the QueryService run --runs times after 2 warm-up runs. Prints median and p95 (ms) per
// query and database, and the seeding time.
//
// Options (all optional):
//   --transactions 100000      --samples-per-tx 50      --runs 20
//   --targets sqlite,mariadb   --mariadb-url mysql://root@127.0.0.1:3306
//                              (env CHARGE_IT_BENCH_MARIADB_URL; the database part is ignored: a fresh
//                              charge_it_test_bench_* database is made and dropped afterwards)
//   --keep                     keep the SQLite file / MariaDB database (their location is printed)
//   --sqlite-file <path>       measure a kept SQLite file again (no migration check, no seeding)
//   --mariadb-database <name>  measure a kept MariaDB database again (on --mariadb-url)
//   --json results.json        also write the figures as JSON
// MariaDB is skipped with a printed note when it is unreachable. Loopback only.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './cli-args.mjs';
import { freshMariaDbDatabase, mariadbOptions } from './fresh-mariadb.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const coreDist = join(root, 'packages', 'core', 'dist', 'index.js');

const { values: args } = parseBenchArgs(import.meta.url, {
  transactions: { type: 'string', default: '100000' },
  'samples-per-tx': { type: 'string', default: '50' },
  runs: { type: 'string', default: '20' },
  targets: { type: 'string', default: 'sqlite,mariadb' },
  'mariadb-url': { type: 'string', default: process.env.CHARGE_IT_BENCH_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306' },
  keep: { type: 'boolean', default: false },
  'sqlite-file': { type: 'string' },
  'mariadb-database': { type: 'string' },
  json: { type: 'string' },
});

const TX = positive('transactions');
const SAMPLES_PER_TX = positive('samples-per-tx');
const RUNS = positive('runs');
const CHARGE_POINTS = 50;
const CONNECTORS = 2;
const STATUS_EVENTS = 100_000;
const AUDIT_ROWS = 20_000;
const YEAR_MS = 365 * 86_400_000;
const END = Date.parse('2026-12-01T00:00:00Z');
const START = END - YEAR_MS;
const SAMPLE_STEP_MS = 120_000;

function positive(name) {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a whole number ≥ 1 (see --help)`);
    process.exit(2);
  }
  return n;
}

if (!existsSync(coreDist)) {
  console.error(`${coreDist} is missing: run \`npm run build -w @charge-it/core\` first`);
  process.exit(1);
}
const { createCsms } = await import(coreDist);
const { pino } = await import('pino');

// ---- data ---------------------------------------------------------------------------------------

/** A small deterministic PRNG, so every run seeds the same data. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cpId = (i) => `CP-${String(i + 1).padStart(3, '0')}`;

/** The transactions, spread evenly over the year (plus jitter), each with its session length and power. */
function transactions() {
  const rnd = prng(42);
  const out = [];
  const spacing = YEAR_MS / TX;
  for (let i = 0; i < TX; i++) {
    const start = Math.floor(START + i * spacing + rnd() * spacing * 0.5);
    const powerW = 3_000 + Math.floor(rnd() * 19_000);
    const minutes = SAMPLES_PER_TX; // samples every 2 minutes, half energy and half power
    const stop = start + minutes * 60_000;
    const energyWh = Math.round((powerW * minutes) / 60);
    const completed = i < TX - 40; // the newest few are still running
    const flags = rnd() < 0.02 ? ['clock-skew'] : rnd() < 0.01 ? ['meter-register-reset'] : [];
    out.push({
      id: i + 1,
      cp: cpId(i % CHARGE_POINTS),
      connector: 1 + (Math.floor(i / CHARGE_POINTS) % CONNECTORS),
      idTag: `TAG-${String(Math.floor(rnd() * 2000)).padStart(4, '0')}`,
      start,
      stop: completed ? stop : null,
      meterStart: i * 100,
      energyWh: completed ? energyWh : null,
      cost: completed ? Math.round((energyWh / 1000) * 2467 * 1.11) : null,
      powerW,
      flags,
    });
  }
  return out;
}

// ---- SQL dialects -------------------------------------------------------------------------------

function dialect(kind) {
  const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
  const date = kind === 'sqlite' ? (ms) => String(ms) : (ms) => q(new Date(ms).toISOString().slice(0, 23).replace('T', ' '));
  const nul = (v, f = String) => (v === null || v === undefined ? 'null' : f(v));
  return { q, date, nul };
}

async function seed(kind, exec, log) {
  const { q, date, nul } = dialect(kind);
  const began = performance.now();
  const insert = async (table, columns, rows, perStatement = 1000) => {
    for (let i = 0; i < rows.length; i += perStatement) {
      await exec(`insert into ${table} (${columns.join(', ')}) values ${rows.slice(i, i + perStatement).join(', ')}`);
    }
  };
  const created = date(START);
  const cps = [];
  const connectors = [];
  for (let i = 0; i < CHARGE_POINTS; i++) {
    cps.push(`(${q(cpId(i))}, 'Accepted', 0, ${created}, ${created})`);
    for (let c = 1; c <= CONNECTORS; c++) connectors.push(`(${q(cpId(i))}, ${c}, 'Available', ${created})`);
  }
  await insert('charge_point', ['id', 'registration_status', 'security_profile', 'created_at', 'updated_at'], cps);
  await insert('connector', ['charge_point_id', 'connector_id', 'status', 'updated_at'], connectors);

  const txs = transactions();
  await insert(
    'charge_transaction',
    ['id', 'charge_point_id', 'connector_id', 'id_tag', 'id_tag_status', 'meter_start', 'start_timestamp', 'start_received_at', 'meter_stop', 'stop_timestamp', 'stop_received_at', 'stop_reason', 'energy_wh', 'cost', 'flags', 'status'],
    txs.map(
      (t) =>
        `(${t.id}, ${q(t.cp)}, ${t.connector}, ${q(t.idTag)}, 'Accepted', ${t.meterStart}, ${date(t.start)}, ${date(t.start)}, ` +
        `${nul(t.stop === null ? null : t.meterStart + t.energyWh)}, ${nul(t.stop, date)}, ${nul(t.stop, date)}, ${t.stop ? "'Local'" : 'null'}, ` +
        `${nul(t.energyWh)}, ${nul(t.cost)}, ${q(JSON.stringify(t.flags))}, ${q(t.stop ? 'Completed' : 'Active')})`,
    ),
  );
  log(`  transactions: ${txs.length.toLocaleString('en')} in ${((performance.now() - began) / 1000).toFixed(1)} s`);

  const sampleCols = ['transaction_id', 'charge_point_id', 'connector_id', 'timestamp', 'received_at', 'measurand', 'phase', 'context', 'unit', 'value'];
  let batch = [];
  let samples = 0;
  const samplesBegan = performance.now();
  for (const t of txs) {
    for (let k = 0; k < SAMPLES_PER_TX; k++) {
      const at = t.start + Math.floor(k / 2) * SAMPLE_STEP_MS;
      const power = k % 2 === 1;
      const value = power ? t.powerW : t.meterStart + Math.round((t.powerW * (at - t.start)) / 3_600_000);
      batch.push(
        `(${t.id}, ${q(t.cp)}, ${t.connector}, ${date(at)}, ${date(at)}, ${power ? "'Power.Active.Import'" : "'Energy.Active.Import.Register'"}, null, 'Sample.Periodic', ${power ? "'W'" : "'Wh'"}, ${value})`,
      );
      if (batch.length === 2000) {
        await exec(`insert into meter_sample (${sampleCols.join(', ')}) values ${batch.join(', ')}`);
        samples += batch.length;
        batch = [];
      }
    }
  }
  if (batch.length) {
    await exec(`insert into meter_sample (${sampleCols.join(', ')}) values ${batch.join(', ')}`);
    samples += batch.length;
  }
  log(`  meter samples: ${samples.toLocaleString('en')} in ${((performance.now() - samplesBegan) / 1000).toFixed(1)} s`);

  const statuses = ['Available', 'Preparing', 'Charging', 'SuspendedEV', 'Finishing'];
  const events = [];
  for (let i = 0; i < STATUS_EVENTS; i++) {
    const at = START + Math.floor((i * YEAR_MS) / STATUS_EVENTS);
    events.push(`(${q(cpId(i % CHARGE_POINTS))}, ${1 + (i % CONNECTORS)}, ${q(statuses[i % statuses.length])}, 'NoError', ${date(at)}, ${date(at)})`);
  }
  await insert('status_event', ['charge_point_id', 'connector_id', 'status', 'error_code', 'timestamp', 'received_at'], events);
  const audit = [];
  const actions = ['RemoteStartTransaction', 'Reset', 'ChangeSetting', 'UpdateIdTag', 'ChangeConfiguration'];
  for (let i = 0; i < AUDIT_ROWS; i++) {
    const at = START + Math.floor((i * YEAR_MS) / AUDIT_ROWS);
    const action = actions[i % actions.length];
    audit.push(`(${date(at)}, ${q(i % 3 === 0 ? 'api:ops' : 'dashboard:ana')}, ${q(action)}, ${action === 'ChangeSetting' ? 'null' : q(cpId(i % CHARGE_POINTS))}, '{}', 'null', 'ok')`);
  }
  await insert('audit_log', ['at', 'actor', 'action', 'charge_point', 'request', 'result', 'outcome'], audit);
  return { seconds: (performance.now() - began) / 1000, transactions: txs.length, samples };
}

// ---- databases ----------------------------------------------------------------------------------

async function freshDatabase(kind) {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'charge-it-query-bench-'));
    const file = join(dir, 'bench.db');
    const Database = (await import('better-sqlite3')).default;
    return {
      url: `sqlite:${file}`,
      where: file,
      async seed(log) {
        const db = new Database(file);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = OFF');
        db.exec('begin');
        const result = await seed('sqlite', (sql) => db.exec(sql), log);
        db.exec('commit');
        db.exec('analyze');
        db.close();
        return result;
      },
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const mysql = await import('mysql2/promise');
  const { url, name, options, dispose } = await freshMariaDbDatabase(args['mariadb-url']);
  return {
    url,
    where: `${options.host}:${options.port}/${name}`,
    async seed(log) {
      const conn = await mysql.createConnection({ ...options, database: name, timezone: 'Z' });
      await conn.query('set foreign_key_checks = 0, unique_checks = 0');
      await conn.query('start transaction');
      const result = await seed('mariadb', (sql) => conn.query(sql), log);
      await conn.query('commit');
      for (const table of ['charge_transaction', 'meter_sample', 'status_event', 'audit_log']) await conn.query(`analyze table ${table}`);
      await conn.end();
      return result;
    },
    dispose,
  };
}

async function mariadbReachable() {
  try {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ ...mariadbOptions(args['mariadb-url']), connectTimeout: 3_000 });
    await conn.end();
    return true;
  } catch (err) {
    return err.code ?? err.message;
  }
}

// ---- queries ------------------------------------------------------------------------------------

function cases() {
  const day = 86_400_000;
  const monthStart = new Date(END - 30 * day);
  const lastTx = TX - 100;
  return [
    ['transactions: newest 50 + total', (q) => q.transactions({ limit: 50 })],
    ['transactions: page 100 (offset 5000)', (q) => q.transactions({ limit: 50, offset: 5000 })],
    ['transactions: one charge point', (q) => q.transactions({ chargePointId: 'CP-007', limit: 50 })],
    ['transactions: one idTag', (q) => q.transactions({ idTag: 'tag-0042', limit: 50 })],
    ['transactions: Completed by energy desc', (q) => q.transactions({ status: 'Completed', sort: 'energyWh', order: 'desc', limit: 50 })],
    ['transactions: by cost asc, offset 2000', (q) => q.transactions({ sort: 'cost', order: 'asc', limit: 50, offset: 2000 })],
    ['transactions: by stop time desc', (q) => q.transactions({ sort: 'stoppedAt', order: 'desc', limit: 50 })],
    ['transactions: last 30 days', (q) => q.transactions({ from: monthStart, to: new Date(END), limit: 50 })],
    ['transactions: flagged', (q) => q.transactions({ flagged: true, limit: 50 })],
    ['transactions: flag clock-skew', (q) => q.transactions({ flag: 'clock-skew', limit: 50 })],
    ['transaction(id)', (q) => q.transaction(lastTx)],
    ['meterSeries(tx)', (q) => q.meterSeries(lastTx)],
    ['statusHistory(cp, 100)', (q) => q.statusHistory('CP-007', { limit: 100 })],
    ['auditLog: newest 50 + total', (q) => q.auditLog({ limit: 50 })],
    ['auditLog: one charge point', (q) => q.auditLog({ chargePointId: 'CP-007', limit: 50 })],
    ['chargePoints()', (q) => q.chargePoints()],
    ['sessionStats: day × 30 (Jakarta)', (q) => q.sessionStats({ from: monthStart, to: new Date(END), bucket: 'day' })],
    ['sessionStats: hour × 7 days', (q) => q.sessionStats({ from: new Date(END - 7 * day), to: new Date(END), bucket: 'hour' })],
    ['sessionStats: month × 12', (q) => q.sessionStats({ from: new Date(START), to: new Date(END), bucket: 'month' })],
    ['sessionStats: day × 365', (q) => q.sessionStats({ from: new Date(START), to: new Date(END), bucket: 'day' })],
    ['sessionStats: day × 30, one cp', (q) => q.sessionStats({ from: monthStart, to: new Date(END), bucket: 'day', chargePointId: 'CP-007' })],
    ['sitePower: 15 min × 1 day', (q) => q.sitePower({ from: new Date(END - day), to: new Date(END) })],
    ['sitePower: 15 min × 1 day, one cp', (q) => q.sitePower({ from: new Date(END - day), to: new Date(END), chargePointId: 'CP-007' })],
    ['sitePower: 60 min × 7 days', (q) => q.sitePower({ from: new Date(END - 7 * day), to: new Date(END), bucketMinutes: 60 })],
    ['sessionsForAnalysis: 1,000', (q) => q.sessionsForAnalysis({ limit: 1000 })],
    ['sessionsForAnalysis: 10,000', (q) => q.sessionsForAnalysis({ limit: 10_000 })],
  ];
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(queries) {
  const out = [];
  for (const [name, run] of cases()) {
    for (let i = 0; i < 2; i++) await run(queries);
    const times = [];
    let size = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const result = await run(queries);
      times.push(performance.now() - t0);
      size = Array.isArray(result) ? result.length : result && 'items' in result ? result.items.length : result ? 1 : 0;
    }
    times.sort((a, b) => a - b);
    out.push({ name, medianMs: percentile(times, 50), p95Ms: percentile(times, 95), rows: size });
  }
  return out;
}

// ---- main ---------------------------------------------------------------------------------------

const log = (line) => console.log(line);
const targets = args.targets.split(',').map((t) => t.trim()).filter(Boolean);
for (const t of targets) {
  if (t !== 'sqlite' && t !== 'mariadb') {
    console.error(`unknown target "${t}" in --targets; use sqlite, mariadb (see --help)`);
    process.exit(2);
  }
}
const results = {};
const seeding = {};
for (const kind of targets) {
  if (kind === 'mariadb') {
    const reachable = await mariadbReachable();
    if (reachable !== true) {
      log(`mariadb: skipped, ${args['mariadb-url']} unreachable (${reachable})`);
      continue;
    }
  }
  const reuse = kind === 'sqlite' ? args['sqlite-file'] : args['mariadb-database'];
  if (reuse) {
    const url = kind === 'sqlite' ? `sqlite:${reuse}` : Object.assign(new URL(args['mariadb-url']), { pathname: `/${reuse}` }).toString();
    log(`${kind}: measuring the kept ${reuse}, ${RUNS} runs per query`);
    const csms = await createCsms({ databaseUrl: url, env: {}, logger: pino({ level: 'warn' }), port: 0, host: '127.0.0.1' });
    try {
      results[kind] = await measure(csms.services.get('queries'));
    } finally {
      await csms.close();
    }
    continue;
  }
  const database = await freshDatabase(kind);
  try {
    log(`${kind}: migrating ${database.where}`);
    const quiet = pino({ level: 'warn' });
    const first = await createCsms({ databaseUrl: database.url, env: {}, logger: quiet, port: 0, host: '127.0.0.1' });
    await first.close();
    log(`${kind}: seeding ${TX.toLocaleString('en')} transactions × ${SAMPLES_PER_TX} samples`);
    seeding[kind] = await database.seed(log);
    log(`${kind}: seeded in ${seeding[kind].seconds.toFixed(1)} s; measuring ${RUNS} runs per query`);
    const csms = await createCsms({ databaseUrl: database.url, env: {}, logger: quiet, port: 0, host: '127.0.0.1' });
    try {
      results[kind] = await measure(csms.services.get('queries'));
    } finally {
      await csms.close();
    }
  } finally {
    if (args.keep) log(`${kind}: kept ${database.where}`);
    else await database.dispose();
  }
}

const kinds = Object.keys(results);
if (kinds.length === 0) process.exit(1);
const names = results[kinds[0]].map((r) => r.name);
const width = Math.max(...names.map((n) => n.length));
console.log('');
console.log(`${TX.toLocaleString('en')} transactions, ${(TX * SAMPLES_PER_TX).toLocaleString('en')} meter samples, ${RUNS} runs; ms`);
console.log(`${'query'.padEnd(width)}  ${kinds.map((k) => `${k} median`.padStart(15) + `${k} p95`.padStart(13)).join('')}   rows`);
for (let i = 0; i < names.length; i++) {
  const cells = kinds.map((k) => results[k][i].medianMs.toFixed(2).padStart(15) + results[k][i].p95Ms.toFixed(2).padStart(13)).join('');
  console.log(`${names[i].padEnd(width)}  ${cells}   ${results[kinds[0]][i].rows}`);
}
if (args.json) await writeFile(args.json, JSON.stringify({ transactions: TX, samplesPerTx: SAMPLES_PER_TX, runs: RUNS, seeding, results }, null, 2));

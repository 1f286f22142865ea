#!/usr/bin/env node
// Server time of the dashboard's pages at volume (plugin-dashboard-htmx).
//
//   npm run build -w @charge-it/core -w @charge-it/plugin-dashboard-htmx
//   node bench/query-volume.mjs --targets sqlite --keep        # seeds 100,000 tx / 5,000,000 samples, prints "kept <file>"
//   node bench/dashboard-pages.mjs --database-url sqlite:<that file> [--runs 20]
//
// Boots the CSMS on the given (already seeded) database with the dashboard plugin, signs in, and
// requests every page with fastify.inject (in process: the time measured is the server's, from the
// request to the last byte of the answer, without a network). Two warm-up runs, then --runs runs;
// prints median and p95 (ms) and the answer size per page. Works on MariaDB URLs too.
// Options: --database-url <url> (required)   --runs 20   --json results.json
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './cli-args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseBenchArgs(import.meta.url, {
  'database-url': { type: 'string' },
  runs: { type: 'string', default: '20' },
  json: { type: 'string' },
});
if (!args['database-url']) {
  console.error('--database-url is required (see --help)');
  process.exit(2);
}
const RUNS = Number(args.runs);
const { createCsms } = await import(join(root, 'packages/core/dist/index.js'));
const { dashboard } = await import(join(root, 'packages/plugin-dashboard-htmx/dist/index.js'));
const { pino } = await import('pino');

const ADMIN = { username: 'bench-admin', password: 'bench-password-123' };
const csms = await createCsms({
  databaseUrl: args['database-url'], port: 0, host: '127.0.0.1', env: {}, logger: pino({ level: 'silent' }),
  plugins: [dashboard({ env: {}, firstAdmin: ADMIN })],
});
const app = csms.http;
await app.ready();
try {
  await csms.services.get('adminUsers').create({ ...ADMIN, role: 'admin' }, 'bench');
} catch {
  // exists already (the first-admin option created it, or an earlier run)
}

const cookieOf = (res, name) => ([].concat(res.headers['set-cookie'] ?? []).map((c) => new RegExp(`^${name}=([^;]*)`).exec(c)).find(Boolean) ?? [])[1];
const loginPage = await app.inject({ url: '/dashboard/login' });
const csrf = /name="_csrf" value="([^"]+)"/.exec(loginPage.body)[1];
const login = await app.inject({
  method: 'POST', url: '/dashboard/login',
  headers: { cookie: `ci_pre=${cookieOf(loginPage, 'ci_pre')}`, 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ _csrf: csrf, username: ADMIN.username, password: ADMIN.password }).toString(),
});
const cookie = `ci_sid=${cookieOf(login, 'ci_sid')}`;

const queries = csms.services.get('queries');
const cps = await queries.chargePoints();
const cp = cps[0]?.id ?? 'CP-1';
const { items: [recent], total } = await queries.transactions({ limit: 1 });
const tx = recent?.id ?? 1;
const day = recent?.startTimestamp?.slice(0, 10) ?? '2026-11-30';
console.log(`${cps.length} charge points, ${total.toLocaleString('en')} transactions; charge point ${cp}, transaction ${tx}`);

const pages = [
  ['Dashboard', '/dashboard/'],
  ['site power 24 h (JSON)', '/dashboard/data/site-power.json'],
  ['Stations', '/dashboard/stations'],
  ['Station detail', `/dashboard/stations/${encodeURIComponent(cp)}`],
  ['Transactions, page 1', '/dashboard/transactions'],
  ['Transactions, sorted by energy', '/dashboard/transactions?sort=energyWh'],
  ['Transactions, page 2,000', '/dashboard/transactions?page=2000'],
  ['Transactions, one charge point + day', `/dashboard/transactions?chargePointId=${encodeURIComponent(cp)}&from=${day}&to=${day}`],
  ['Transactions, flagged', '/dashboard/transactions?flag=any'],
  ['Transaction detail', `/dashboard/transactions/${tx}`],
  ['Meter curves (JSON)', `/dashboard/transactions/${tx}/series.json`],
  ['CSV export, one day', `/dashboard/transactions.csv?from=${day}&to=${day}`],
  ['AI Insights (no ML plugin)', '/dashboard/insights'],
  ['Settings', '/dashboard/settings'],
  ['RFID cards', '/dashboard/settings/cards'],
  ['Audit log', '/dashboard/audit'],
];

const results = [];
for (const [name, url] of pages) {
  const times = [];
  let size = 0;
  let status = 0;
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const res = await app.inject({ url, headers: { cookie } });
    const ms = performance.now() - t0;
    status = res.statusCode;
    size = res.body.length;
    if (i >= 2) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p95 = times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)];
  results.push({ name, url, status, median, p95, bytes: size });
  console.log(`${name.padEnd(38)} ${String(status).padStart(4)} median ${median.toFixed(1).padStart(7)} ms   p95 ${p95.toFixed(1).padStart(7)} ms   ${(size / 1024).toFixed(1).padStart(7)} KiB`);
}
if (args.json) await writeFile(args.json, JSON.stringify({ databaseUrl: args['database-url'].replace(/\/\/[^@]*@/, '//***@'), runs: RUNS, results }, null, 2));
await csms.close();

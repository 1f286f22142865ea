#!/usr/bin/env node
/**
 * charge-it-ml — command line of @charge-it/plugin-ml.
 *   charge-it-ml import <file.csv> [options]   import historical sessions (flag `imported`)
 *   charge-it-ml seed [--days 90] [--seed 1]   write a synthetic demo history (flag `synthetic`)
 * Writes through the core's services into the database of CHARGE_IT_DATABASE_URL (or --database-url).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createCsms } from '@charge-it/core';
import { importSessionsCsv } from './import/import-sessions.js';
import { PRESETS, type ColumnMapping, type DateOrder, type PresetName } from './import/session-csv.js';
import { seedSyntheticHistory } from './synthetic/seed-synthetic-history.js';

const HELP = `charge-it-ml — Charge-IT ML plugin tools

Usage:
  charge-it-ml import <file.csv> [options]   import historical charging sessions from a CSV export
  charge-it-ml seed [options]                write a seeded synthetic demo history (marked synthetic)
  charge-it-ml --help

Import options:
  --preset <name>          column mapping of a known export: ${Object.keys(PRESETS).join(', ')} (default generic)
${Object.entries(PRESETS).map(([k, v]) => `                             ${k}: ${v.description}`).join('\n')}
  --column <field=Header>  map one field to a header (repeatable); fields: chargePointId, connectorId,
                           startedAt, stoppedAt, energyKwh, energyWh, meterStartWh, meterStopWh, idTag,
                           maxKw, avgKw, chargingDuration
  --tz <zone>              IANA time zone of times without an offset (default UTC), e.g. Asia/Jakarta
  --date-order <ymd|dmy|mdy>  how to read 01/02/2026 (default from the preset)
  --delimiter <char>       , ; or tab (default: detected from the header)
  --dry-run                check the file and report, write nothing

Seed options:
  --days <n>               days of history (default 90)
  --seed <n>               random seed (default 1); the same seed gives the same history

Common:
  --database-url <url>     database (default CHARGE_IT_DATABASE_URL, else the core's default SQLite file)

Bad rows are reported with their line number and skipped. Re-importing the same file creates nothing
(a session with the same charge point, connector, idTag and start is already there).`;

function progressBar(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  let lastPct = -1;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (tty) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total}`);
      if (done >= total) process.stderr.write('\n');
    } else if (pct >= lastPct + 25 || done >= total) {
      process.stderr.write(`${label}: ${pct}% (${done}/${total})\n`);
      lastPct = pct;
    }
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      preset: { type: 'string' },
      column: { type: 'string', multiple: true },
      tz: { type: 'string' },
      'date-order': { type: 'string' },
      delimiter: { type: 'string' },
      'dry-run': { type: 'boolean' },
      days: { type: 'string' },
      seed: { type: 'string' },
      'database-url': { type: 'string' },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const databaseUrl = values['database-url'];
  const openCsms = () => createCsms({ ...(databaseUrl ? { databaseUrl } : {}), logLevel: 'warn' });

  if (command === 'import') {
    if (!file) throw new Error('import needs a CSV file: charge-it-ml import <file.csv>');
    if (values.preset && !(values.preset in PRESETS)) throw new Error(`unknown preset "${values.preset}": use one of ${Object.keys(PRESETS).join(', ')}`);
    const dateOrder = values['date-order'];
    if (dateOrder && !['ymd', 'dmy', 'mdy'].includes(dateOrder)) throw new Error('--date-order must be ymd, dmy or mdy');
    const columns: Partial<ColumnMapping> = {};
    for (const c of values.column ?? []) {
      const eq = c.indexOf('=');
      if (eq <= 0) throw new Error(`--column "${c}" must be field=Header, e.g. --column energyKwh="Energy (kWh)"`);
      columns[c.slice(0, eq) as keyof ColumnMapping] = c.slice(eq + 1);
    }
    const text = readFileSync(file, 'utf8');
    const options = {
      preset: values.preset as PresetName | undefined,
      columns,
      timeZone: values.tz,
      dateOrder: dateOrder as DateOrder | undefined,
      delimiter: values.delimiter === 'tab' ? '\t' : values.delimiter,
    };
    if (values['dry-run']) {
      const { parseSessionCsv } = await import('./import/session-csv.js');
      const parsed = parseSessionCsv(text, options);
      console.log(`${parsed.rows} rows: ${parsed.sessions.length} sessions readable, ${parsed.errors.length} bad (nothing written)`);
      console.log(`columns: ${Object.entries(parsed.mapping).map(([k, v]) => `${k} ← "${v}"`).join(', ')}`);
      for (const e of parsed.errors) console.log(`  line ${e.line}: ${e.message}`);
      return parsed.errors.length ? 1 : 0;
    }
    const csms = await openCsms();
    try {
      const result = await importSessionsCsv(csms.services.get('history'), text, { ...options, actor: 'cli:import', onProgress: progressBar('importing') });
      console.log(`${result.rows} rows: ${result.created} sessions imported, ${result.duplicates} already there, ${result.errors.length} bad rows skipped`);
      console.log(`columns: ${Object.entries(result.mapping).map(([k, v]) => `${k} ← "${v}"`).join(', ')}`);
      if (result.chargePointsCreated.length) console.log(`charge points created: ${result.chargePointsCreated.join(', ')}`);
      for (const e of result.errors) console.log(`  line ${e.line}: ${e.message}`);
      return result.errors.length ? 1 : 0;
    } finally {
      await csms.close();
    }
  }
  if (command === 'seed') {
    const days = values.days === undefined ? 90 : Number(values.days);
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error('--days must be a whole number from 1 to 3650');
    if (!Number.isInteger(seed) || seed < 0) throw new Error('--seed must be a non-negative whole number');
    const csms = await openCsms();
    try {
      const result = await seedSyntheticHistory(csms, { days, seed, onProgress: progressBar('writing') });
      console.log(`${result.created} synthetic sessions written (${result.duplicates} already there), ${result.history.drivers.size} drivers, flagged "synthetic"`);
      return 0;
    } finally {
      await csms.close();
    }
  }
  throw new Error(`unknown command "${command}": use import or seed (see --help)`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`charge-it-ml: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);

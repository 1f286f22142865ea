import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCsms, type TestCsms } from '@charge-it/core/testing';
import { importSessionsCsv } from '../src/index.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const HOOK = fileURLToPath(new URL('./support/ts-resolve-hook.mjs', import.meta.url));

const CSV = [
  'charger,connector,start,end,kwh,user,max kw,avg kw',
  'OLD-1,1,2026-02-01 08:00,2026-02-01 10:00,14.2,CARD-A,7.4,7.1',
  'OLD-1,2,2026-02-01 09:15,2026-02-01 09:05,3.0,CARD-B,,',
  'OLD-2,1,2026-02-01T18:00:00+07:00,2026-02-01T19:30:00+07:00,22.5,,22,',
  'OLD-2,1,2026-02-02 07:00,2026-02-02 08:00,oops,CARD-C,,',
  'OLD-1,1,2026-02-02 18:00,2026-02-02 20:00,11.0,CARD-A,7.2,5.5',
].join('\n');

describe('CSV import through the core', () => {
  let t: TestCsms;
  beforeAll(async () => {
    t = await createTestCsms();
  });
  afterAll(() => t?.close());

  it('imports good rows flagged imported, reports bad rows by line, and a re-import creates nothing', async () => {
    const history = t.csms.services.get('history');
    const first = await importSessionsCsv(history, CSV, { timeZone: 'Asia/Jakarta' });
    expect(first).toMatchObject({ rows: 5, created: 3, duplicates: 0, chargePointsCreated: ['OLD-1', 'OLD-2'] });
    expect(first.errors).toEqual([
      { line: 3, message: expect.stringMatching(/ends .* before it starts/) },
      { line: 5, message: expect.stringMatching(/energy/) },
    ]);
    const again = await importSessionsCsv(history, CSV, { timeZone: 'Asia/Jakarta' });
    expect(again).toMatchObject({ created: 0, duplicates: 3 });

    const rows = await t.csms.services.get('queries').sessionsForAnalysis({});
    expect(rows).toHaveLength(3);
    const byStart = Object.fromEntries(rows.map((r) => [r.startedAt, r]));
    // Local times were read in Asia/Jakarta (UTC+7); the offset one kept its own.
    expect(byStart['2026-02-01T01:00:00.000Z']).toMatchObject({ chargePointId: 'OLD-1', connectorId: 1, idTag: 'CARD-A', energyWh: 14200, maxPowerW: 7400, flags: ['imported'] });
    expect(byStart['2026-02-01T11:00:00.000Z']).toMatchObject({ chargePointId: 'OLD-2', idTag: 'UNKNOWN', energyWh: 22500 });
    // Average power 5.5 kW: 11 kWh took 2 h of charging, so no idle; 7.1 kW: 14.2 kWh in 2 h.
    expect(byStart['2026-02-02T11:00:00.000Z']!.idleS).toBe(0);
    const tx = await t.csms.services.get('queries').transaction(rows[0]!.id);
    expect(tx).toMatchObject({ status: 'Completed', meterStop: null });
  });
});

describe('charge-it-ml CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ml-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', HOOK, CLI, ...args], { env: { ...process.env, CHARGE_IT_DATABASE_URL: '' }, timeout: 120_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('prints its help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/charge-it-ml import <file.csv>/);
    expect(r.stdout).toMatch(/--preset <name> .*charge-it, steve, chargepoint, generic/);
    expect(r.stdout).toMatch(/--tz <zone>/);
  });

  it('imports a file with a progress report, exit code 1 when rows were skipped, and nothing twice', async () => {
    const file = join(dir, 'sessions.csv');
    await writeFile(file, CSV);
    const db = `sqlite:${join(dir, 'csms.db')}`;
    const first = await cli('import', file, '--tz', 'Asia/Jakarta', '--database-url', db);
    expect(first.stdout).toMatch(/5 rows: 3 sessions imported, 0 already there, 2 bad rows skipped/);
    expect(first.stdout).toMatch(/line 3: the session ends/);
    expect(first.stdout).toMatch(/line 5: energy/);
    expect(first.stderr).toMatch(/importing: 100% \(3\/3\)/);
    expect(first.code).toBe(1);
    const second = await cli('import', file, '--tz', 'Asia/Jakarta', '--database-url', db);
    expect(second.stdout).toMatch(/3 already there/);
  });

  it('writes a synthetic demo history from a seed, and refuses a bad option', async () => {
    const db = `sqlite:${join(dir, 'seed.db')}`;
    const first = await cli('seed', '--days', '5', '--seed', '2', '--database-url', db);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^(\d+) synthetic sessions written \(0 already there\), 40 drivers, flagged "synthetic"/m);
    expect((await cli('seed', '--days', 'many')).stderr).toMatch(/--days must be a whole number/);
  });

  it('explains a file it cannot read', async () => {
    const file = join(dir, 'weird.csv');
    await writeFile(file, 'a,b\n1,2\n');
    const r = await cli('import', file, '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot find the column\(s\) for chargePointId/);
    expect((await cli('import', join(dir, 'missing.csv'))).stderr).toMatch(/ENOENT|no such file/);
    expect((await cli('import', file, '--preset', 'nope')).stderr).toMatch(/unknown preset "nope"/);
  });
});

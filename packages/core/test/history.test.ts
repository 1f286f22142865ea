/**
 * The history service (services.get('history')): historical sessions written as flagged Completed
 * transactions through the core, idempotently, with the read models seeing them like recorded ones,
 * on SQLite (and MariaDB when configured).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestCsms, FakeChargePoint, type TestCsms } from '../src/testing/index.js';
import { testDatabases, type TestDatabase } from './support/databases.js';

const at = (iso: string) => new Date(iso);

describe.each(testDatabases())('history service on $name', (db) => {
  let database: TestDatabase;
  let t: TestCsms;
  beforeEach(async () => {
    database = await db.create();
    t = await createTestCsms({ databaseUrl: database.databaseUrl, idTags: { LIVE: 'Accepted' } });
  });
  afterEach(async () => {
    await t?.close();
    await database?.dispose();
  });

  const sessions = [
    { chargePointId: 'OLD-1', connectorId: 1, idTag: 'CARD-A', startedAt: at('2026-02-01T01:00:00Z'), stoppedAt: at('2026-02-01T04:00:00Z'), chargingEndedAt: at('2026-02-01T03:00:00Z'), energyWh: 14_000, maxPowerW: 7400 },
    { chargePointId: 'OLD-1', connectorId: 2, idTag: null, startedAt: at('2026-02-01T05:00:00Z'), stoppedAt: at('2026-02-01T06:00:00Z'), energyWh: 5_000 },
    { chargePointId: 'OLD-1', connectorId: 1, idTag: 'CARD-B', startedAt: at('2026-02-02T05:00:00Z'), stoppedAt: at('2026-02-02T04:00:00Z'), energyWh: 5_000 },
    { chargePointId: 'bad id with spaces', connectorId: 1, startedAt: at('2026-02-02T05:00:00Z'), stoppedAt: at('2026-02-02T06:00:00Z'), energyWh: 5_000 },
    { chargePointId: 'OLD-2', connectorId: 0, startedAt: at('2026-02-02T05:00:00Z'), stoppedAt: at('2026-02-02T06:00:00Z'), energyWh: -1 },
  ];

  it('writes valid sessions flagged with their source, refuses the others by index, and is idempotent', async () => {
    const history = t.csms.services.get('history');
    const first = await history.importSessions(sessions, { source: 'imported', actor: 'test', chargePoints: [{ id: 'OLD-1', maxPowerKw: 22 }] });
    expect(first).toMatchObject({ created: 2, duplicates: 0, chargePointsCreated: ['OLD-1'] });
    expect(first.errors.map((e) => e.index)).toEqual([2, 3, 4]);
    expect(first.errors[0]!.message).toMatch(/ends .* before it starts/);
    expect(first.errors[1]!.message).toMatch(/charge point id "bad id with spaces" is not valid/);
    expect(first.errors[2]!.message).toMatch(/connector 0/);
    const again = await history.importSessions(sessions.slice(0, 2), { source: 'imported', actor: 'test' });
    expect(again).toMatchObject({ created: 0, duplicates: 2, errors: [] });

    const queries = t.csms.services.get('queries');
    const rows = await queries.sessionsForAnalysis({});
    expect(rows).toHaveLength(2);
    const a = rows.find((r) => r.idTag === 'CARD-A')!;
    expect(a).toMatchObject({ chargePointId: 'OLD-1', energyWh: 14_000, maxPowerW: 7400, idleS: 3600, flags: ['imported'] });
    expect(rows.find((r) => r.connectorId === 2)).toMatchObject({ idTag: 'UNKNOWN', idleS: null, maxPowerW: null });
    const tx = await queries.transaction(a.id);
    expect(tx).toMatchObject({ status: 'Completed', meterStart: 0, meterStop: null, energyWh: 14_000 });
    const series = await queries.meterSeries(a.id, { measurands: ['Energy.Active.Import.Register'] });
    expect(series[0]!.points.map(([, v]) => v)).toEqual([0, 14_000, 14_000]);
    expect((await queries.chargePoint('OLD-1'))!.maxPowerKw).toBe(22);
    const audit = await queries.auditLog({ action: 'ImportHistory' });
    expect(audit.total).toBe(1);
  });

  it('a live session after imported history is not flagged as a register reset', async () => {
    await t.csms.services.get('history').importSessions(sessions.slice(0, 1), { source: 'synthetic', actor: 'test' });
    const cp = new FakeChargePoint({ url: t.ocppUrlFor('OLD-1'), identity: 'OLD-1' });
    await cp.connect();
    try {
      await cp.boot();
      const started = await cp.startTransaction({ connectorId: 1, idTag: 'LIVE', meterStart: 1000 });
      const tx = await t.csms.services.get('queries').transaction(started.transactionId);
      expect(tx!.flags).not.toContain('register-reset');
    } finally {
      await cp.close();
    }
  });

  it('refuses an unknown source', async () => {
    await expect(t.csms.services.get('history').importSessions([], { source: 'guess' as never, actor: 'test' })).rejects.toMatchObject({ code: 'CSMS_ERR_INPUT_INVALID' });
  });
});

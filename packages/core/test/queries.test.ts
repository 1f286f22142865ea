/**
 * The query service (services.get('queries')): transaction filters, pagination and the sort
 * allowlist, meter series, status history and audit log, aggregates per hour/day/month in a time
 * zone (across the Jakarta day boundary, a +05:30 zone and a DST day), and power per 15 minutes.
 * Rows are written straight into a real database (SQLite, and MariaDB when configured).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema, MeterSampleSchema, StatusEventSchema, TransactionSchema } from '../src/persistence/entities/index.js';
import { closeRulesHarnesses, startRules, type RulesHarness } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

interface TxSpec {
  cp: string;
  connector?: number;
  idTag?: string;
  start: string;
  stop?: string | null;
  energyWh?: number;
  cost?: number;
  flags?: string[];
}

async function seedTransactions(h: RulesHarness, specs: TxSpec[]): Promise<number[]> {
  const em = h.em();
  const rows = specs.map((s, i) =>
    em.create(TransactionSchema, {
      chargePoint: s.cp,
      connectorId: s.connector ?? 1,
      idTag: s.idTag ?? 'TAG-1',
      idTagStatus: 'Accepted',
      parentIdTag: null,
      reservationId: null,
      meterStart: i * 1000,
      startTimestamp: new Date(s.start),
      startReceivedAt: new Date(s.start),
      meterStop: s.stop ? i * 1000 + (s.energyWh ?? 0) : null,
      stopTimestamp: s.stop ? new Date(s.stop) : null,
      stopReceivedAt: s.stop ? new Date(s.stop) : null,
      stopReason: s.stop ? 'Local' : null,
      stopIdTag: null,
      energyWh: s.stop ? (s.energyWh ?? 0) : null,
      cost: s.stop ? (s.cost ?? 0) : null,
      costBreakdown: null,
      flags: s.flags ?? [],
      status: s.stop ? 'Completed' : 'Active',
    }),
  );
  await em.flush();
  return rows.map((r) => r.id);
}

async function seedSamples(
  h: RulesHarness,
  samples: Array<{ tx?: number | null; cp: string; connector?: number; at: string; measurand: string; phase?: string | null; unit: string; value: number }>,
): Promise<void> {
  const em = h.em();
  for (const s of samples) {
    em.create(MeterSampleSchema, {
      transaction: s.tx ?? null,
      chargePoint: s.cp,
      connectorId: s.connector ?? 1,
      timestamp: new Date(s.at),
      receivedAt: new Date(s.at),
      measurand: s.measurand,
      phase: s.phase ?? null,
      location: null,
      context: 'Sample.Periodic',
      unit: s.unit,
      value: s.value,
      rawValue: String(s.value),
      format: null,
      flags: null,
    });
  }
  await em.flush();
}

describe.each(testDatabases())('query service on $name', (db) => {
  it('lists transactions with filters, pages and totals; sorts only by allowed keys', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'] });
    const ids = await seedTransactions(h, [
      { cp: 'CP-1', idTag: 'Card-A', start: '2026-03-01T01:00:00Z', stop: '2026-03-01T02:00:00Z', energyWh: 5000, cost: 12000 },
      { cp: 'CP-1', idTag: 'CARD-B', start: '2026-03-01T03:00:00Z', stop: '2026-03-01T04:00:00Z', energyWh: 1000, cost: 3000, flags: ['meter-register-reset'] },
      { cp: 'CP-2', idTag: 'card-a', start: '2026-03-02T01:00:00Z', stop: '2026-03-02T05:00:00Z', energyWh: 20000, cost: 50000, flags: ['clock-skew'] },
      { cp: 'CP-2', idTag: 'CARD-C', start: '2026-03-03T01:00:00Z' },
    ]);
    const queries = h.server.csms.services.get('queries');

    const all = await queries.transactions();
    expect(all.total).toBe(4);
    expect(all.items.map((t) => t.id)).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    expect(all.items[0]).toMatchObject({ chargePointId: 'CP-2', status: 'Active', startTimestamp: '2026-03-03T01:00:00.000Z', stopTimestamp: null, energyWh: null });

    expect((await queries.transactions({ chargePointId: 'CP-1' })).items.map((t) => t.id)).toEqual([ids[1], ids[0]]);
    expect(await queries.transactions({ chargePointId: 'CP-404' })).toEqual({ items: [], total: 0 });
    expect((await queries.transactions({ idTag: 'CARD-A' })).items.map((t) => t.id)).toEqual([ids[2], ids[0]]);
    expect((await queries.transactions({ status: 'Active' })).items.map((t) => t.id)).toEqual([ids[3]]);
    expect((await queries.transactions({ from: new Date('2026-03-01T02:00:00Z'), to: new Date('2026-03-03T00:00:00Z') })).items.map((t) => t.id)).toEqual([ids[2], ids[1]]);
    expect((await queries.transactions({ flag: 'clock-skew' })).items.map((t) => t.id)).toEqual([ids[2]]);
    expect((await queries.transactions({ flagged: true })).items.map((t) => t.id)).toEqual([ids[2], ids[1]]);
    expect((await queries.transactions({ flagged: false })).items.map((t) => t.id)).toEqual([ids[3], ids[0]]);

    const page = await queries.transactions({ sort: 'energyWh', order: 'desc', status: 'Completed', limit: 2, offset: 1 });
    expect(page).toMatchObject({ total: 3 });
    expect(page.items.map((t) => t.energyWh)).toEqual([5000, 1000]);
    expect((await queries.transactions({ sort: 'cost', order: 'asc', status: 'Completed' })).items.map((t) => t.cost)).toEqual([3000, 12000, 50000]);
    expect((await queries.transactions({ sort: 'id', order: 'asc' })).items.map((t) => t.id)).toEqual(ids);
    expect((await queries.transactions({ sort: 'stoppedAt', order: 'desc', status: 'Completed' })).items.map((t) => t.id)).toEqual([ids[2], ids[1], ids[0]]);

    await expect(queries.transactions({ sort: 'idTag; drop table x' as never })).rejects.toMatchObject({
      code: CsmsErrorCode.INPUT_INVALID,
      details: { fields: { sort: 'must be one of startedAt, stoppedAt, receivedAt, stopReceivedAt, energyWh, cost, id' } },
    });
    await expect(queries.transactions({ order: 'sideways' as never })).rejects.toMatchObject({ details: { fields: { order: expect.any(String) } } });
    await expect(queries.transactions({ limit: 0 })).rejects.toMatchObject({ details: { fields: { limit: expect.any(String) } } });
    await expect(queries.transactions({ flag: '%' })).rejects.toMatchObject({ details: { fields: { flag: expect.any(String) } } });

    expect(await queries.transaction(ids[0]!)).toMatchObject({ id: ids[0], energyWh: 5000, cost: 12000, costFinal: true });
    expect(await queries.transaction(ids[0]!, { chargePointId: 'CP-2' })).toBeNull();
    expect(await queries.transaction(999_999)).toBeNull();
  });

  it('sums sessions, energy and revenue per day, hour and month in the time zone asked (default Asia/Jakarta)', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'] });
    await seedTransactions(h, [
      // 23:30 and 23:59 on 1 March in Jakarta (UTC+7) ...
      { cp: 'CP-1', start: '2026-03-01T16:30:00Z', stop: '2026-03-01T17:30:00Z', energyWh: 1000, cost: 2500 },
      { cp: 'CP-2', start: '2026-03-01T16:59:59.999Z', stop: '2026-03-01T18:00:00Z', energyWh: 2000, cost: 5000 },
      // ... 00:00 and 00:30 on 2 March in Jakarta (still 1 March in UTC)
      { cp: 'CP-1', start: '2026-03-01T17:00:00Z', stop: '2026-03-01T18:00:00Z', energyWh: 4000, cost: 10000 },
      { cp: 'CP-1', start: '2026-03-01T17:30:00Z' },
    ]);
    const queries = h.server.csms.services.get('queries');
    const from = new Date('2026-02-28T17:00:00Z'); // 1 March 00:00 WIB
    const to = new Date('2026-03-02T17:00:00Z'); // 3 March 00:00 WIB

    expect(await queries.sessionStats({ from, to, bucket: 'day' })).toEqual([
      { bucketStart: '2026-02-28T17:00:00.000Z', sessions: 2, energyWh: 3000, revenueIdr: 7500 },
      { bucketStart: '2026-03-01T17:00:00.000Z', sessions: 2, energyWh: 4000, revenueIdr: 10000 },
    ]);
    expect(await queries.sessionStats({ from, to, bucket: 'day', chargePointId: 'CP-1' })).toEqual([
      { bucketStart: '2026-02-28T17:00:00.000Z', sessions: 1, energyWh: 1000, revenueIdr: 2500 },
      { bucketStart: '2026-03-01T17:00:00.000Z', sessions: 2, energyWh: 4000, revenueIdr: 10000 },
    ]);
    // In UTC all four are on 1 March.
    expect(await queries.sessionStats({ from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z'), bucket: 'day', timeZone: 'UTC' })).toEqual([
      { bucketStart: '2026-03-01T00:00:00.000Z', sessions: 4, energyWh: 7000, revenueIdr: 17500 },
      { bucketStart: '2026-03-02T00:00:00.000Z', sessions: 0, energyWh: 0, revenueIdr: 0 },
    ]);
    const hours = await queries.sessionStats({ from: new Date('2026-03-01T16:00:00Z'), to: new Date('2026-03-01T18:00:00Z'), bucket: 'hour' });
    expect(hours).toEqual([
      { bucketStart: '2026-03-01T16:00:00.000Z', sessions: 2, energyWh: 3000, revenueIdr: 7500 },
      { bucketStart: '2026-03-01T17:00:00.000Z', sessions: 2, energyWh: 4000, revenueIdr: 10000 },
    ]);
    // India is UTC+05:30: 16:30Z is 22:00 local, 16:59Z is 22:29, 17:00Z is 22:30, 17:30Z is 23:00.
    expect(
      (await queries.sessionStats({ from: new Date('2026-03-01T16:30:00Z'), to: new Date('2026-03-01T18:30:00Z'), bucket: 'hour', timeZone: 'Asia/Kolkata' })).map((r) => [
        r.bucketStart,
        r.sessions,
      ]),
    ).toEqual([
      ['2026-03-01T16:30:00.000Z', 3],
      ['2026-03-01T17:30:00.000Z', 1],
    ]);
    const months = await queries.sessionStats({ from: new Date('2026-01-31T17:00:00Z'), to: new Date('2026-03-31T17:00:00Z'), bucket: 'month' });
    expect(months).toEqual([
      { bucketStart: '2026-01-31T17:00:00.000Z', sessions: 0, energyWh: 0, revenueIdr: 0 },
      { bucketStart: '2026-02-28T17:00:00.000Z', sessions: 4, energyWh: 7000, revenueIdr: 17500 },
    ]);
    // A DST change: 29 March 2026 in Berlin has 23 hours; the day buckets start at local midnight.
    expect((await queries.sessionStats({ from: new Date('2026-03-28T23:00:00Z'), to: new Date('2026-03-30T22:00:00Z'), bucket: 'day', timeZone: 'Europe/Berlin' })).map((r) => r.bucketStart)).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
    await expect(queries.sessionStats({ from, to, bucket: 'day', timeZone: 'Mars/Olympus' })).rejects.toMatchObject({ details: { fields: { timeZone: expect.any(String) } } });
    await expect(queries.sessionStats({ from: to, to: from, bucket: 'day' })).rejects.toMatchObject({ details: { fields: { to: 'must be after from' } } });
    await expect(queries.sessionStats({ from, to, bucket: 'week' as never })).rejects.toMatchObject({ details: { fields: { bucket: expect.any(String) } } });
  });

  it('gives site and charge point power per 15 minutes, meter series, and sessions for analysis', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'] });
    const [tx1, tx2] = await seedTransactions(h, [
      { cp: 'CP-1', start: '2026-03-01T10:00:00Z', stop: '2026-03-01T10:30:00Z', energyWh: 4000, cost: 9000 },
      { cp: 'CP-2', start: '2026-03-01T10:00:00Z', stop: '2026-03-01T11:00:00Z', energyWh: 9000, cost: 20000, flags: ['clock-skew'] },
    ]);
    await seedSamples(h, [
      { tx: tx1, cp: 'CP-1', at: '2026-03-01T10:01:00Z', measurand: 'Power.Active.Import', unit: 'W', value: 7000 },
      { tx: tx1, cp: 'CP-1', at: '2026-03-01T10:14:59Z', measurand: 'Power.Active.Import', unit: 'W', value: 9000 },
      { tx: tx1, cp: 'CP-1', at: '2026-03-01T10:01:00Z', measurand: 'Energy.Active.Import.Register', unit: 'Wh', value: 100 },
      { tx: tx1, cp: 'CP-1', at: '2026-03-01T10:14:59Z', measurand: 'Energy.Active.Import.Register', unit: 'Wh', value: 2100 },
      { tx: tx1, cp: 'CP-1', at: '2026-03-01T10:20:00Z', measurand: 'Power.Active.Import', unit: 'W', value: 6000 },
      // CP-2 reports per phase only: the connector's power is the sum of its phases.
      ...['L1', 'L2', 'L3'].map((phase) => ({ tx: tx2, cp: 'CP-2', at: '2026-03-01T10:05:00Z', measurand: 'Power.Active.Import', phase, unit: 'W', value: 3000 })),
      { tx: tx2, cp: 'CP-2', at: '2026-03-01T10:05:00Z', measurand: 'Current.Import', phase: 'L1', unit: 'A', value: 13 },
    ]);
    const queries = h.server.csms.services.get('queries');
    const from = new Date('2026-03-01T10:00:00Z');
    const to = new Date('2026-03-01T10:45:00Z');
    expect(await queries.sitePower({ from, to })).toEqual([
      { at: '2026-03-01T10:00:00.000Z', powerW: 17000 },
      { at: '2026-03-01T10:15:00.000Z', powerW: 6000 },
      { at: '2026-03-01T10:30:00.000Z', powerW: 0 },
    ]);
    expect(await queries.sitePower({ from, to, chargePointId: 'CP-2' })).toEqual([
      { at: '2026-03-01T10:00:00.000Z', powerW: 9000 },
      { at: '2026-03-01T10:15:00.000Z', powerW: 0 },
      { at: '2026-03-01T10:30:00.000Z', powerW: 0 },
    ]);
    expect(await queries.sitePower({ from, to: new Date('2026-03-01T11:00:00Z'), bucketMinutes: 60 })).toEqual([{ at: '2026-03-01T10:00:00.000Z', powerW: 16333.3 }]); // (7000 + 9000 + 6000) / 3 + 9000

    expect(await queries.meterSeries(tx1!)).toEqual([
      { measurand: 'Energy.Active.Import.Register', phase: null, unit: 'Wh', points: [[Date.parse('2026-03-01T10:01:00Z'), 100], [Date.parse('2026-03-01T10:14:59Z'), 2100]] },
      {
        measurand: 'Power.Active.Import',
        phase: null,
        unit: 'W',
        points: [[Date.parse('2026-03-01T10:01:00Z'), 7000], [Date.parse('2026-03-01T10:14:59Z'), 9000], [Date.parse('2026-03-01T10:20:00Z'), 6000]],
      },
    ]);
    expect((await queries.meterSeries(tx2!, { measurands: ['Current.Import'] })).map((s) => [s.measurand, s.phase, s.points.length])).toEqual([['Current.Import', 'L1', 1]]);
    expect(await queries.meterSeries(999_999)).toEqual([]);

    const analysis = await queries.sessionsForAnalysis({});
    expect(analysis).toEqual([
      {
        id: tx2,
        chargePointId: 'CP-2',
        connectorId: 1,
        idTag: 'TAG-1',
        startedAt: '2026-03-01T10:00:00.000Z',
        stoppedAt: '2026-03-01T11:00:00.000Z',
        energyWh: 9000,
        maxPowerW: 3000,
        avgPowerW: 9000,
        idleS: null,
        flags: ['clock-skew'],
      },
      expect.objectContaining({ id: tx1, energyWh: 4000, maxPowerW: 9000, avgPowerW: 8000 }),
    ]);
  });

  it('reads charge points with online status, status history and the audit log', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'cp-2'] });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const em = h.em();
    for (let i = 0; i < 3; i++) {
      em.create(StatusEventSchema, {
        chargePoint: 'CP-1',
        connectorId: i === 2 ? 2 : 1,
        status: ['Available', 'Charging', 'Faulted'][i]!,
        errorCode: 'NoError',
        info: null,
        vendorId: null,
        vendorErrorCode: null,
        timestamp: null,
        receivedAt: new Date(Date.parse('2026-03-01T10:00:00Z') + i * 60_000),
      });
    }
    for (const [actor, action] of [
      ['api:ops', 'Reset'],
      ['api:ops', 'ChangeSetting'],
      ['dashboard:ana', 'Reset'],
    ] as const) {
      em.create(AuditLogSchema, { at: new Date(), actor, action, chargePoint: action === 'Reset' ? 'CP-1' : null, request: {}, result: null, outcome: 'ok' });
    }
    await em.flush();
    const queries = h.server.csms.services.get('queries');

    const cps = await queries.chargePoints();
    expect(cps.map((c) => [c.id, c.online])).toEqual([
      ['CP-1', true],
      ['cp-2', false],
    ]);
    expect((await queries.chargePointPage({ online: false })).items.map((c) => c.id)).toEqual(['cp-2']);
    expect(await queries.chargePoint('cp-1')).toBeNull();
    expect(await queries.chargePoint('CP-1')).toMatchObject({ id: 'CP-1', online: true, registrationStatus: 'Accepted' });

    const history = await queries.statusHistory('CP-1');
    expect(history.filter((e) => e.receivedAt!.startsWith('2026-03-01')).map((e) => e.status)).toEqual(['Faulted', 'Charging', 'Available']);
    expect((await queries.statusHistory('CP-1', { connectorId: 1, before: new Date('2026-03-01T10:01:00Z') })).map((e) => e.status)).toEqual(['Available']);
    expect((await queries.statusHistory('CP-1', { limit: 1 })).length).toBe(1);
    expect(await queries.statusHistoryPage('NOPE')).toBeNull();

    expect((await queries.auditLog({ action: 'Reset' })).total).toBe(2);
    expect((await queries.auditLog({ actor: 'api:ops' })).items.map((a) => a.action)).toEqual(['ChangeSetting', 'Reset']);
    expect((await queries.auditLog({ chargePointId: 'CP-1', limit: 1 })).items).toHaveLength(1);
  });
});

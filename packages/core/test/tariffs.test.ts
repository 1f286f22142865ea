/**
 * Tariffs end to end: a real CSMS, a fake charge point over a real websocket, sessions with
 * controlled charge point timestamps and meter values, and the cost stored on the transaction.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../src/clock.js';
import type { TariffSettings } from '../src/domain/settings/settings-service.js';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { TransactionSchema } from '../src/persistence/entities/index.js';
import { closeRulesHarnesses, startRules, type RulesHarness } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

/** Charge point clock: minutes after a base three hours ago (sessions end before "now"). */
const base = Date.now() - 3 * 3_600_000;
const t = (minutes: number) => new Date(base + minutes * 60_000);
const ts = (minutes: number) => t(minutes).toISOString();

const KNOWN: TariffSettings = { energyPricePerKwh: 2_467, pricePerMinute: 50, idleFeePerMinute: 1_000, idleGraceMinutes: 15, taxPercent: 11 };
const ZERO: TariffSettings = { energyPricePerKwh: 0, pricePerMinute: 0, idleFeePerMinute: 0, idleGraceMinutes: 0, taxPercent: 0 };

async function transaction(h: RulesHarness, id: number) {
  return h.em().findOneOrFail(TransactionSchema, { id });
}

describe.each(testDatabases())('tariffs on $name', (db) => {
  it('stores the exact cost of a known session: 12.345 kWh, 95 min, idle after SuspendedEV, PPN 11 %', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' } });
    await h.server.csms.services.get('settings').set('tariff', KNOWN, 'test');
    const cp = await h.connect('CP-1');
    await cp.boot();

    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 100_000, timestamp: ts(0) });
    await cp.status(1, 'Charging', 'NoError', ts(0.1));
    await cp.meterValues({ connectorId: 1, transactionId, energyWh: 106_000, timestamp: ts(30) });
    // The car pauses and resumes (not idle), then is full at minute 65 and stays plugged in.
    await cp.status(1, 'SuspendedEV', 'NoError', ts(40));
    await cp.status(1, 'Charging', 'NoError', ts(42));
    await cp.status(1, 'SuspendedEV', 'NoError', ts(65));
    await cp.stopTransaction({ transactionId, idTag: 'ALICE', meterStop: 112_345, timestamp: ts(95), reason: 'EVDisconnected' });

    const tx = await transaction(h, transactionId);
    // 12.345 kWh × 2467 = 30455.115 → 30455; 95 min × 50 = 4750; (30 − 15) min × 1000 = 15000;
    // net 50205; PPN 11 % = 5522.55 → 5523; total 55728.
    expect(tx.cost).toBe(55_728);
    expect(tx.costBreakdown).toEqual({
      currency: 'IDR',
      tariff: KNOWN,
      energyWh: 12_345,
      startedAt: ts(0),
      endedAt: ts(95),
      timeSource: 'charge-point',
      durationMs: 95 * 60_000,
      chargingEndedAt: ts(65),
      idleMs: 30 * 60_000,
      billedIdleMs: 15 * 60_000,
      energy: 30_455,
      time: 4_750,
      idle: 15_000,
      net: 50_205,
      tax: 5_523,
      total: 55_728,
      rounding: 'half-up-per-part',
    });

    // The stored cost is what liveCost reports for a stopped transaction, and a quote of the same session agrees.
    const tariffs = h.server.csms.services.get('tariffs');
    const live = await tariffs.liveCost(transactionId);
    expect(live).toMatchObject({ transactionId, chargePointId: 'CP-1', status: 'Completed', final: true, energyWh: 12_345, total: 55_728, tax: 5_523 });
    expect(live.at).toEqual(t(95));
    expect(await tariffs.quote({ energyWh: 12_345, minutes: 95, idleMinutes: 30 })).toMatchObject({ energy: 30_455, time: 4_750, idle: 15_000, total: 55_728 });

    // A repeated Stop changes nothing.
    await cp.stopTransaction({ transactionId, idTag: 'ALICE', meterStop: 112_345, timestamp: ts(95), reason: 'EVDisconnected' });
    expect((await transaction(h, transactionId)).cost).toBe(55_728);
  });

  it('a session that charges until the stop has no idle fee; a zero tariff costs nothing', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' } });
    const settings = h.server.csms.services.get('settings');
    await settings.set('tariff', KNOWN, 'test');
    const cp = await h.connect('CP-1');
    await cp.boot();

    const a = await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 0, timestamp: ts(0) });
    await cp.status(1, 'SuspendedEV', 'NoError', ts(1));
    await cp.status(1, 'Charging', 'NoError', ts(2));
    await cp.stopTransaction({ transactionId: a.transactionId, meterStop: 10_000, timestamp: ts(60) });
    expect((await transaction(h, a.transactionId)).costBreakdown).toMatchObject({ chargingEndedAt: null, idle: 0, energy: 24_670, time: 3_000, net: 27_670, tax: 3_044, total: 30_714 });

    await settings.set('tariff', ZERO, 'test');
    const b = await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 10_000, timestamp: ts(70) });
    await cp.status(1, 'SuspendedEV', 'NoError', ts(71));
    await cp.stopTransaction({ transactionId: b.transactionId, meterStop: 50_000, timestamp: ts(170) });
    const zero = await transaction(h, b.transactionId);
    expect(zero.cost).toBe(0);
    expect(zero.costBreakdown).toMatchObject({ tariff: ZERO, energyWh: 40_000, energy: 0, time: 0, idle: 0, net: 0, tax: 0, total: 0 });
  });

  it('rounds the tax half-up on the net: 45 Wh at Rp 1,000/kWh is 45 + 4.95 → 50; 50 Wh is 50 + 5.5 → 56', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' } });
    await h.server.csms.services.get('settings').set('tariff', { ...ZERO, energyPricePerKwh: 1_000, taxPercent: 11 }, 'test');
    const cp = await h.connect('CP-1');
    await cp.boot();
    const totals = [];
    for (const [connectorId, wh] of [[1, 45], [2, 50], [3, 4]] as const) {
      const { transactionId } = await cp.startTransaction({ connectorId, idTag: 'ALICE', meterStart: 1_000, timestamp: ts(0) });
      await cp.stopTransaction({ transactionId, meterStop: 1_000 + wh, timestamp: ts(1) });
      const tx = await transaction(h, transactionId);
      totals.push([tx.costBreakdown?.net, tx.costBreakdown?.tax, tx.cost]);
    }
    expect(totals).toEqual([
      [45, 5, 50],
      [50, 6, 56],
      [4, 0, 4],
    ]);
  });

  it('a tariff change applies to sessions started afterwards; a running session keeps the price it started with', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted', BOB: 'Accepted' } });
    const settings = h.server.csms.services.get('settings');
    const cheap: TariffSettings = { ...ZERO, energyPricePerKwh: 1_000 };
    const dear: TariffSettings = { ...ZERO, energyPricePerKwh: 3_000 };
    await settings.set('tariff', cheap, 'test');
    const cp = await h.connect('CP-1');
    await cp.boot();

    const a = await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 0, timestamp: ts(0) });
    expect((await transaction(h, a.transactionId)).costBreakdown).toEqual({ tariff: cheap, tariffAt: expect.any(String) });
    await settings.set('tariff', dear, 'test');
    const b = await cp.startTransaction({ connectorId: 2, idTag: 'BOB', meterStart: 0, timestamp: ts(1) });

    // Live: A still at the old price, B at the new one.
    await cp.meterValues({ connectorId: 1, transactionId: a.transactionId, energyWh: 2_000, timestamp: ts(10) });
    await cp.meterValues({ connectorId: 2, transactionId: b.transactionId, energyWh: 2_000, timestamp: ts(10) });
    const tariffs = h.server.csms.services.get('tariffs');
    expect(await tariffs.liveCost(a.transactionId)).toMatchObject({ final: false, status: 'Active', energyWh: 2_000, energy: 2_000 });
    expect(await tariffs.liveCost(b.transactionId)).toMatchObject({ final: false, status: 'Active', energyWh: 2_000, energy: 6_000 });

    await cp.stopTransaction({ transactionId: a.transactionId, meterStop: 5_000, timestamp: ts(20) });
    await cp.stopTransaction({ transactionId: b.transactionId, meterStop: 5_000, timestamp: ts(20) });
    expect((await transaction(h, a.transactionId)).costBreakdown).toMatchObject({ tariff: cheap, total: 5_000 });
    expect((await transaction(h, b.transactionId)).costBreakdown).toMatchObject({ tariff: dear, total: 15_000 });
  });

  it('a running session without a tariff snapshot (started before tariffs were recorded) is priced with the tariff at its stop', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' } });
    await h.server.csms.services.get('settings').set('tariff', { ...ZERO, energyPricePerKwh: 2_000 }, 'test');
    const cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 0, timestamp: ts(0) });
    const em = h.em();
    await em.nativeUpdate(TransactionSchema, { id: transactionId }, { costBreakdown: null });
    await cp.stopTransaction({ transactionId, meterStop: 1_500, timestamp: ts(5) });
    expect(await transaction(h, transactionId)).toMatchObject({ cost: 3_000, costBreakdown: expect.objectContaining({ tariff: { ...ZERO, energyPricePerKwh: 2_000 } }) });
  });

  it('a charger whose clock was unset (1970) or ahead is billed by the receive times, not for decades', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { ALICE: 'Accepted' } });
    await h.server.csms.services.get('settings').set('tariff', { ...ZERO, energyPricePerKwh: 1_000, pricePerMinute: 50 }, 'test');
    const cp = await h.connect('CP-1');
    await cp.boot();
    const unset = await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 0, timestamp: '1970-01-01T00:00:05.000Z' });
    await cp.stopTransaction({ transactionId: unset.transactionId, meterStop: 2_000, timestamp: new Date().toISOString() });
    const ahead = await cp.startTransaction({ connectorId: 2, idTag: 'ALICE', meterStart: 0, timestamp: ts(0) });
    await cp.stopTransaction({ transactionId: ahead.transactionId, meterStop: 2_000, timestamp: new Date(Date.now() + 86_400_000).toISOString() });

    for (const id of [unset.transactionId, ahead.transactionId]) {
      const tx = await transaction(h, id);
      const durationMs = tx.stopReceivedAt!.getTime() - tx.startReceivedAt.getTime();
      expect(tx.costBreakdown).toMatchObject({
        timeSource: 'server',
        startedAt: tx.startReceivedAt.toISOString(),
        endedAt: tx.stopReceivedAt!.toISOString(),
        durationMs,
        energy: 2_000,
        time: Math.floor((durationMs * 50 + 30_000) / 60_000),
      });
    }
  });

  it('live cost: latest energy register sample (or meterStart), the clock’s now, idle since SuspendedEV; scoped and clear when unknown', async () => {
    let now = t(0);
    const clock: Clock = { now: () => now };
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'], idTags: { ALICE: 'Accepted' }, clock });
    await h.server.csms.services.get('settings').set('tariff', KNOWN, 'test');
    const cp = await h.connect('CP-1');
    await cp.boot();
    const tariffs = h.server.csms.services.get('tariffs');

    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: 'ALICE', meterStart: 100_000, timestamp: ts(0) });
    now = t(10);
    // No sample yet: meterStart, 10 minutes.
    expect(await tariffs.liveCost(transactionId)).toMatchObject({ final: false, energyWh: 0, energy: 0, time: 500, idle: 0, net: 500, tax: 55, total: 555 });

    await cp.meterValues({ connectorId: 1, transactionId, energyWh: 104_000, timestamp: ts(20) });
    await cp.meterValues({ connectorId: 1, transactionId, energyWh: 110_000, timestamp: ts(40) });
    await cp.status(1, 'SuspendedEV', 'NoError', ts(40));
    now = t(60);
    const live = await tariffs.liveCost(transactionId, { chargePointId: 'CP-1' });
    // 10 kWh × 2467 = 24670; 60 min × 50 = 3000; idle 20 − 15 = 5 min × 1000 = 5000; net 32670; tax 3593.7 → 3594.
    expect(live).toMatchObject({ transactionId, status: 'Active', final: false, energyWh: 10_000, energy: 24_670, time: 3_000, idle: 5_000, net: 32_670, tax: 3_594, total: 36_264 });
    expect(live.at).toEqual(t(60));
    expect(live.breakdown.chargingEndedAt).toBe(ts(40));

    await expect(tariffs.liveCost(transactionId, { chargePointId: 'CP-2' })).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND });
    await expect(tariffs.liveCost(transactionId + 1000)).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND, message: expect.stringContaining(`transaction ${transactionId + 1000} not found`) });
  });

  it('quote: current tariff or a given one, with clear errors for bad input', async () => {
    const h = await startRules(db);
    const tariffs = h.server.csms.services.get('tariffs');
    // The default tariff (Rp 2,467/kWh, PPN 11 %): 10 kWh = 24670 + 2713.7 → 2714.
    expect(await tariffs.current()).toMatchObject({ energyPricePerKwh: 2_467, taxPercent: 11 });
    expect(await tariffs.quote({ energyWh: 10_000 })).toMatchObject({ energy: 24_670, tax: 2_714, total: 27_384 });
    expect(await tariffs.quote({ energyWh: 0, minutes: 30, idleMinutes: 20, tariff: { ...ZERO, idleFeePerMinute: 100, idleGraceMinutes: 5 } })).toMatchObject({ idle: 1_500, total: 1_500 });
    await expect(tariffs.quote({ energyWh: -1, minutes: 5, idleMinutes: 10 })).rejects.toMatchObject({
      code: CsmsErrorCode.INPUT_INVALID,
      details: { fields: { energyWh: 'must be a number ≥ 0', idleMinutes: 'must not be more than minutes' } },
    });
  });
});

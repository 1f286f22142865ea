import { describe, expect, it } from 'vitest';
import { chargersOf, history, recordsOf } from '../../test/support/synthetic.js';
import { seededRandom, gaussian } from '../random.js';
import type { SessionRecord } from '../types.js';
import { adviseLoad } from './load-advice.js';
import { REGRESSION_MIN_SESSIONS, predictSession, trainSessionRegression } from './session-regression.js';

const H = 3_600_000;
const D = 24 * H;

describe('session regression and load advice', () => {
  it('recovers known coefficients', () => {
    // energy = 8 + 3 × days since the driver's last session (capped at 7) + 4 on weekends + noise;
    // duration = 1 + 0.5 × days since + noise. Every driver has the same habits otherwise.
    const rand = seededRandom(11);
    const sessions: SessionRecord[] = [];
    let id = 1;
    for (let d = 0; d < 20; d++) {
      const tag = `T${d}`;
      let t = Date.UTC(2026, 0, 5, 8) + d * H;
      for (let k = 0; k < 30; k++) {
        const gap = 0.5 + rand() * 6;
        t += gap * D;
        const since = k === 0 ? 7 : Math.min(7, gap);
        const weekend = [0, 6].includes(new Date(t).getUTCDay()) ? 1 : 0;
        const kwh = 8 + 3 * since + 4 * weekend + gaussian(rand, 0, 0.5);
        const hours = 1 + 0.5 * since + gaussian(rand, 0, 0.1);
        sessions.push({ id: id++, chargePointId: 'CP', connectorId: 1, idTag: tag, startedAt: t, stoppedAt: t + hours * H, energyWh: kwh * 1000, maxPowerW: null, avgPowerW: null, idleS: null, flags: [] });
      }
    }
    const out = trainSessionRegression(sessions, [{ id: 'CP', maxPowerKw: 22, connectorIds: [1] }], { timeZone: 'UTC' });
    if (out.status !== 'ok') throw new Error(out.message);
    const e = out.result.coefficients.energyKwh;
    expect(e.daysSinceLast).toBeCloseTo(3, 0);
    expect(Math.abs(e.daysSinceLast - 3)).toBeLessThan(0.25);
    expect(Math.abs(e.weekend - 4)).toBeLessThan(0.5);
    expect(Math.abs(out.result.coefficients.durationH.daysSinceLast - 0.5)).toBeLessThan(0.1);
    expect(out.metric.beatsBaseline).toBe(true);
  });

  it('beats the per-idTag mean on generated history and predicts a session from its start', () => {
    const h = history();
    const out = trainSessionRegression(recordsOf(h), chargersOf(h), { timeZone: 'Asia/Jakarta' });
    if (out.status !== 'ok') throw new Error(out.message);
    expect(out.metric.name).toBe('MAE energy (kWh)');
    expect(out.metric.value!).toBeLessThan(out.metric.baseline!.value!);
    const taxi = predictSession(out.result.model, { idTag: 'SYN-FT001', chargePointId: 'SYN-DC-1', startedAt: h.to.getTime() });
    const visitor = predictSession(out.result.model, { idTag: 'SYN-WV001', chargePointId: 'SYN-CP-1', startedAt: h.to.getTime() });
    expect(taxi.energyWh).toBeGreaterThan(visitor.energyWh);
    expect(taxi.idTagSessions).toBeGreaterThan(10);
    const stranger = predictSession(out.result.model, { idTag: 'NEW', chargePointId: 'SYN-CP-1', startedAt: h.to.getTime() });
    expect(stranger.idTagSessions).toBe(0);
    expect(stranger.energyWh).toBeGreaterThan(0);
  });

  it('advises throttling a session with time to spare and not one about to leave', () => {
    const h = history();
    const out = trainSessionRegression(recordsOf(h), chargersOf(h), { timeZone: 'Asia/Jakarta' });
    if (out.status !== 'ok') throw new Error(out.message);
    const now = h.to.getTime();
    // A daytime worker who arrived an hour ago (stays ~7 h) at 11 kW, and a taxi at the DC charger for 50 min.
    const advice = adviseLoad(
      out.result.model,
      [
        { transactionId: 1, chargePointId: 'SYN-CP-1', connectorId: 1, idTag: 'SYN-DW001', startedAt: now - H, energyWh: 8000, powerW: 11000 },
        { transactionId: 2, chargePointId: 'SYN-DC-1', connectorId: 1, idTag: 'SYN-FT001', startedAt: now - 50 * 60_000, energyWh: 30000, powerW: 40000 },
      ],
      now,
    );
    const worker = advice.sessions.find((s) => s.transactionId === 1)!;
    expect(worker.throttleable).toBe(true);
    expect(worker.suggestedLimitW!).toBeLessThan(11000);
    expect(worker.suggestedLimitW!).toBeGreaterThanOrEqual(1400);
    // At the suggested limit it still gets its expected energy before the expected departure.
    const hoursLeft = (Date.parse(worker.expectedDepartureAt) - now) / H;
    expect(worker.suggestedLimitW! * hoursLeft).toBeGreaterThanOrEqual(worker.remainingEnergyWh);
    const taxi = advice.sessions.find((s) => s.transactionId === 2)!;
    expect(taxi.throttleable).toBe(false);
    expect(advice.totalFreeableW).toBe(worker.freeableW);
  });

  it('says "not enough data yet" below the minimum', () => {
    expect(trainSessionRegression([], [])).toMatchObject({ status: 'not-enough-data', have: 0, need: REGRESSION_MIN_SESSIONS });
  });
});

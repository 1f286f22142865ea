import { describe, expect, it } from 'vitest';
import { chargersOf, history, recordsOf } from '../../test/support/synthetic.js';
import { AVAILABILITY_MIN_HOURS, trainAvailability } from './availability.js';

describe('connector availability per hour of the week', () => {
  it('learns when connectors are taken and beats the constant rate on the held-back week', () => {
    const h = history();
    const out = trainAvailability(recordsOf(h), chargersOf(h), { from: h.from.getTime(), to: h.to.getTime() }, { timeZone: 'Asia/Jakarta' });
    if (out.status !== 'ok') throw new Error(out.message);
    expect(out.metric.beatsBaseline).toBe(true);
    expect(out.result.connectors).toHaveLength(5);
    for (const c of out.result.connectors) {
      expect(c.freeProbability).toHaveLength(168);
      for (const p of c.freeProbability) expect(p).toBeGreaterThanOrEqual(0), expect(p).toBeLessThanOrEqual(1);
    }
    // AC chargers: free at 03:00 on a Tuesday, mostly taken at 10:00 on a Tuesday (daytime workers).
    const ac = out.result.connectors.find((c) => c.chargePointId === 'SYN-CP-1' && c.connectorId === 1)!;
    expect(ac.freeProbability[24 + 3]!).toBeGreaterThan(0.9);
    expect(ac.freeProbability[24 + 10]!).toBeLessThan(0.5);
    expect(out.result.site).toHaveLength(168);
  });

  it('says "not enough data yet" for empty or short history', () => {
    const to = Date.UTC(2026, 5, 1);
    expect(trainAvailability([], [], { from: to - 90 * 86_400_000, to })).toMatchObject({ status: 'not-enough-data', have: 0, need: AVAILABILITY_MIN_HOURS });
    const h = history({ days: 5 });
    expect(trainAvailability(recordsOf(h), chargersOf(h), { from: h.from.getTime(), to: h.to.getTime() })).toMatchObject({ status: 'not-enough-data', need: AVAILABILITY_MIN_HOURS });
  });
});

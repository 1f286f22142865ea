import { describe, expect, it } from 'vitest';
import { failSafeLimits } from './fail-safe-limits.js';

describe('failSafeLimits', () => {
  it('caps each charger at its share when every other charger runs at the minimum, and starts sessions at the minimum', () => {
    const limits = failSafeLimits({
      siteLimitKw: 30,
      minPerSessionKw: 1.4,
      chargers: [
        { chargePointId: 'A', maxKw: 22 },
        { chargePointId: 'B', maxKw: 50 },
        { chargePointId: 'C', maxKw: 7.4 },
      ],
    });
    // 30 − 2 × 1.4 = 27.2 kW, never above the charger's own maximum.
    expect(Object.fromEntries(limits)).toEqual({
      A: { chargePointMaxW: 22_000, txDefaultW: 1_400 },
      B: { chargePointMaxW: 27_200, txDefaultW: 1_400 },
      C: { chargePointMaxW: 7_400, txDefaultW: 1_400 },
    });
  });

  it('never goes below an equal split of the site (many chargers, high minimum)', () => {
    const chargers = Array.from({ length: 10 }, (_, i) => ({ chargePointId: `CP-${i}`, maxKw: 22 }));
    const limits = failSafeLimits({ siteLimitKw: 20, minPerSessionKw: 4, chargers });
    // 20 − 9 × 4 < 0, so 20 / 10 = 2 kW each; the TxDefaultProfile never exceeds the charger's cap.
    expect(limits.get('CP-0')).toEqual({ chargePointMaxW: 2_000, txDefaultW: 2_000 });
  });

  it('gives a single charger the whole site (up to its maximum)', () => {
    expect(failSafeLimits({ siteLimitKw: 11, minPerSessionKw: 1.4, chargers: [{ chargePointId: 'A', maxKw: 22 }] }).get('A')).toEqual({ chargePointMaxW: 11_000, txDefaultW: 1_400 });
  });

  it('returns nothing without chargers', () => {
    expect(failSafeLimits({ siteLimitKw: 11, minPerSessionKw: 1.4, chargers: [] }).size).toBe(0);
  });
});

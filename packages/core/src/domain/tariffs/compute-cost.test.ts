import { describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../../kernel/errors.js';
import type { TariffSettings } from '../settings/settings-service.js';
import { computeCost, tariffFromBreakdown } from './compute-cost.js';

const T0 = new Date('2026-03-01T08:00:00.000Z');
const min = (m: number) => new Date(T0.getTime() + m * 60_000);
const tariff = (t: Partial<TariffSettings> = {}): TariffSettings => ({
  energyPricePerKwh: 0,
  pricePerMinute: 0,
  idleFeePerMinute: 0,
  idleGraceMinutes: 0,
  taxPercent: 0,
  ...t,
});

describe('computeCost', () => {
  it('prices a known session exactly: 12.345 kWh at Rp 2,467, 95 min at Rp 50, 30 min idle (15 grace) at Rp 1,000, PPN 11 %', () => {
    const cost = computeCost({
      tariff: { energyPricePerKwh: 2_467, pricePerMinute: 50, idleFeePerMinute: 1_000, idleGraceMinutes: 15, taxPercent: 11 },
      energyWh: 12_345,
      startedAt: T0,
      endedAt: min(95),
      chargingEndedAt: min(65),
    });
    // 12.345 × 2467 = 30455.115 → 30455; 95 × 50 = 4750; (30 − 15) × 1000 = 15000;
    // net 50205; tax 50205 × 11 % = 5522.55 → 5523; total 55728.
    expect(cost).toMatchObject({ energy: 30_455, time: 4_750, idle: 15_000, net: 50_205, tax: 5_523, total: 55_728 });
    expect(cost.breakdown).toEqual({
      currency: 'IDR',
      tariff: { energyPricePerKwh: 2_467, pricePerMinute: 50, idleFeePerMinute: 1_000, idleGraceMinutes: 15, taxPercent: 11 },
      energyWh: 12_345,
      startedAt: T0.toISOString(),
      endedAt: min(95).toISOString(),
      timeSource: 'charge-point',
      durationMs: 95 * 60_000,
      chargingEndedAt: min(65).toISOString(),
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
  });

  it('rounds each part half-up to whole rupiah', () => {
    const energy = (wh: number) => computeCost({ tariff: tariff({ energyPricePerKwh: 1 }), energyWh: wh, startedAt: T0, endedAt: T0 }).energy;
    expect([energy(499), energy(500), energy(1_499), energy(1_500), energy(2_500)]).toEqual([0, 1, 1, 2, 3]);
    // Per-minute prices are pro rata to the millisecond: 29.4 s and 30.6 s at Rp 1/min.
    const time = (ms: number) => computeCost({ tariff: tariff({ pricePerMinute: 1 }), energyWh: 0, startedAt: T0, endedAt: new Date(T0.getTime() + ms) }).time;
    expect([time(29_400), time(30_000), time(30_600), time(90_000)]).toEqual([0, 1, 1, 2]);
    // Fractional Wh (a live estimate from a kWh sample) count as whole Wh.
    expect(energy(1_499.6)).toBe(2);
  });

  it('computes the tax on the rounded net, half-up, also for a fractional percentage', () => {
    const tax = (energyWh: number, taxPercent: number) => computeCost({ tariff: tariff({ energyPricePerKwh: 1_000, taxPercent }), energyWh, startedAt: T0, endedAt: T0 });
    expect(tax(50, 11)).toMatchObject({ net: 50, tax: 6, total: 56 }); // 5.5 → 6
    expect(tax(45, 11)).toMatchObject({ net: 45, tax: 5, total: 50 }); // 4.95 → 5
    expect(tax(4, 11)).toMatchObject({ net: 4, tax: 0, total: 4 }); // 0.44 → 0
    expect(tax(100, 11.5)).toMatchObject({ net: 100, tax: 12, total: 112 }); // 11.5 → 12
    expect(tax(1_000, 0)).toMatchObject({ net: 1_000, tax: 0, total: 1_000 });
    // Large amounts stay exact: Rp 1,234,567,891 × 11 % = 135,802,468.01 → 135,802,468.
    expect(tax(1_234_567_891, 11)).toMatchObject({ net: 1_234_567_891, tax: 135_802_468, total: 1_370_370_359 });
  });

  it('a zero tariff costs nothing', () => {
    const cost = computeCost({ tariff: tariff(), energyWh: 50_000, startedAt: T0, endedAt: min(600), chargingEndedAt: min(10) });
    expect(cost).toMatchObject({ energy: 0, time: 0, idle: 0, net: 0, tax: 0, total: 0 });
  });

  it('idle: only after the grace period, never negative, clamped into the session', () => {
    const idle = (chargingEndedAt: Date | null | undefined, grace = 10) =>
      computeCost({ tariff: tariff({ idleFeePerMinute: 100, idleGraceMinutes: grace }), energyWh: 0, startedAt: T0, endedAt: min(60), chargingEndedAt });
    expect(idle(undefined).idle).toBe(0);
    expect(idle(null).idle).toBe(0);
    expect(idle(min(55)).breakdown).toMatchObject({ idleMs: 300_000, billedIdleMs: 0, idle: 0 }); // within grace
    expect(idle(min(45)).idle).toBe(500); // 15 − 10 min
    expect(idle(min(45), 0).idle).toBe(1_500);
    expect(idle(min(-30), 0).breakdown).toMatchObject({ chargingEndedAt: T0.toISOString(), idle: 6_000 }); // before start: from start
    expect(idle(min(90), 0).breakdown).toMatchObject({ chargingEndedAt: min(60).toISOString(), idle: 0 }); // after stop: none
  });

  it('never bills negative energy or negative time', () => {
    const cost = computeCost({ tariff: tariff({ energyPricePerKwh: 2_467, pricePerMinute: 50 }), energyWh: -500, startedAt: min(10), endedAt: T0 });
    expect(cost).toMatchObject({ energy: 0, time: 0, total: 0 });
    expect(cost.breakdown).toMatchObject({ energyWh: 0, durationMs: 0 });
  });

  it('refuses a tariff that is not in whole rupiah', () => {
    expect(() => computeCost({ tariff: tariff({ energyPricePerKwh: 2_467.5 }), energyWh: 1, startedAt: T0, endedAt: T0 })).toThrow(
      expect.objectContaining({ code: CsmsErrorCode.SETTING_INVALID, details: { fields: { 'tariff.energyPricePerKwh': 'must be a whole number ≥ 0' } } }),
    );
  });
});

describe('tariffFromBreakdown', () => {
  it('reads the snapshot kept on a transaction, ignores a missing or malformed one', () => {
    const t = tariff({ energyPricePerKwh: 2_467, taxPercent: 11 });
    expect(tariffFromBreakdown({ tariff: { ...t, extra: 1 }, tariffAt: 'x' })).toEqual(t);
    expect(tariffFromBreakdown(null)).toBeNull();
    expect(tariffFromBreakdown({})).toBeNull();
    expect(tariffFromBreakdown({ tariff: { ...t, pricePerMinute: '50' } })).toBeNull();
    expect(tariffFromBreakdown({ tariff: { ...t, energyPricePerKwh: 1.5 } })).toBeNull();
  });
});

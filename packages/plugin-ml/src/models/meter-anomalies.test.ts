import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import { METER_ANOMALIES_MIN_INTERVALS, trainMeterAnomalies, type MeterStream } from './meter-anomalies.js';

function streams(count: number): MeterStream[] {
  const rand = seededRandom(4);
  const out: MeterStream[] = [];
  let register = 1_000_000;
  for (let t = 0; t < count; t++) {
    const start = Date.UTC(2026, 2, 1) + t * 5 * 3_600_000;
    const kw = 6 + rand() * 5;
    const energy: [number, number][] = [];
    const power: [number, number][] = [];
    for (let i = 0; i <= 12; i++) {
      energy.push([start + i * 300_000, Math.round(register)]);
      power.push([start + i * 300_000, Math.round(kw * 1000 * (0.95 + rand() * 0.1))]);
      register += (kw * 1000 * 300) / 3600;
    }
    out.push({ transactionId: t + 1, chargePointId: 'CP-1', connectorId: 1, energy, power });
  }
  return out;
}

describe('meter stream anomalies', () => {
  it('finds a register reset, an implausible jump and power above the rating, explained', () => {
    const s = streams(30);
    s[5]!.energy[6]![1] = 120; // reset to ~0
    for (let i = 7; i < s[5]!.energy.length; i++) s[5]!.energy[i]![1] = 120 + (i - 6) * 900;
    s[12]!.energy[4]![1] += 40_000; // +40 kWh in 5 minutes
    for (let i = 5; i < s[12]!.energy.length; i++) s[12]!.energy[i]![1] += 40_000;
    s[20]!.power[3]![1] = 31_000; // above the 22 kW rating
    const out = trainMeterAnomalies(s, { 'CP-1': 22 }, { seed: 1 });
    if (out.status !== 'ok') throw new Error(out.message);
    const kinds = out.result.anomalies.filter((a) => a.kind !== 'unusual-pattern');
    expect(kinds.map((a) => [a.kind, a.transactionId]).sort()).toEqual([
      ['implausible-jump', 13],
      ['power-above-rating', 21],
      ['register-reset', 6],
    ]);
    expect(kinds.find((a) => a.kind === 'register-reset')!.explanation).toMatch(/went backwards from \d+ Wh to 120 Wh/);
    expect(kinds.find((a) => a.kind === 'implausible-jump')!.explanation).toMatch(/rose by 40\.\d+ kWh in 300 s, which would need \d+ kW; the charger is rated 22 kW/);
    expect(kinds.find((a) => a.kind === 'power-above-rating')!.explanation).toBe("a power reading of 31 kW is above the charger's 22 kW rating");
    expect(out.metric.name).toBe('precision@k');
    expect(out.metric.beatsBaseline).toBe(true);
  });

  it('says "not enough data yet" with too few readings', () => {
    expect(trainMeterAnomalies([], {})).toMatchObject({ status: 'not-enough-data', have: 0, need: METER_ANOMALIES_MIN_INTERVALS });
    expect(trainMeterAnomalies(streams(2), {})).toMatchObject({ status: 'not-enough-data', have: 24 });
  });
});

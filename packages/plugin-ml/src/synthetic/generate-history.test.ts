import { describe, expect, it } from 'vitest';
import { localParts } from '../time.js';
import { generateSyntheticHistory } from './generate-history.js';

describe('synthetic history generator', () => {
  const end = new Date('2026-11-30T00:00:00Z');

  it('is deterministic with a seed and differs with another seed', () => {
    const a = generateSyntheticHistory({ days: 30, seed: 7, end });
    const b = generateSyntheticHistory({ days: 30, seed: 7, end });
    const c = generateSyntheticHistory({ days: 30, seed: 8, end });
    expect(a.sessions).toEqual(b.sessions);
    expect(a.sessions).not.toEqual(c.sessions);
  });

  it('never double-books a connector and keeps every session consistent', () => {
    const h = generateSyntheticHistory({ days: 60, seed: 3, end });
    const byConnector = new Map<string, { s: number; e: number }[]>();
    for (const s of h.sessions) {
      expect(s.startedAt.getTime()).toBeLessThanOrEqual(s.chargingEndedAt.getTime());
      expect(s.chargingEndedAt.getTime()).toBeLessThanOrEqual(s.stoppedAt.getTime());
      expect(s.stoppedAt.getTime()).toBeLessThanOrEqual(end.getTime());
      expect(s.energyWh).toBeGreaterThan(0);
      const k = `${s.chargePointId}/${s.connectorId}`;
      byConnector.set(k, [...(byConnector.get(k) ?? []), { s: s.startedAt.getTime(), e: s.stoppedAt.getTime() }]);
    }
    for (const list of byConnector.values()) {
      list.sort((x, y) => x.s - y.s);
      for (let i = 1; i < list.length; i++) expect(list[i]!.s).toBeGreaterThanOrEqual(list[i - 1]!.e);
    }
    expect(h.sessions.filter((s) => s.anomaly).length).toBe(8);
  });

  it('has daily, weekly and holiday patterns', () => {
    const h = generateSyntheticHistory({ days: 120, seed: 5, end, timeZone: 'Asia/Jakarta' });
    const commuters = h.sessions.filter((s) => s.driverType === 'evening-commuter' && !s.anomaly);
    const hours = commuters.map((s) => localParts(s.startedAt.getTime(), 'Asia/Jakarta').hour);
    expect(hours.filter((x) => x >= 16 && x <= 21).length / hours.length).toBeGreaterThan(0.9);
    const workers = h.sessions.filter((s) => s.driverType === 'daytime-worker');
    const weekend = workers.filter((s) => localParts(s.startedAt.getTime(), 'Asia/Jakarta').weekday >= 5).length;
    expect(weekend / workers.length).toBeLessThan(0.05);
    // 17 August (Independence Day) is a holiday: almost no daytime workers.
    const onHoliday = workers.filter((s) => localParts(s.startedAt.getTime(), 'Asia/Jakarta').date === '2026-08-17').length;
    expect(onHoliday).toBeLessThanOrEqual(1);
    const visitors = h.sessions.filter((s) => s.driverType === 'weekend-visitor');
    expect(visitors.filter((s) => localParts(s.startedAt.getTime(), 'Asia/Jakarta').weekday >= 5).length / visitors.length).toBeGreaterThan(0.6);
  });
});

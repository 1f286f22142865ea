import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChargingProfile } from '../ocpp/ocpp-types.js';
import { ChargingProfileStore } from './charging-profile-store.js';

const T0 = Date.parse('2025-01-06T00:00:00Z');

function profile(p: Partial<ChargingProfile> & { periods: Array<[number, number]> }): ChargingProfile {
  const { periods, ...rest } = p;
  return {
    chargingProfileId: 1,
    stackLevel: 0,
    chargingProfilePurpose: 'TxDefaultProfile',
    chargingProfileKind: 'Absolute',
    chargingSchedule: { chargingRateUnit: 'W', startSchedule: new Date(T0).toISOString(), chargingSchedulePeriod: periods.map(([startPeriod, limit]) => ({ startPeriod, limit })) },
    ...rest,
  };
}

describe('ChargingProfileStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('highest stack level wins; TxProfile beats TxDefault; ChargePointMax caps and is shared', () => {
    const s = new ChargingProfileStore({ file: join(dir, 'p.json'), voltageV: 230 });
    s.install(0, profile({ chargingProfileId: 1, stackLevel: 0, periods: [[0, 7000]] }), T0);
    s.install(0, profile({ chargingProfileId: 2, stackLevel: 2, periods: [[0, 5000], [3600, 3000]] }), T0);
    const c1 = { connectorId: 1, maxPowerW: 11_000, transaction: { startMs: T0, transactionId: 9 } };
    const c2 = { connectorId: 2, maxPowerW: 11_000 };
    expect(s.effectiveLimitsW([c1, c2], T0 + 10_000).get(1)).toBe(5000);
    expect(s.effectiveLimitsW([c1, c2], T0 + 3_700_000).get(1)).toBe(3000);
    s.install(1, profile({ chargingProfileId: 3, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative', periods: [[0, 16]], chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6, numberPhases: 1 }] } }), T0);
    expect(s.effectiveLimitsW([c1, c2], T0 + 10_000).get(1)).toBe(1380);
    s.install(0, profile({ chargingProfileId: 4, chargingProfilePurpose: 'ChargePointMaxProfile', periods: [[0, 1000]] }), T0);
    expect(s.effectiveLimitsW([c1, { ...c2, transaction: { startMs: T0 } }], T0 + 10_000).get(1)).toBe(500);
    expect(s.clear({ chargingProfilePurpose: 'ChargePointMaxProfile' })).toBe(1);
    s.clearTxProfiles(1);
    expect(new ChargingProfileStore({ file: join(dir, 'p.json'), voltageV: 230 }).list()).toHaveLength(2);
  });

  it('recurring daily profiles repeat; validity bounds apply; composite schedule lists the changes', () => {
    const s = new ChargingProfileStore({ file: join(dir, 'p.json'), voltageV: 230 });
    s.install(
      0,
      profile({ chargingProfileKind: 'Recurring', recurrencyKind: 'Daily', validTo: new Date(T0 + 3 * 86_400_000).toISOString(), periods: [[0, 2000], [8 * 3600, 6000]] }),
      T0,
    );
    const c = { connectorId: 1, maxPowerW: 11_000 };
    expect(s.effectiveLimitsW([c], T0 + 86_400_000 + 3600_000).get(1)).toBe(2000);
    expect(s.effectiveLimitsW([c], T0 + 86_400_000 + 9 * 3600_000).get(1)).toBe(6000);
    expect(s.effectiveLimitsW([c], T0 + 4 * 86_400_000).get(1)).toBe(11_000);
    const comp = s.compositeSchedule(c, T0, 86_400, 'W');
    expect(comp.chargingSchedulePeriod).toEqual([
      { startPeriod: 0, limit: 2000 },
      { startPeriod: 8 * 3600, limit: 6000 },
    ]);
  });
});

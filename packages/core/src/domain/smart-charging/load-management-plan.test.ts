import { describe, expect, it } from 'vitest';
import { byProfileOrder, keyOf, planDesiredProfiles, type LoadManagementPlanInput } from './load-management-plan.js';
import { CHARGE_POINT_MAX_PROFILE_ID, TX_DEFAULT_PROFILE_ID, txProfileId } from './load-management-profiles.js';

const now = new Date('2026-01-01T00:00:00Z');
const site = { maxGridPowerKw: 30, defaultChargePointMaxKw: 22, minPowerPerConnectorKw: 1.4 };

function input(over: Partial<LoadManagementPlanInput> = {}): LoadManagementPlanInput {
  return {
    site,
    chargePoints: [
      { id: 'A', registrationStatus: 'Accepted', maxPowerKw: 22 },
      { id: 'B', registrationStatus: 'Accepted', maxPowerKw: null },
    ],
    active: [
      { id: 1, chargePoint: 'A', connectorId: 1, startReceivedAt: new Date('2025-12-31T23:00:00Z') },
      { id: 2, chargePoint: 'B', connectorId: 2, startReceivedAt: new Date('2025-12-31T23:30:00Z') },
    ],
    rowByKey: new Map(),
    reachable: () => true,
    advice: new Map(),
    now,
    ...over,
  };
}

const w = (limit: number) => ({ chargingRateUnit: 'W' as const, chargingSchedulePeriod: [{ startPeriod: 0, limit }] });

describe('planDesiredProfiles', () => {
  it('plans nothing while the site has no limit', () => {
    const plan = planDesiredProfiles(input({ site: { ...site, maxGridPowerKw: null } }));
    expect(plan.desired.size).toBe(0);
    expect(plan.result).toBeNull();
    expect(plan.failSafe.size).toBe(0);
  });

  it('plans the fail-safe profiles of every charger and one TxProfile per session, within the site limit', () => {
    const plan = planDesiredProfiles(input());
    for (const cp of ['A', 'B']) {
      expect(plan.desired.get(keyOf(cp, CHARGE_POINT_MAX_PROFILE_ID))).toMatchObject({ chargePointId: cp, connectorId: 0, failSafe: true });
      expect(plan.desired.get(keyOf(cp, TX_DEFAULT_PROFILE_ID))).toMatchObject({ chargePointId: cp, connectorId: 0, failSafe: true });
    }
    const tx1 = plan.desired.get(keyOf('A', txProfileId(1)))!;
    const tx2 = plan.desired.get(keyOf('B', txProfileId(2)))!;
    expect(tx1).toMatchObject({ connectorId: 1, failSafe: false, limitW: 15_000 });
    expect(tx2).toMatchObject({ connectorId: 2, failSafe: false, limitW: 15_000 });
    expect(tx1.profile.chargingProfilePurpose).toBe('TxProfile');
    expect(tx1.profile.transactionId).toBe(1);
    expect(tx1.profile.chargingSchedule.chargingSchedulePeriod[0]!.limit).toBe(15_000);
    expect(plan.desired.size).toBe(6);
    expect(plan.result!.allocatedW).toBe(30_000);
    expect(plan.failSafe.get('A')!.chargePointMaxW).toBe(plan.desired.get(keyOf('A', CHARGE_POINT_MAX_PROFILE_ID))!.limitW);
  });

  it('gives a rejected charger no fail-safe profiles', () => {
    const plan = planDesiredProfiles(input({ chargePoints: [{ id: 'A', registrationStatus: 'Accepted', maxPowerKw: 22 }, { id: 'B', registrationStatus: 'Rejected', maxPowerKw: 22 }] }));
    expect(plan.failSafe.has('B')).toBe(false);
    expect(plan.desired.has(keyOf('B', CHARGE_POINT_MAX_PROFILE_ID))).toBe(false);
    expect(plan.desired.has(keyOf('A', CHARGE_POINT_MAX_PROFILE_ID))).toBe(true);
  });

  it('leaves an unreachable charger at the limit in force and shares the rest', () => {
    const plan = planDesiredProfiles(
      input({
        reachable: (id) => id !== 'B',
        rowByKey: new Map([[keyOf('B', txProfileId(2)), { status: 'Accepted', schedule: w(10_000) }]]),
      }),
    );
    expect(plan.desired.has(keyOf('B', txProfileId(2)))).toBe(false);
    expect(plan.result!.allocations.find((a) => a.transactionId === 2)).toMatchObject({ reason: 'fixed', limitW: 10_000 });
    expect(plan.desired.get(keyOf('A', txProfileId(1)))!.limitW).toBe(20_000);
  });

  it('falls back to the accepted TxDefaultProfile for an unreachable session without its own profile', () => {
    const plan = planDesiredProfiles(
      input({
        reachable: (id) => id !== 'B',
        rowByKey: new Map([[keyOf('B', TX_DEFAULT_PROFILE_ID), { status: 'Accepted', schedule: w(4_000) }]]),
      }),
    );
    expect(plan.result!.allocations.find((a) => a.transactionId === 2)).toMatchObject({ reason: 'fixed', limitW: 4_000 });
  });

  it('caps a session at its advice and ignores advice that is not a finite non-negative number', () => {
    const plan = planDesiredProfiles(input({ advice: new Map([[1, 5], [2, Number.NaN]]) }));
    expect(plan.result!.allocations.find((a) => a.transactionId === 1)).toMatchObject({ reason: 'advised', limitW: 5_000 });
    expect(plan.desired.get(keyOf('B', txProfileId(2)))!.limitW).toBeGreaterThan(15_000);
  });

  it('orders ChargePointMaxProfile, TxDefaultProfile, then TxProfiles by connector', () => {
    const plan = planDesiredProfiles(input());
    const order = [...plan.desired.values()].sort(byProfileOrder).map((d) => `${d.profile.chargingProfilePurpose}:${d.connectorId}`);
    expect(order).toEqual(['ChargePointMaxProfile:0', 'ChargePointMaxProfile:0', 'TxDefaultProfile:0', 'TxDefaultProfile:0', 'TxProfile:1', 'TxProfile:2']);
  });
});

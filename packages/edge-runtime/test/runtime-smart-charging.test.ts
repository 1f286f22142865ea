import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until, useChargePointTestEnv } from './support/test-charge-point.js';

describe('edge runtime: a charging profile limits the simulated charge', () => {
  const env = useChargePointTestEnv();

  it('the simulated meter follows the effective limit, reported as Power.Offered', async () => {
    const { csms, dir } = env;
    const { cp } = await env.start(
      {
        connectors: [{ maxPowerW: 11_000, meter: { kind: 'simulated', maxPowerW: 11_000, curve: [{ atSeconds: 0, powerW: 11_000 }], stateFile: join(dir, 'meter-1.json') } }],
        ocppConfig: { MeterValueSampleInterval: 1, MeterValuesSampledData: 'Energy.Active.Import.Register,Power.Active.Import,Power.Offered' },
      },
      { meters: 'configured' },
    );
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    expect(
      await csms.callCp('SetChargingProfile', {
        connectorId: 0,
        csChargingProfiles: {
          chargingProfileId: 1,
          stackLevel: 0,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Relative',
          chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 2_000 }] },
        },
      }),
    ).toEqual({ status: 'Accepted' });
    cp.plugIn(1);
    await cp.presentCard({ idTag: 'CARD', source: 'test' });
    await csms.waitFor('StartTransaction');
    const value = (c: { params: { meterValue: Array<{ sampledValue: Array<{ measurand: string; value: string }> }> } }, m: string) =>
      Number(c.params.meterValue[0]!.sampledValue.find((v) => v.measurand === m)?.value);
    const first = await csms.waitFor('MeterValues', () => true, 2);
    expect(value(first, 'Power.Offered')).toBe(2_000);
    expect(value(first, 'Power.Active.Import')).toBeGreaterThan(0);
    expect(value(first, 'Power.Active.Import')).toBeLessThanOrEqual(2_000);

    // The CS lowers the limit for this transaction: the simulated power follows.
    expect(
      await csms.callCp('SetChargingProfile', {
        connectorId: 1,
        csChargingProfiles: {
          chargingProfileId: 2,
          stackLevel: 1,
          chargingProfilePurpose: 'TxProfile',
          chargingProfileKind: 'Relative',
          chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 1, numberPhases: 3 }] },
        },
      }),
    ).toEqual({ status: 'Accepted' });
    const n = csms.callsOf('MeterValues').length;
    const later = await csms.waitFor('MeterValues', () => true, n + 2);
    expect(value(later, 'Power.Offered')).toBe(690);
    expect(value(later, 'Power.Active.Import')).toBeLessThanOrEqual(690);
    await cp.presentCard({ idTag: 'CARD', source: 'test' });
    const stop = await csms.waitFor('StopTransaction');
    const start = csms.callsOf('StartTransaction')[0]!;
    expect(stop.params.meterStop).toBeGreaterThan(start.params.meterStart);
    await until(() => cp.state.queuedMessages === 0, 'drained');
  });
});

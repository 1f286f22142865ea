/** A CSMS with the Firebase mirror and a fake charge point that charges on demand. */
import { createTestCsms, FakeChargePoint, type TestCsms } from '@charge-it/core/testing';
import type { CsmsPlugin } from '@charge-it/core';

export const ID_TAG = 'DEMO-123';

export async function startCsms(plugins: CsmsPlugin[], extra: Record<string, unknown> = {}): Promise<TestCsms> {
  return createTestCsms({ plugins, idTags: { [ID_TAG]: 'Accepted' }, chargePoints: ['CP-1'], ...extra });
}

export async function connectCharger(csms: TestCsms, id = 'CP-1', callTimeoutMs = 15_000): Promise<FakeChargePoint> {
  const cp = new FakeChargePoint({ url: csms.ocppUrlFor(id), identity: id, callTimeoutMs });
  await cp.connect();
  await cp.boot();
  await cp.status(1, 'Available');
  return cp;
}

/** One MeterValues with the energy register (Wh) and the active power (W). */
export function meter(cp: FakeChargePoint, transactionId: number, energyWh: number, powerW: number, connectorId = 1, socPercent?: number) {
  return cp.meterValues({
    connectorId,
    transactionId,
    meterValue: [
      {
        timestamp: new Date().toISOString(),
        sampledValue: [
          { value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
          { value: String(powerW), measurand: 'Power.Active.Import', unit: 'W', context: 'Sample.Periodic' },
          ...(socPercent === undefined ? [] : [{ value: String(socPercent), measurand: 'SoC' as const, unit: 'Percent' as const, context: 'Sample.Periodic' as const }]),
        ],
      },
    ],
  });
}

/** RTDB returns objects with integer keys as arrays and drops nulls: undo that to compare. */
export function plain(v: unknown): unknown {
  if (Array.isArray(v)) return Object.fromEntries(v.flatMap((x, i) => (x === undefined || x === null ? [] : [[String(i), plain(x)]])));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === null || x === undefined ? [] : [[k, plain(x)]])));
  return v;
}

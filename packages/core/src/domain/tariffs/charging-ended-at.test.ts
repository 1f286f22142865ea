import { describe, expect, it } from 'vitest';
import { chargingEndedFromStatuses, type StatusPoint } from './charging-ended-at.js';

const t = (s: number) => new Date(Date.UTC(2026, 2, 1, 8, 0, s));
const run = (...statuses: string[]): StatusPoint[] => statuses.map((status, i) => ({ status, at: t(i * 60) }));

describe('chargingEndedFromStatuses', () => {
  it('is the start of the final run of SuspendedEV / Finishing', () => {
    expect(chargingEndedFromStatuses(run('Charging', 'SuspendedEV'))).toEqual(t(60));
    expect(chargingEndedFromStatuses(run('Charging', 'SuspendedEV', 'Finishing'))).toEqual(t(60));
    expect(chargingEndedFromStatuses(run('Charging', 'Finishing'))).toEqual(t(60));
  });

  it('a car that paused and resumed is not idle; only the last pause counts', () => {
    expect(chargingEndedFromStatuses(run('Charging', 'SuspendedEV', 'Charging'))).toBeNull();
    expect(chargingEndedFromStatuses(run('Charging', 'SuspendedEV', 'Charging', 'SuspendedEV'))).toEqual(t(180));
  });

  it('a charger that paused the car (SuspendedEVSE), or a fault, ends the run', () => {
    expect(chargingEndedFromStatuses(run('Charging', 'SuspendedEVSE'))).toBeNull();
    expect(chargingEndedFromStatuses(run('SuspendedEV', 'SuspendedEVSE'))).toBeNull();
    expect(chargingEndedFromStatuses(run('SuspendedEV', 'SuspendedEVSE', 'SuspendedEV'))).toEqual(t(120));
    expect(chargingEndedFromStatuses(run('SuspendedEV', 'Faulted'))).toBeNull();
  });

  it('no notifications: charging until the stop', () => {
    expect(chargingEndedFromStatuses([])).toBeNull();
    expect(chargingEndedFromStatuses(run('Charging'))).toBeNull();
  });
});

import type { MeterValue } from '../../ocpp/v16/messages.js';
import { ENERGY_REGISTER, normaliseSampledValue } from '../meter-values/normalise-sampled-value.js';

/** What the live state takes from one MeterValues message: the newest value of each quantity. */
export interface MeterReading {
  /** Energy register (Wh) with the charger's time of reading (ms). */
  register?: { valueWh: number; at: number };
  powerW?: number;
  currentA?: number;
  socPercent?: number;
}

const POWER = 'Power.Active.Import';
const CURRENT = 'Current.Import';
const SOC = 'SoC';

/**
 * Reads the energy register, the active power (the total, or the sum of the phases when only
 * phases are sent), the current (the total, or the highest phase) and the state of charge from
 * the meter values, keeping the newest reading of each (by the charger's timestamp).
 * `receivedAt` stands in for a missing or unreadable timestamp.
 */
export function readMeterValues(meterValues: readonly MeterValue[], receivedAt: Date): MeterReading {
  const reading: MeterReading = {};
  const newest = new Map<string, number>();
  const take = (name: string, at: number): boolean => {
    const seen = newest.get(name);
    if (seen !== undefined && seen > at) return false;
    newest.set(name, at);
    return true;
  };
  for (const mv of meterValues) {
    const parsed = Date.parse(mv.timestamp);
    const at = Number.isFinite(parsed) ? parsed : receivedAt.getTime();
    let phasePower: number | undefined;
    let phaseCurrent: number | undefined;
    let totalPower: number | undefined;
    let totalCurrent: number | undefined;
    for (const sv of mv.sampledValue ?? []) {
      const s = normaliseSampledValue(sv);
      if (s.value === null || !Number.isFinite(s.value)) continue;
      if (s.measurand === ENERGY_REGISTER && s.phase === null && s.unit === 'Wh') {
        if (take('energy', at)) reading.register = { valueWh: s.value, at };
      } else if (s.measurand === POWER && s.unit === 'W') {
        if (s.phase === null) totalPower = s.value;
        else if (s.phase !== 'N') phasePower = (phasePower ?? 0) + s.value;
      } else if (s.measurand === CURRENT && s.unit === 'A') {
        if (s.phase === null) totalCurrent = s.value;
        else if (s.phase !== 'N') phaseCurrent = Math.max(phaseCurrent ?? Number.NEGATIVE_INFINITY, s.value);
      } else if (s.measurand === SOC && s.phase === null) {
        if (take('soc', at)) reading.socPercent = s.value;
      }
    }
    const power = totalPower ?? phasePower;
    if (power !== undefined && take('power', at)) reading.powerW = power;
    const current = totalCurrent ?? phaseCurrent;
    if (current !== undefined && take('current', at)) reading.currentA = current;
  }
  return reading;
}

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
  // The charger time of the newest reading taken of each quantity (a later message may carry an
  // older reading: it does not replace a newer one).
  let energyAt = Number.NEGATIVE_INFINITY;
  let socAt = Number.NEGATIVE_INFINITY;
  let powerAt = Number.NEGATIVE_INFINITY;
  let currentAt = Number.NEGATIVE_INFINITY;
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
        if (at >= energyAt) {
          energyAt = at;
          reading.register = { valueWh: s.value, at };
        }
      } else if (s.measurand === POWER && s.unit === 'W') {
        if (s.phase === null) totalPower = s.value;
        else if (s.phase !== 'N') phasePower = (phasePower ?? 0) + s.value;
      } else if (s.measurand === CURRENT && s.unit === 'A') {
        if (s.phase === null) totalCurrent = s.value;
        else if (s.phase !== 'N') phaseCurrent = Math.max(phaseCurrent ?? Number.NEGATIVE_INFINITY, s.value);
      } else if (s.measurand === SOC && s.phase === null) {
        if (at >= socAt) {
          socAt = at;
          reading.socPercent = s.value;
        }
      }
    }
    const power = totalPower ?? phasePower;
    if (power !== undefined && at >= powerAt) {
      powerAt = at;
      reading.powerW = power;
    }
    const current = totalCurrent ?? phaseCurrent;
    if (current !== undefined && at >= currentAt) {
      currentAt = at;
      reading.currentA = current;
    }
  }
  return reading;
}

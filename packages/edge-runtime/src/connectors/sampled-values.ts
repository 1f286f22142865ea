import type { MeterReading } from '../meter/meter-driver.js';
import type { ReadingContext, SampledValue } from '../ocpp/ocpp-types.js';

const PHASES = ['L1', 'L2', 'L3'] as const;

export interface SampleExtras {
  /** Effective limit (W) for Power.Offered / Current.Offered. */
  limitW?: number;
  voltageV: number;
  /** Register at the previous sample, for Energy.Active.Import.Interval. */
  previousEnergyWh?: number;
}

function fmt(n: number, digits = 1): string {
  return String(Math.round(n * 10 ** digits) / 10 ** digits);
}

/**
 * Turns a meter reading into OCPP SampledValues for the configured measurands, skipping the
 * ones this meter does not report (an SDM120 has no phases L2/L3, a simulated meter no
 * temperature, …). The energy register is reported in whole Wh, as read (never reset per
 * transaction: S16 §7.31).
 */
export function buildSampledValues(reading: MeterReading, measurands: readonly string[], context: ReadingContext, extras: SampleExtras): SampledValue[] {
  const out: SampledValue[] = [];
  const base = { context, format: 'Raw' as const, location: 'Outlet' as const };
  for (const measurand of measurands) {
    switch (measurand) {
      case 'Energy.Active.Import.Register':
        out.push({ ...base, measurand, unit: 'Wh', value: String(Math.round(reading.energyWh)) });
        break;
      case 'Energy.Active.Import.Interval':
        if (extras.previousEnergyWh !== undefined) {
          out.push({ ...base, measurand, unit: 'Wh', value: String(Math.max(0, Math.round(reading.energyWh - extras.previousEnergyWh))) });
        }
        break;
      case 'Power.Active.Import':
        if (reading.powerW !== undefined) out.push({ ...base, measurand, unit: 'W', value: fmt(reading.powerW) });
        break;
      case 'Power.Offered':
        if (extras.limitW !== undefined) out.push({ ...base, measurand, unit: 'W', value: fmt(extras.limitW) });
        break;
      case 'Current.Offered':
        if (extras.limitW !== undefined) {
          const phases = reading.currentA?.length || 3;
          out.push({ ...base, measurand, unit: 'A', value: fmt(extras.limitW / (extras.voltageV * phases)) });
        }
        break;
      case 'Current.Import':
        reading.currentA?.forEach((a, i) => {
          const phase = PHASES[i];
          if (phase) out.push({ ...base, measurand, unit: 'A', phase, value: fmt(a, 2) });
        });
        break;
      case 'Voltage':
        reading.voltageV?.forEach((v, i) => {
          const phase = PHASES[i];
          if (phase) out.push({ ...base, measurand, unit: 'V', phase: `${phase}-N`, value: fmt(v) });
        });
        break;
      case 'Frequency':
        // 1.6 has no Hz unit; the value is in Hertz (errata).
        if (reading.frequencyHz !== undefined) out.push({ ...base, measurand, value: fmt(reading.frequencyHz, 2) });
        break;
      case 'Temperature':
        // The 1.6 JSON schema spells it "Celcius"; strict validation rejects "Celsius".
        if (reading.temperatureC !== undefined) out.push({ ...base, measurand, unit: 'Celcius', location: 'Body', value: fmt(reading.temperatureC) });
        break;
      case 'SoC':
        if (reading.socPercent !== undefined) out.push({ ...base, measurand, unit: 'Percent', location: 'EV', value: fmt(reading.socPercent, 0) });
        break;
    }
  }
  return out;
}

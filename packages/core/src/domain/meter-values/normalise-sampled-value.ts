import type { SampledValue } from '../../ocpp/v16/messages.js';

/** A sampled value with the spec defaults applied and its unit normalised to a base unit. */
export interface NormalisedSample {
  measurand: string;
  phase: string | null;
  location: string | null;
  context: string;
  format: string | null;
  unit: string;
  /** null when the charger sent something that is not a plain number (kept in rawValue). */
  value: number | null;
  rawValue: string | null;
}

/** Base unit of each measurand family, used when the charger omits `unit` (the spec's default Wh only fits energy). */
function defaultUnit(measurand: string): string {
  if (measurand.startsWith('Energy.Reactive')) return 'varh';
  if (measurand.startsWith('Energy')) return 'Wh';
  if (measurand.startsWith('Power.Reactive')) return 'var';
  if (measurand === 'Power.Factor') return '';
  if (measurand.startsWith('Power')) return 'W';
  if (measurand.startsWith('Current')) return 'A';
  if (measurand === 'Voltage') return 'V';
  if (measurand === 'Temperature') return 'Celsius';
  if (measurand === 'SoC') return 'Percent';
  if (measurand === 'Frequency') return 'Hz';
  if (measurand === 'RPM') return 'RPM';
  return 'Wh';
}

/** A unit already in our form: its value is stored as sent (no rounding pass, the hot path). */
const same = (v: number): number => v;

/** unit as sent → [base unit, convert]. Covers the 1.6 unit list plus the spellings seen in the field. */
const UNITS: Record<string, [string, (v: number) => number]> = {
  Wh: ['Wh', same],
  kWh: ['Wh', (v) => v * 1000],
  varh: ['varh', same],
  kvarh: ['varh', (v) => v * 1000],
  W: ['W', same],
  kW: ['W', (v) => v * 1000],
  VA: ['VA', same],
  kVA: ['VA', (v) => v * 1000],
  var: ['var', same],
  kvar: ['var', (v) => v * 1000],
  A: ['A', same],
  V: ['V', same],
  // The 1.6 JSON schema spells it "Celcius"; the errata and many chargers use "Celsius".
  Celcius: ['Celsius', same],
  Celsius: ['Celsius', same],
  Fahrenheit: ['Celsius', (v) => ((v - 32) * 5) / 9],
  K: ['Celsius', (v) => v - 273.15],
  Percent: ['Percent', same],
  Hz: ['Hz', same],
  Hertz: ['Hz', same],
};

const NUMBER = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

export function normaliseSampledValue(sv: SampledValue): NormalisedSample {
  const measurand = sv.measurand ?? 'Energy.Active.Import.Register';
  const sentUnit = sv.unit ?? defaultUnit(measurand);
  const conversion = UNITS[sentUnit];
  const numeric = sv.format !== 'SignedData' && NUMBER.test(sv.value);
  const raw = numeric ? Number(sv.value) : null;
  const base = {
    measurand,
    phase: sv.phase ?? null,
    location: sv.location ?? null,
    context: sv.context ?? 'Sample.Periodic',
    format: sv.format ?? null,
  };
  if (raw === null) return { ...base, unit: conversion?.[0] ?? sentUnit, value: null, rawValue: sv.value };
  if (!conversion || conversion[1] === same) return { ...base, unit: conversion?.[0] ?? sentUnit, value: raw, rawValue: null };
  // Round away binary noise from the kWh → Wh conversion (0.1 kWh * 1000 = 100.00000000000001).
  return { ...base, unit: conversion[0], value: Number(conversion[1](raw).toPrecision(15)), rawValue: null };
}

export const ENERGY_REGISTER = 'Energy.Active.Import.Register';

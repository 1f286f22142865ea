import { describe, expect, it } from 'vitest';
import { normaliseSampledValue } from './normalise-sampled-value.js';

describe('normaliseSampledValue', () => {
  it('applies the 1.6 defaults (Energy.Active.Import.Register, Wh, Sample.Periodic)', () => {
    expect(normaliseSampledValue({ value: '1234' })).toEqual({
      measurand: 'Energy.Active.Import.Register',
      phase: null,
      location: null,
      context: 'Sample.Periodic',
      format: null,
      unit: 'Wh',
      value: 1234,
      rawValue: null,
    });
  });

  it.each([
    ['kWh', '12.345', 'Wh', 12345],
    ['kWh', '0.1', 'Wh', 100],
    ['kW', '7.4', 'W', 7400],
    ['kvarh', '2', 'varh', 2000],
    ['kVA', '1.5', 'VA', 1500],
    ['Celcius', '31.5', 'Celsius', 31.5],
    ['Celsius', '31.5', 'Celsius', 31.5],
    ['K', '300.15', 'Celsius', 27],
    ['Fahrenheit', '212', 'Celsius', 100],
    ['Hertz', '50', 'Hz', 50],
  ])('converts %s %s to %s', (unit, value, base, expected) => {
    const out = normaliseSampledValue({ value, unit });
    expect(out.unit).toBe(base);
    expect(out.value).toBeCloseTo(expected, 9);
  });

  it('infers the unit from the measurand when the charger omits it', () => {
    expect(normaliseSampledValue({ value: '11000', measurand: 'Power.Active.Import' }).unit).toBe('W');
    expect(normaliseSampledValue({ value: '16', measurand: 'Current.Import', phase: 'L1' })).toMatchObject({ unit: 'A', phase: 'L1' });
    expect(normaliseSampledValue({ value: '80', measurand: 'SoC' }).unit).toBe('Percent');
  });

  it('keeps non-numeric and signed values as raw text instead of dropping them', () => {
    expect(normaliseSampledValue({ value: 'abc' })).toMatchObject({ value: null, rawValue: 'abc' });
    expect(normaliseSampledValue({ value: '0A1B', format: 'SignedData' })).toMatchObject({ value: null, rawValue: '0A1B', format: 'SignedData' });
  });

  it('keeps unknown units as sent', () => {
    expect(normaliseSampledValue({ value: '3', unit: 'Bogus' })).toMatchObject({ unit: 'Bogus', value: 3 });
  });
});

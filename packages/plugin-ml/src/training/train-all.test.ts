import { describe, expect, it } from 'vitest';
import { chargersOf, history, recordsOf } from '../../test/support/synthetic.js';
import { trainAll, type TrainingData } from './train-all.js';

/** Everything but the run times. */
function strip(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'durationMs' ? 0 : v))) as unknown;
}

describe('trainAll', () => {
  it('gives the same models and metrics for the same data and seed, with progress per model', () => {
    const h = history({ days: 40 });
    const data: TrainingData = {
      sessions: recordsOf(h),
      chargers: chargersOf(h),
      meterStreams: [],
      from: h.from.getTime(),
      to: h.to.getTime(),
      timeZone: 'Asia/Jakarta',
      seed: 4,
      horizonHours: 24,
      perChargePoint: false,
    };
    const steps: string[] = [];
    const a = trainAll(data, (s) => steps.push(`${s.done}/${s.total} ${s.model}`));
    const b = trainAll(data);
    expect(strip(a)).toEqual(strip(b));
    expect(steps).toEqual(['1/6 forecast', '2/6 availability', '3/6 sessionAnomalies', '4/6 meterAnomalies', '5/6 segments', '6/6 regression']);
    expect(a.forecast.status).toBe('ok');
    expect(a.meterAnomalies).toMatchObject({ status: 'not-enough-data', have: 0 });
    if (a.forecast.status === 'ok') expect(a.forecast.training.syntheticShare).toBe(1);
  });
});

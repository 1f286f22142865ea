import { describe, expect, it } from 'vitest';
import { chargersOf, history, recordsOf } from '../../test/support/synthetic.js';
import { FORECAST_MIN_HOURS, trainForecast } from './forecast.js';
import { hourlyLoad } from './load-series.js';

const TZ = 'Asia/Jakarta';

describe('load forecast (seasonal ARIMA)', () => {
  const h = history();
  const series = hourlyLoad(recordsOf(h), { from: h.from.getTime(), to: h.to.getTime() });

  it('beats seasonal-naive on held-back days of a generated history with daily and weekly patterns', () => {
    const out = trainForecast(series, { timeZone: TZ, seed: 1 });
    expect(out.status).toBe('ok');
    if (out.status !== 'ok') return;
    expect(out.result.method).toBe('seasonal-arima');
    expect(out.result.fallbackReason).toBeNull();
    expect(out.metric.beatsBaseline).toBe(true);
    expect(out.metric.value!).toBeLessThan(out.metric.baseline!.value! * 0.9);
    expect(out.metric.extra?.mapePercent).not.toBeNull();
    expect(out.result.points).toHaveLength(48);
    for (const p of out.result.points) {
      expect(p.kw).toBeGreaterThanOrEqual(0);
      expect(p.low).toBeLessThanOrEqual(p.kw);
      expect(p.high).toBeGreaterThanOrEqual(p.kw);
    }
    // The first point is the hour after the history, and the evening peak is above the night.
    expect(out.result.points[0]!.at).toBe(new Date(series.startMs + series.values.length * 3_600_000).toISOString());
    expect(out.training.unit).toBe('hours');
    expect(out.training.samples).toBe(series.values.length);
    expect(chargersOf(h).length).toBe(3);
  });

  it('is deterministic', () => {
    const a = trainForecast(series, { timeZone: TZ, seed: 1, trainedAt: new Date(0) });
    const b = trainForecast(series, { timeZone: TZ, seed: 1, trainedAt: new Date(0) });
    if (a.status !== 'ok' || b.status !== 'ok') throw new Error('expected ok');
    expect(a.result).toEqual(b.result);
    expect(a.metric).toEqual(b.metric);
  });

  it('falls back to seasonal-naive, and says why, when the model cannot beat it', () => {
    // A load that repeats exactly every day: seasonal-naive is perfect (MAE 0), so no model beats it.
    const values = Array.from({ length: 24 * 28 }, (_, i) => [0, 0, 0, 0, 0, 0, 2, 8, 15, 12, 9, 8, 8, 9, 10, 12, 16, 22, 25, 20, 12, 6, 2, 1][i % 24]!);
    const out = trainForecast({ startMs: Date.UTC(2026, 0, 5), values }, { timeZone: 'UTC' });
    if (out.status !== 'ok') throw new Error('expected ok');
    expect(out.result.method).toBe('seasonal-naive');
    expect(out.result.fallbackReason).toMatch(/not better than seasonal-naive|diverged|plausible/);
    expect(out.result.points.slice(0, 24).map((p) => p.kw)).toEqual(values.slice(0, 24));
    expect(out.metric.value).toBe(0);
  });

  it('says "not enough data yet" below three weeks of history', () => {
    const out = trainForecast({ startMs: 0, values: new Array<number>(100).fill(5) });
    expect(out).toMatchObject({ status: 'not-enough-data', have: 100, need: FORECAST_MIN_HOURS, message: `not enough data yet (have 100 hours of history, need ${FORECAST_MIN_HOURS})` });
    expect(trainForecast({ startMs: 0, values: [] })).toMatchObject({ status: 'not-enough-data', have: 0 });
  });
});

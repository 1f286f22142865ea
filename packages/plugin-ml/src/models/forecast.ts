import ARIMA from 'arima';
import { mae, mape, mean, round, std } from '../stats.js';
import { HOUR_MS, WEEK_HOURS, localParts } from '../time.js';
import { notEnoughData, type ModelMetric, type ModelOutcome, type TrainingInfo } from '../types.js';
import type { HourlySeries } from './load-series.js';

/** Hours of history the forecast needs: two weeks to learn from plus one week held back. */
export const FORECAST_MIN_HOURS = 21 * 24;
/** Hours of recent history the ARIMA part is fitted on (older data only shapes the weekly profile). */
const FIT_WINDOW_HOURS = 4 * WEEK_HOURS;
const PROFILE_WINDOW_HOURS = 8 * WEEK_HOURS;
/** Held-back evaluation: three 48 h forecasts from origins 144, 96 and 48 h before the end. */
const BACKTEST_ORIGINS = [144, 96, 48];
const BACKTEST_HORIZON = 48;
const Z95 = 1.96;

interface ArimaSpec {
  label: string;
  options: { p: number; d: number; q: number; P: number; D: number; Q: number; s: number };
}

/**
 * The models tried, in order: a seasonal ARIMA with a daily period on what the weekly profile does
 * not explain, then a plain ARIMA when the seasonal fit diverges. `optimizer: 0` (Nelder-Mead):
 * the library's default optimiser diverges silently on MA terms.
 */
const SPECS: ArimaSpec[] = [
  { label: 'SARIMA(1,0,1)(1,0,1)[24] on the hour-of-week profile residual', options: { p: 1, d: 0, q: 1, P: 1, D: 0, Q: 1, s: 24 } },
  { label: 'ARIMA(2,0,1) on the hour-of-week profile residual', options: { p: 2, d: 0, q: 1, P: 0, D: 0, Q: 0, s: 0 } },
];

export interface ForecastPoint {
  at: string;
  kw: number;
  /** 95 % prediction interval. */
  low: number;
  high: number;
}

export interface ForecastResult {
  /** What produced the points: the ARIMA model, or the seasonal-naive fallback. */
  method: 'seasonal-arima' | 'arima' | 'seasonal-naive';
  spec: string;
  /** Why the fallback was used (null when the ARIMA model is served). */
  fallbackReason: string | null;
  /** Where the series ended (the forecast starts here). */
  from: string;
  horizonHours: number;
  points: ForecastPoint[];
}

export interface ForecastOptions {
  horizonHours?: number;
  timeZone?: string;
  /** An upper bound of plausible load (kW), e.g. the sum of the chargers' ratings; values above are absurd. */
  capacityKw?: number | null;
  seed?: number;
  trainedAt?: Date;
  syntheticShare?: number;
  importedShare?: number;
}

/** Mean per hour of the week over the recent window; a slot never seen uses its hour of day, then the overall mean. */
function weeklyProfile(values: readonly number[], hows: readonly number[]): number[] {
  const from = Math.max(0, values.length - PROFILE_WINDOW_HOURS);
  const sum = new Array<number>(WEEK_HOURS).fill(0);
  const count = new Array<number>(WEEK_HOURS).fill(0);
  for (let i = from; i < values.length; i++) {
    sum[hows[i]!]! += values[i]!;
    count[hows[i]!]!++;
  }
  const overall = mean(values.slice(from));
  const byHour = Array.from({ length: 24 }, (_, h) => {
    let s = 0;
    let c = 0;
    for (let d = 0; d < 7; d++) {
      s += sum[d * 24 + h]!;
      c += count[d * 24 + h]!;
    }
    return c > 0 ? s / c : overall;
  });
  return sum.map((s, i) => (count[i]! > 0 ? s / count[i]! : byHour[i % 24]!));
}

interface Fit {
  spec: ArimaSpec;
  pred: number[];
  variance: number[];
}

/** Fits the first spec that gives finite, plausible values; null when none does. */
function fitAndPredict(train: readonly number[], trainHows: readonly number[], futureHows: readonly number[]): Fit | null {
  const profile = weeklyProfile(train, trainHows);
  const from = Math.max(0, train.length - FIT_WINDOW_HOURS);
  const resid: number[] = [];
  for (let i = from; i < train.length; i++) resid.push(train[i]! - profile[trainHows[i]!]!);
  const residScale = Math.max(...resid.map(Math.abs), 1e-6);
  for (const spec of SPECS) {
    let model: InstanceType<typeof ARIMA> | undefined;
    try {
      model = new ARIMA({ ...spec.options, method: 0, optimizer: 0, verbose: false }).train(resid);
      const [p, v] = model.predict(futureHows.length);
      const ok =
        p.length === futureHows.length &&
        p.every((x) => Number.isFinite(x) && Math.abs(x) <= 3 * residScale) &&
        v.every((x) => Number.isFinite(x) && x >= 0 && Math.sqrt(x) <= 10 * residScale);
      if (ok) return { spec, pred: p.map((x, i) => x + profile[futureHows[i]!]!), variance: v };
    } catch {
      // a failed fit is tried with the next spec
    } finally {
      model?.destroy();
    }
  }
  return null;
}

/** Seasonal-naive with a daily period: the value 24 h (or 48 h, ...) before, at the same hour. */
function seasonalNaive(history: readonly number[], horizon: number, period = 24): number[] {
  const n = history.length;
  return Array.from({ length: horizon }, (_, i) => history[n - period * Math.ceil((i + 1) / period) + (i % period)] ?? 0);
}

function naiveSd(values: readonly number[], period = 24): number {
  const d: number[] = [];
  for (let i = period; i < values.length; i++) d.push(values[i]! - values[i - period]!);
  return std(d);
}

/**
 * Trains the load forecast on an hourly series (kW) and forecasts the next `horizonHours` (24..48)
 * with 95 % intervals. Quality is measured by three held-back 48 h forecasts over the last six
 * days against the daily seasonal-naive forecast; if the model is not better there, or its forecast
 * is implausible (non-finite, above the capacity), the seasonal-naive forecast is served and the
 * result says why.
 */
export function trainForecast(series: HourlySeries, options: ForecastOptions = {}): ModelOutcome<ForecastResult> {
  const started = Date.now();
  const horizon = Math.min(48, Math.max(24, options.horizonHours ?? 48));
  const timeZone = options.timeZone ?? 'UTC';
  const values = series.values;
  const n = values.length;
  if (n < FORECAST_MIN_HOURS) return notEnoughData('forecast', n, FORECAST_MIN_HOURS, 'hours of history');
  const hows = values.map((_, i) => localParts(series.startMs + i * HOUR_MS, timeZone).hourOfWeek);
  const futureHows = Array.from({ length: horizon }, (_, i) => localParts(series.startMs + (n + i) * HOUR_MS, timeZone).hourOfWeek);

  // Held-back evaluation.
  const actual: number[] = [];
  const model: number[] = [];
  const naive: number[] = [];
  const weekly: number[] = [];
  let failedFits = 0;
  for (const back of BACKTEST_ORIGINS) {
    const origin = n - back;
    const train = values.slice(0, origin);
    const fit = fitAndPredict(train, hows.slice(0, origin), hows.slice(origin, origin + BACKTEST_HORIZON));
    const sn = seasonalNaive(train, BACKTEST_HORIZON);
    const wn = seasonalNaive(train, BACKTEST_HORIZON, WEEK_HOURS);
    if (!fit) failedFits++;
    for (let i = 0; i < BACKTEST_HORIZON; i++) {
      actual.push(values[origin + i]!);
      model.push(Math.max(0, fit ? fit.pred[i]! : sn[i]!));
      naive.push(sn[i]!);
      weekly.push(wn[i]!);
    }
  }
  const floor = Math.max(0.5, 0.1 * mean(actual));
  const modelMae = mae(actual, model);
  const naiveMae = mae(actual, naive);
  const capacity = options.capacityKw && options.capacityKw > 0 ? options.capacityKw : null;
  const absurdAbove = Math.max(capacity ?? 0, 3 * Math.max(...values, 1));

  // Final fit on everything, then the guard.
  const fit = fitAndPredict(values, hows, futureHows);
  let fallbackReason: string | null = null;
  if (!fit) fallbackReason = 'every ARIMA fit diverged or gave implausible values';
  else if (failedFits > 0) fallbackReason = `the ARIMA fit diverged in ${failedFits} of ${BACKTEST_ORIGINS.length} held-back forecasts`;
  else if (modelMae >= naiveMae) fallbackReason = `the ARIMA model (MAE ${round(modelMae)} kW) is not better than seasonal-naive (MAE ${round(naiveMae)} kW) on the held-back days`;
  else if (fit.pred.some((x) => x > absurdAbove)) fallbackReason = `the ARIMA forecast exceeds the plausible maximum of ${round(absurdAbove)} kW`;

  const last = series.startMs + n * HOUR_MS;
  let points: ForecastPoint[];
  let method: ForecastResult['method'];
  let spec: string;
  if (fit && fallbackReason === null) {
    method = fit.spec.options.s > 0 ? 'seasonal-arima' : 'arima';
    spec = fit.spec.label;
    points = fit.pred.map((p, i) => {
      const sd = Math.sqrt(fit.variance[i]!);
      return {
        at: new Date(last + i * HOUR_MS).toISOString(),
        kw: round(Math.max(0, p), 3),
        low: round(Math.max(0, p - Z95 * sd), 3),
        high: round(Math.max(0, p + Z95 * sd), 3),
      };
    });
  } else {
    method = 'seasonal-naive';
    spec = 'seasonal-naive (the same hour one day before)';
    const sd = naiveSd(values);
    points = seasonalNaive(values, horizon).map((p, i) => ({
      at: new Date(last + i * HOUR_MS).toISOString(),
      kw: round(Math.max(0, p), 3),
      low: round(Math.max(0, p - Z95 * sd), 3),
      high: round(Math.max(0, p + Z95 * sd), 3),
    }));
  }

  const served = method === 'seasonal-naive' ? naive : model;
  const servedMae = mae(actual, served);
  const metric: ModelMetric = {
    name: 'MAE (kW)',
    value: round(servedMae, 3),
    baseline: { name: 'seasonal-naive (same hour, previous day) MAE (kW)', value: round(naiveMae, 3) },
    beatsBaseline: servedMae < naiveMae,
    evaluatedOn: `3 held-back 48 h forecasts over the last 6 days (${actual.length} hours), each fitted only on the data before it`,
    extra: {
      modelMaeKw: round(modelMae, 3),
      mapePercent: nullableRound(mape(actual, served, floor)),
      baselineMapePercent: nullableRound(mape(actual, naive, floor)),
      mapeFloorKw: round(floor, 3),
      weeklyNaiveMaeKw: round(mae(actual, weekly), 3),
    },
  };
  const training: TrainingInfo = {
    trainedAt: (options.trainedAt ?? new Date()).toISOString(),
    durationMs: Date.now() - started,
    samples: n,
    unit: 'hours',
    syntheticShare: options.syntheticShare ?? 0,
    importedShare: options.importedShare ?? 0,
    seed: options.seed ?? 0,
  };
  return {
    status: 'ok',
    model: 'forecast',
    metric,
    training,
    result: { method, spec, fallbackReason, from: new Date(last).toISOString(), horizonHours: horizon, points },
  };
}

const nullableRound = (x: number | null): number | null => (x === null ? null : round(x, 2));

import { trainAvailability, type AvailabilityResult } from '../models/availability.js';
import { trainForecast, type ForecastResult } from '../models/forecast.js';
import { hourlyLoad } from '../models/load-series.js';
import { trainMeterAnomalies, type MeterAnomalyResult, type MeterStream } from '../models/meter-anomalies.js';
import { trainSegments, type SegmentsResult } from '../models/segments.js';
import { trainSessionAnomalies, type SessionAnomalyResult } from '../models/session-anomalies.js';
import { trainSessionRegression, type SessionRegressionResult } from '../models/session-regression.js';
import { IMPORTED_FLAG, SYNTHETIC_FLAG, type ChargerInfo, type ModelOutcome, type SessionRecord } from '../types.js';

/** Everything a training run needs, as plain data (it is sent to the worker thread). */
export interface TrainingData {
  sessions: SessionRecord[];
  chargers: ChargerInfo[];
  meterStreams: MeterStream[];
  /**
   * Sessions still running at `to` (energy so far, `stoppedAt` = `to`): part of the load series and
   * the connectors' occupancy, so the last hours are not under-counted; not used by the other models.
   */
  running?: SessionRecord[];
  /** The history window (ms). */
  from: number;
  to: number;
  timeZone: string;
  seed: number;
  horizonHours: number;
  /** Also forecast each charge point (one more ARIMA fit per charge point). */
  perChargePoint: boolean;
}

export interface TrainingOutcomes {
  forecast: ModelOutcome<ForecastResult>;
  forecastByChargePoint: Record<string, ModelOutcome<ForecastResult>>;
  availability: ModelOutcome<AvailabilityResult>;
  sessionAnomalies: ModelOutcome<SessionAnomalyResult>;
  meterAnomalies: ModelOutcome<MeterAnomalyResult>;
  segments: ModelOutcome<SegmentsResult>;
  regression: ModelOutcome<SessionRegressionResult>;
}

export type ProgressListener = (step: { model: string; done: number; total: number }) => void;

/** Trains every model, in order, reporting progress after each. Pure computation: no I/O. */
export function trainAll(data: TrainingData, onProgress: ProgressListener = () => {}): TrainingOutcomes {
  const trainedAt = new Date(data.to);
  const n = data.sessions.length || 1;
  const syntheticShare = data.sessions.filter((s) => s.flags.includes(SYNTHETIC_FLAG)).length / n;
  const importedShare = data.sessions.filter((s) => s.flags.includes(IMPORTED_FLAG)).length / n;
  const common = { timeZone: data.timeZone, seed: data.seed, trainedAt, syntheticShare, importedShare };
  const cps = data.perChargePoint ? [...new Set([...data.chargers.map((c) => c.id), ...data.sessions.map((s) => s.chargePointId)])].sort() : [];
  const total = 6 + cps.length;
  let done = 0;
  const step = (model: string) => onProgress({ model, done: ++done, total });

  // The series starts at the first session (a site with 3 weeks of history is not "a year with 49 empty weeks").
  const first = data.sessions.length ? Math.max(data.from, Math.min(...data.sessions.map((s) => s.startedAt))) : data.to;
  const range = { from: first, to: data.to };
  // A charger's rating is shared by its connectors: the site cannot draw more than the sum of the ratings.
  const capacity = data.chargers.reduce((s, c) => s + (c.maxPowerKw ?? 0), 0) || null;
  const withRunning = data.running?.length ? [...data.sessions, ...data.running] : data.sessions;
  const forecast = trainForecast(hourlyLoad(withRunning, range), { ...common, horizonHours: data.horizonHours, capacityKw: capacity });
  step('forecast');
  const forecastByChargePoint: Record<string, ModelOutcome<ForecastResult>> = {};
  for (const id of cps) {
    const rating = data.chargers.find((c) => c.id === id)?.maxPowerKw ?? null;
    forecastByChargePoint[id] = trainForecast(hourlyLoad(withRunning, range, (s) => s.chargePointId === id), { ...common, horizonHours: data.horizonHours, capacityKw: rating });
    step(`forecast:${id}`);
  }
  const availability = trainAvailability(withRunning, data.chargers, range, common);
  step('availability');
  const sessionAnomalies = trainSessionAnomalies(data.sessions, data.chargers, common);
  step('sessionAnomalies');
  const ratings: Record<string, number | null> = {};
  for (const c of data.chargers) ratings[c.id] = c.maxPowerKw;
  const meterAnomalies = trainMeterAnomalies(data.meterStreams, ratings, { ...common });
  step('meterAnomalies');
  const segments = trainSegments(data.sessions, common);
  step('segments');
  const regression = trainSessionRegression(data.sessions, data.chargers, common);
  step('regression');
  return { forecast, forecastByChargePoint, availability, sessionAnomalies, meterAnomalies, segments, regression };
}

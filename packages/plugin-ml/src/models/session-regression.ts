import MLR from 'ml-regression-multivariate-linear';
import { mae, mean, round } from '../stats.js';
import { HOUR_MS, localParts } from '../time.js';
import { notEnoughData, type ChargerInfo, type ModelOutcome, type SessionRecord } from '../types.js';

export const REGRESSION_MIN_SESSIONS = 100;
/** Share of the sessions (the newest) held back for evaluation. */
const TEST_SHARE = 0.2;

/** The features known when a session starts, in the order of the coefficients. */
export const REGRESSION_FEATURES = ['idTagMeanKwh', 'idTagMeanDurationH', 'idTagLogSessions', 'daysSinceLast', 'hourSin', 'hourCos', 'weekend', 'chargerKw'] as const;
export type RegressionFeature = (typeof REGRESSION_FEATURES)[number];

interface TagStats {
  n: number;
  kwh: number;
  durationH: number;
  /** Start of the idTag's latest session (ms). */
  lastAt: number;
}

/** Days since the idTag's previous session, capped (a new idTag counts as the cap). */
const MAX_DAYS_SINCE = 7;

/** What the model needs to predict a new session: weights and each idTag's history. */
export interface SessionRegressionModel {
  /** MLR weights: one row per feature, then the intercept row; columns = [energyKwh, durationH]. */
  weights: number[][];
  tags: Record<string, TagStats>;
  global: { kwh: number; durationH: number };
  ratings: Record<string, number | null>;
  timeZone: string;
}

export interface SessionRegressionResult {
  coefficients: Record<'energyKwh' | 'durationH', Record<RegressionFeature | 'intercept', number>>;
  model: SessionRegressionModel;
  heldBack: number;
}

export interface SessionStart {
  idTag: string;
  chargePointId: string;
  startedAt: number;
}

export interface SessionPrediction {
  energyWh: number;
  durationS: number;
  /** idTag history the prediction used (0 = a new driver: the site's averages). */
  idTagSessions: number;
}

function features(start: SessionStart, tag: TagStats | undefined, global: { kwh: number; durationH: number }, ratings: Record<string, number | null>, timeZone: string): number[] {
  const lp = localParts(start.startedAt, timeZone);
  const a = (lp.hourFraction / 24) * 2 * Math.PI;
  const daysSince = tag ? Math.min(MAX_DAYS_SINCE, Math.max(0, (start.startedAt - tag.lastAt) / 86_400_000)) : MAX_DAYS_SINCE;
  return [tag?.kwh ?? global.kwh, tag?.durationH ?? global.durationH, Math.log1p(tag?.n ?? 0), daysSince, Math.sin(a), Math.cos(a), lp.weekday >= 5 ? 1 : 0, ratings[start.chargePointId] ?? 0];
}

const kwhOf = (s: SessionRecord) => s.energyWh / 1000;
const hOf = (s: SessionRecord) => Math.max(0, s.stoppedAt - s.startedAt) / HOUR_MS;

/** Rows for sessions in time order: each uses only the idTag's sessions before it. */
function buildRows(sessions: readonly SessionRecord[], ratings: Record<string, number | null>, timeZone: string) {
  const tags = new Map<string, TagStats>();
  let gk = 0;
  let gh = 0;
  let gn = 0;
  const x: number[][] = [];
  const y: number[][] = [];
  for (const s of sessions) {
    const global = gn > 0 ? { kwh: gk / gn, durationH: gh / gn } : { kwh: kwhOf(s), durationH: hOf(s) };
    x.push(features(s, tags.get(s.idTag), global, ratings, timeZone));
    y.push([kwhOf(s), hOf(s)]);
    const t = tags.get(s.idTag) ?? { n: 0, kwh: 0, durationH: 0, lastAt: s.startedAt };
    t.lastAt = s.startedAt;
    t.kwh = (t.kwh * t.n + kwhOf(s)) / (t.n + 1);
    t.durationH = (t.durationH * t.n + hOf(s)) / (t.n + 1);
    t.n++;
    tags.set(s.idTag, t);
    gk += kwhOf(s);
    gh += hOf(s);
    gn++;
  }
  return { x, y, tags, global: { kwh: gn ? gk / gn : 0, durationH: gn ? gh / gn : 0 } };
}

export function predictSession(model: SessionRegressionModel, start: SessionStart): SessionPrediction {
  const tag = model.tags[start.idTag];
  const x = features(start, tag, model.global, model.ratings, model.timeZone);
  const w = model.weights;
  const out = [0, 1].map((j) => x.reduce((s, v, i) => s + v * w[i]![j]!, w[x.length]![j]!));
  return { energyWh: Math.max(0, out[0]! * 1000), durationS: Math.max(60, out[1]! * 3600), idTagSessions: tag?.n ?? 0 };
}

function fit(x: number[][], y: number[][]): number[][] {
  // Columns that never vary (e.g. one charger rating everywhere) make the normal equations singular.
  const constant = x[0]!.map((_, j) => x.every((r) => r[j] === x[0]![j]));
  const cols = constant.map((c, j) => (c ? -1 : j)).filter((j) => j >= 0);
  const reg = new MLR(x.map((r) => cols.map((j) => r[j]!)), y, { intercept: true, statistics: false });
  const weights: number[][] = x[0]!.map(() => [0, 0]);
  cols.forEach((j, i) => (weights[j] = [...reg.weights[i]!]));
  weights.push([...reg.weights[cols.length]!]);
  return weights.map((r) => r.map((v) => (Number.isFinite(v) ? v : 0)));
}

/**
 * Multivariate linear regression predicting a session's energy (kWh) and plug-in duration (h) from
 * what is known when it starts: the idTag's earlier sessions (mean energy, mean duration, how many, days since the last one),
 * the local hour, weekday/weekend, the charger's rating. Evaluated on the newest 20 % of sessions
 * (trained on the older 80 %) against the per-idTag mean.
 */
export function trainSessionRegression(
  sessions: readonly SessionRecord[],
  chargers: readonly ChargerInfo[],
  options: { timeZone?: string; seed?: number; trainedAt?: Date; syntheticShare?: number; importedShare?: number } = {},
): ModelOutcome<SessionRegressionResult> {
  const started = Date.now();
  if (sessions.length < REGRESSION_MIN_SESSIONS) return notEnoughData('regression', sessions.length, REGRESSION_MIN_SESSIONS, 'completed sessions');
  const timeZone = options.timeZone ?? 'UTC';
  const ratings: Record<string, number | null> = {};
  for (const c of chargers) ratings[c.id] = c.maxPowerKw;
  const ordered = [...sessions].sort((a, b) => a.startedAt - b.startedAt);
  const rows = buildRows(ordered, ratings, timeZone);
  const cut = Math.floor(ordered.length * (1 - TEST_SHARE));

  // Held-back evaluation.
  const wTrain = fit(rows.x.slice(0, cut), rows.y.slice(0, cut));
  const trainTags = new Map<string, { kwh: number[]; h: number[] }>();
  for (const s of ordered.slice(0, cut)) {
    const t = trainTags.get(s.idTag) ?? { kwh: [], h: [] };
    t.kwh.push(kwhOf(s));
    t.h.push(hOf(s));
    trainTags.set(s.idTag, t);
  }
  const trainGlobal = { kwh: mean(ordered.slice(0, cut).map(kwhOf)), h: mean(ordered.slice(0, cut).map(hOf)) };
  const test = ordered.slice(cut);
  const predK: number[] = [];
  const predH: number[] = [];
  const baseK: number[] = [];
  const baseH: number[] = [];
  for (let i = cut; i < ordered.length; i++) {
    const x = rows.x[i]!;
    predK.push(Math.max(0, x.reduce((s, v, j) => s + v * wTrain[j]![0]!, wTrain[x.length]![0]!)));
    predH.push(Math.max(0, x.reduce((s, v, j) => s + v * wTrain[j]![1]!, wTrain[x.length]![1]!)));
    const t = trainTags.get(ordered[i]!.idTag);
    baseK.push(t ? mean(t.kwh) : trainGlobal.kwh);
    baseH.push(t ? mean(t.h) : trainGlobal.h);
  }
  const actualK = test.map(kwhOf);
  const actualH = test.map(hOf);
  const maeK = mae(actualK, predK);
  const maeH = mae(actualH, predH);
  const bK = mae(actualK, baseK);
  const bH = mae(actualH, baseH);

  // Final model on everything.
  const weights = fit(rows.x, rows.y);
  const tags: Record<string, TagStats> = {};
  for (const [k, v] of rows.tags) tags[k] = { n: v.n, kwh: round(v.kwh, 4), durationH: round(v.durationH, 4), lastAt: v.lastAt };
  const coefficients = {} as SessionRegressionResult['coefficients'];
  (['energyKwh', 'durationH'] as const).forEach((target, j) => {
    const c = {} as Record<RegressionFeature | 'intercept', number>;
    REGRESSION_FEATURES.forEach((f, i) => (c[f] = round(weights[i]![j]!, 4)));
    c.intercept = round(weights[REGRESSION_FEATURES.length]![j]!, 4);
    coefficients[target] = c;
  });
  return {
    status: 'ok',
    model: 'regression',
    metric: {
      name: 'MAE energy (kWh)',
      value: round(maeK, 3),
      baseline: { name: 'per-idTag mean energy MAE (kWh)', value: round(bK, 3) },
      beatsBaseline: maeK < bK,
      evaluatedOn: `the newest ${test.length} sessions (20 %), model and per-idTag means from the older ${cut}`,
      extra: { maeDurationH: round(maeH, 3), baselineMaeDurationH: round(bH, 3), durationBeatsBaseline: maeH < bH ? 'yes' : 'no' },
    },
    training: {
      trainedAt: (options.trainedAt ?? new Date()).toISOString(),
      durationMs: Date.now() - started,
      samples: sessions.length,
      unit: 'sessions',
      syntheticShare: options.syntheticShare ?? 0,
      importedShare: options.importedShare ?? 0,
      seed: options.seed ?? 0,
    },
    result: { coefficients, model: { weights, tags, global: rows.global, ratings, timeZone }, heldBack: test.length },
  };
}

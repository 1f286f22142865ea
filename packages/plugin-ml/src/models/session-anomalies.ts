import { seededRandom, sampleIndices } from '../random.js';
import { robustScale, round } from '../stats.js';
import { HOUR_MS, localParts } from '../time.js';
import { INJECTED_ANOMALY_FLAG, notEnoughData, type ChargerInfo, type ModelMetric, type ModelOutcome, type SessionRecord } from '../types.js';
import { chargingWindow } from './load-series.js';
import { scoreIsolationForest, trainIsolationForest, type CompactForest } from './isolation-forest.js';

export const SESSION_ANOMALIES_MIN_SESSIONS = 50;
/** A charge point with fewer sessions is compared with the whole site instead. */
const MIN_PER_STATION = 30;

const FEATURES = ['energyKwh', 'durationH', 'avgKw', 'peakKw', 'startHour', 'idleH'] as const;
type Feature = (typeof FEATURES)[number];

interface RawFeatures {
  energyKwh: number;
  durationH: number;
  avgKw: number | null;
  peakKw: number | null;
  startHour: number;
  idleH: number | null;
}

/** What is normal at one station (or the site): robust center/scale per feature, start-hour histogram. */
export interface StationNorm {
  scope: string;
  sessions: number;
  center: Record<Exclude<Feature, 'startHour'>, number>;
  scale: Record<Exclude<Feature, 'startHour'>, number>;
  /** Share of sessions starting in each local hour (24 values). */
  hourShare: number[];
}

export interface SessionAnomaly {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  idTag: string;
  startedAt: string;
  stoppedAt: string;
  /** Isolation Forest score, 0..1; above ~0.6 is clearly unusual. */
  score: number;
  rank: number;
  features: RawFeatures;
  /** Which features made it unusual, in words, against what is normal at this station. */
  explanation: string;
  reasons: { feature: Feature; value: number; typical: number; text: string }[];
  flags: readonly string[];
}

export interface SessionAnomalyModel {
  forest: CompactForest;
  norms: Record<string, StationNorm>;
  siteNorm: StationNorm;
  ratings: Record<string, number | null>;
  timeZone: string;
}

export interface SessionAnomalyResult {
  anomalies: SessionAnomaly[];
  scored: number;
  model: SessionAnomalyModel;
}

export function rawFeatures(s: SessionRecord, timeZone: string): RawFeatures {
  const durationH = Math.max(0, s.stoppedAt - s.startedAt) / HOUR_MS;
  const window = chargingWindow(s);
  const chargingH = Math.max(1 / 60, (window.to - window.from) / HOUR_MS);
  return {
    energyKwh: s.energyWh / 1000,
    durationH,
    avgKw: s.avgPowerW !== null ? s.avgPowerW / 1000 : s.energyWh / 1000 / chargingH,
    peakKw: s.maxPowerW !== null ? s.maxPowerW / 1000 : null,
    startHour: localParts(s.startedAt, timeZone).hourFraction,
    idleH: s.idleS !== null ? s.idleS / 3600 : null,
  };
}

function buildNorm(scope: string, rows: readonly RawFeatures[]): StationNorm {
  const center = {} as StationNorm['center'];
  const scale = {} as StationNorm['scale'];
  for (const f of ['energyKwh', 'durationH', 'avgKw', 'peakKw', 'idleH'] as const) {
    const xs = rows.map((r) => r[f]).filter((x): x is number => x !== null);
    const rs = xs.length ? robustScale(xs) : { center: 0, scale: 1 };
    center[f] = rs.center;
    // A floor keeps a station whose sessions are all alike from calling tiny differences unusual.
    scale[f] = Math.max(rs.scale, Math.abs(rs.center) * 0.05, 0.05);
  }
  const hourShare = new Array<number>(24).fill(0);
  for (const r of rows) hourShare[Math.floor(r.startHour) % 24]! += 1 / rows.length;
  return { scope, sessions: rows.length, center, scale, hourShare };
}

function normFor(model: Pick<SessionAnomalyModel, 'norms' | 'siteNorm'>, chargePointId: string): StationNorm {
  return model.norms[chargePointId] ?? model.siteNorm;
}

/** Share of sessions starting within ±1 h of `hour` (circular). */
function hourRarity(norm: StationNorm, hour: number): number {
  const h = Math.floor(hour) % 24;
  return norm.hourShare[(h + 23) % 24]! + norm.hourShare[h]! + norm.hourShare[(h + 1) % 24]!;
}

/** The model's input row: robust z-scores against the station's norm (so "unusual here", not "unusual anywhere"). */
function featureRow(f: RawFeatures, norm: StationNorm): number[] {
  const z = (k: Exclude<Feature, 'startHour'>) => ((f[k] ?? norm.center[k]) - norm.center[k]) / norm.scale[k];
  const rarity = hourRarity(norm, f.startHour);
  const c = (x: number) => Math.sign(x) * Math.log1p(Math.abs(x));
  const zs = [z('energyKwh'), z('durationH'), z('avgKw'), z('peakKw'), z('idleH')];
  const hour = -Math.log(rarity + 0.005);
  // The last column, how far the session is from normal on its most unusual feature, gives the
  // forest an axis on which any single extreme value stands out (not only combinations).
  return [...zs.map(c), hour, Math.log1p(Math.max(...zs.map(Math.abs), 0))];
}

const fmt = (x: number, unit: string) => `${round(x, x < 10 ? 1 : 0)} ${unit}`;

function explain(s: SessionRecord, f: RawFeatures, norm: StationNorm, rating: number | null): { explanation: string; reasons: SessionAnomaly['reasons'] } {
  const where = norm.scope === 'site' ? 'at this site' : `at ${norm.scope}`;
  const reasons: (SessionAnomaly['reasons'][number] & { weight: number })[] = [];
  const add = (feature: Exclude<Feature, 'startHour'>, label: string, unit: string, extra = '') => {
    const v = f[feature];
    if (v === null) return;
    const z = (v - norm.center[feature]) / norm.scale[feature];
    if (Math.abs(z) < 3 && !extra) return;
    const typical = norm.center[feature];
    const ratio = typical > 0.05 ? ` (${round(v / typical, 1)}× the median)` : '';
    reasons.push({ feature, value: round(v, 3), typical: round(typical, 3), weight: Math.abs(z) + (extra ? 10 : 0), text: `${label} ${fmt(v, unit)} vs a typical ${fmt(typical, unit)} ${where}${ratio}${extra}` });
  };
  add('energyKwh', 'energy', 'kWh', rating !== null && f.energyKwh > rating * Math.max(f.durationH, 0.01) * 1.05 ? ` — more than the charger's ${rating} kW rating can deliver in ${fmt(f.durationH, 'h')}` : '');
  add('durationH', 'plugged in for', 'h');
  add('avgKw', 'average power', 'kW');
  add('peakKw', 'peak power', 'kW', rating !== null && f.peakKw !== null && f.peakKw > rating * 1.1 ? ` — above the charger's ${rating} kW rating` : '');
  add('idleH', 'stayed plugged in after charging for', 'h');
  const rarity = hourRarity(norm, f.startHour);
  if (rarity < 0.03) {
    const hh = String(Math.floor(f.startHour)).padStart(2, '0');
    const mm = String(Math.floor((f.startHour % 1) * 60)).padStart(2, '0');
    reasons.push({ feature: 'startHour', value: round(f.startHour, 2), typical: round(argmax(norm.hourShare), 0), weight: 3 + (0.03 - rarity) * 100, text: `started at ${hh}:${mm}, when only ${round(rarity * 100, 1)} % of sessions ${where} start (±1 h)` });
  }
  reasons.sort((a, b) => b.weight - a.weight);
  const top = reasons.slice(0, 3).map(({ weight: _w, ...r }) => r);
  const explanation = top.length
    ? `Unusual ${where}: ${top.map((r) => r.text).join('; ')}.`
    : `An unusual combination of otherwise ordinary values ${where} (no single feature is far from normal).`;
  void s;
  return { explanation, reasons: top };
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** Builds the model (norms + forest) from sessions. */
function fitModel(sessions: readonly SessionRecord[], feats: readonly RawFeatures[], chargers: readonly ChargerInfo[], timeZone: string, seed: number): SessionAnomalyModel {
  const byStation = new Map<string, RawFeatures[]>();
  sessions.forEach((s, i) => {
    const list = byStation.get(s.chargePointId) ?? [];
    list.push(feats[i]!);
    byStation.set(s.chargePointId, list);
  });
  const norms: Record<string, StationNorm> = {};
  for (const [id, rows] of byStation) if (rows.length >= MIN_PER_STATION) norms[id] = buildNorm(id, rows);
  const siteNorm = buildNorm('site', feats);
  const partial = { norms, siteNorm };
  const rows = sessions.map((s, i) => featureRow(feats[i]!, normFor(partial, s.chargePointId)));
  const forest = trainIsolationForest(rows, { seed });
  const ratings: Record<string, number | null> = {};
  for (const c of chargers) ratings[c.id] = c.maxPowerKw;
  return { forest, norms, siteNorm, ratings, timeZone };
}

/** Scores one session with a trained model (used for every newly completed session). */
export function scoreSession(model: SessionAnomalyModel, s: SessionRecord): { score: number; features: RawFeatures; explanation: string; reasons: SessionAnomaly['reasons'] } {
  const f = rawFeatures(s, model.timeZone);
  const norm = normFor(model, s.chargePointId);
  const score = scoreIsolationForest(model.forest, featureRow(f, norm));
  return { score, features: f, ...explain(s, f, norm, model.ratings[s.chargePointId] ?? null) };
}

/** Copies of real sessions changed in ways no driver explains: the held-back check when no labelled anomalies exist. */
function injectAnomalies(sessions: readonly SessionRecord[], k: number, seed: number, timeZone: string): SessionRecord[] {
  const rand = seededRandom(seed + 7);
  return sampleIndices(rand, sessions.length, k).map((i, j) => {
    const s = { ...sessions[i]!, id: -1 - j, flags: ['injected-for-evaluation'] };
    const dur = s.stoppedAt - s.startedAt;
    switch (j % 4) {
      case 0:
        return { ...s, energyWh: s.energyWh * 5, avgPowerW: s.avgPowerW === null ? null : s.avgPowerW * 4 };
      case 1:
        return { ...s, stoppedAt: s.stoppedAt + 20 * HOUR_MS, idleS: (s.idleS ?? 0) + 20 * 3600 };
      case 2: {
        const shift = ((3 - localParts(s.startedAt, timeZone).hourFraction + 24) % 24) * HOUR_MS;
        return { ...s, startedAt: s.startedAt + shift, stoppedAt: s.startedAt + shift + dur, energyWh: s.energyWh * 3 };
      }
      default:
        return { ...s, maxPowerW: (s.maxPowerW ?? s.avgPowerW ?? 7000) * 3, energyWh: s.energyWh * 0.3 };
    }
  });
}

function precisionAtK(scores: readonly number[], isPositive: readonly boolean[], k: number): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  let hits = 0;
  for (let r = 0; r < k && r < order.length; r++) if (isPositive[order[r]![1]]) hits++;
  return k === 0 ? 0 : hits / k;
}

/** The naive detector the model is compared with: the largest robust z-score of energy, duration, powers and idle time. */
function maxZ(f: RawFeatures, norm: StationNorm): number {
  let best = 0;
  for (const k of ['energyKwh', 'durationH', 'avgKw', 'peakKw', 'idleH'] as const) {
    const v = f[k];
    if (v !== null) best = Math.max(best, Math.abs(v - norm.center[k]) / norm.scale[k]);
  }
  return best;
}

/**
 * Isolation Forest on completed sessions (energy, duration, average and peak power, start hour, idle
 * time after charging), each feature measured against what is normal at the session's charge point.
 * Metric: precision@k on the sessions the synthetic generator marked as injected anomalies when there
 * are any, else on k copies of held-back real sessions made anomalous on purpose.
 */
export function trainSessionAnomalies(
  sessions: readonly SessionRecord[],
  chargers: readonly ChargerInfo[],
  options: { timeZone?: string; seed?: number; limit?: number; trainedAt?: Date; syntheticShare?: number; importedShare?: number } = {},
): ModelOutcome<SessionAnomalyResult> {
  const started = Date.now();
  if (sessions.length < SESSION_ANOMALIES_MIN_SESSIONS) return notEnoughData('sessionAnomalies', sessions.length, SESSION_ANOMALIES_MIN_SESSIONS, 'completed sessions');
  const timeZone = options.timeZone ?? 'UTC';
  const seed = options.seed ?? 1;
  const feats = sessions.map((s) => rawFeatures(s, timeZone));
  const model = fitModel(sessions, feats, chargers, timeZone, seed);
  // Scores only: the explanations are written for the sessions shown (the top `limit`).
  const scores = sessions.map((s, i) => scoreIsolationForest(model.forest, featureRow(feats[i]!, normFor(model, s.chargePointId))));

  // Evaluation.
  const labelled = sessions.map((s) => s.flags.includes(INJECTED_ANOMALY_FLAG));
  const positives = labelled.filter(Boolean).length;
  let metric: ModelMetric;
  if (positives > 0) {
    const z = sessions.map((s, i) => maxZ(feats[i]!, normFor(model, s.chargePointId)));
    const p = precisionAtK(scores, labelled, positives);
    const pb = precisionAtK(z, labelled, positives);
    metric = {
      name: 'precision@k',
      value: round(p, 3),
      baseline: { name: 'precision@k of ranking by the largest single-feature robust z-score', value: round(pb, 3) },
      beatsBaseline: p > pb,
      evaluatedOn: `the ${positives} sessions marked as injected anomalies by the synthetic generator (k = ${positives}, among ${sessions.length} sessions; labels not used in training)`,
      extra: { k: positives, randomPrecision: round(positives / sessions.length, 4) },
    };
  } else {
    // Held back: the model is refitted without a sample of sessions, then those sessions, changed to be anomalous, are ranked among the rest.
    const k = Math.max(5, Math.round(sessions.length * 0.01));
    const holdIdx = new Set(sampleIndices(seededRandom(seed + 3), sessions.length, k));
    const kept = sessions.filter((_, i) => !holdIdx.has(i));
    const keptFeats = feats.filter((_, i) => !holdIdx.has(i));
    const evalModel = fitModel(kept, keptFeats, chargers, timeZone, seed + 11);
    const injected = injectAnomalies(sessions.filter((_, i) => holdIdx.has(i)), k, seed, timeZone);
    const pool = [...kept, ...injected];
    const poolScores = pool.map((s) => scoreIsolationForest(evalModel.forest, featureRow(rawFeatures(s, timeZone), normFor(evalModel, s.chargePointId))));
    const z = pool.map((s) => maxZ(rawFeatures(s, timeZone), normFor(evalModel, s.chargePointId)));
    const isInjected = pool.map((s) => s.id < 0);
    const p = precisionAtK(poolScores, isInjected, k);
    const pb = precisionAtK(z, isInjected, k);
    metric = {
      name: 'precision@k',
      value: round(p, 3),
      baseline: { name: 'precision@k of ranking by the largest single-feature robust z-score', value: round(pb, 3) },
      beatsBaseline: p > pb,
      evaluatedOn: `${k} held-back sessions changed to be anomalous (5× energy, +20 h idle, 3 am start, 3× peak power), ranked among ${kept.length} real sessions by a model trained without them`,
      extra: { k, randomPrecision: round(k / pool.length, 4) },
    };
  }

  const order = scores.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]);
  const limit = options.limit ?? 50;
  const anomalies: SessionAnomaly[] = order.slice(0, limit).map(([score, i], r) => {
    const s = sessions[i]!;
    const x = scoreSession(model, s);
    return {
      transactionId: s.id,
      chargePointId: s.chargePointId,
      connectorId: s.connectorId,
      idTag: s.idTag,
      startedAt: new Date(s.startedAt).toISOString(),
      stoppedAt: new Date(s.stoppedAt).toISOString(),
      score: round(score, 4),
      rank: r + 1,
      features: roundFeatures(x.features),
      explanation: x.explanation,
      reasons: x.reasons,
      flags: s.flags,
    };
  });
  return {
    status: 'ok',
    model: 'sessionAnomalies',
    metric,
    training: {
      trainedAt: (options.trainedAt ?? new Date()).toISOString(),
      durationMs: Date.now() - started,
      samples: sessions.length,
      unit: 'sessions',
      syntheticShare: options.syntheticShare ?? 0,
      importedShare: options.importedShare ?? 0,
      seed,
    },
    result: { anomalies, scored: sessions.length, model },
  };
}

function roundFeatures(f: RawFeatures): RawFeatures {
  const r = (x: number | null) => (x === null ? null : round(x, 3));
  return { energyKwh: round(f.energyKwh, 3), durationH: round(f.durationH, 3), avgKw: r(f.avgKw), peakKw: r(f.peakKw), startHour: round(f.startHour, 2), idleH: r(f.idleH) };
}

import { seededRandom, sampleIndices } from '../random.js';
import { median, round } from '../stats.js';
import { notEnoughData, type ModelOutcome } from '../types.js';
import { scoreIsolationForest, trainIsolationForest } from './isolation-forest.js';

/** A transaction's meter readings (from `queries.meterSeries`). */
export interface MeterStream {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  /** Energy.Active.Import.Register readings [ms, Wh], in time order. */
  energy: [number, number][];
  /** Power.Active.Import readings [ms, W]. */
  power: [number, number][];
}

export type MeterAnomalyKind = 'register-reset' | 'implausible-jump' | 'power-above-rating' | 'unusual-pattern';

export interface MeterAnomaly {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  at: string;
  kind: MeterAnomalyKind;
  /** Isolation Forest score of the reading interval (0..1), null for a power reading. */
  score: number | null;
  explanation: string;
}

export interface MeterAnomalyResult {
  anomalies: MeterAnomaly[];
  streams: number;
  intervals: number;
}

export const METER_ANOMALIES_MIN_INTERVALS = 50;
/** Where the charger's rating is unknown: no charger on the market delivers more. */
const UNKNOWN_RATING_KW = 400;

interface Interval {
  stream: MeterStream;
  at: number;
  from: number;
  to: number;
  dtS: number;
  deltaWh: number;
  impliedKw: number;
}

function intervalsOf(stream: MeterStream): Interval[] {
  const out: Interval[] = [];
  for (let i = 1; i < stream.energy.length; i++) {
    const [t0, e0] = stream.energy[i - 1]!;
    const [t1, e1] = stream.energy[i]!;
    const dtS = Math.max(1, (t1 - t0) / 1000);
    out.push({ stream, at: t1, from: e0, to: e1, dtS, deltaWh: e1 - e0, impliedKw: (e1 - e0) / 1000 / (dtS / 3600) });
  }
  return out;
}

function row(iv: Interval, ratingKw: number): number[] {
  return [iv.impliedKw / ratingKw, Math.log10(iv.dtS), Math.sign(iv.deltaWh) * Math.log10(1 + Math.abs(iv.deltaWh))];
}

/**
 * Meter stream checks per transaction: register resets (the register goes backwards), implausible
 * jumps (energy that would need more than 1.5× the charger's rating), power readings above the
 * rating (+10 %), and intervals an Isolation Forest finds unusual among all intervals of the site.
 * Metric: precision@k of the forest's ranking on k held-back intervals turned into resets and jumps.
 */
export function trainMeterAnomalies(
  streams: readonly MeterStream[],
  ratings: Record<string, number | null>,
  options: { seed?: number; limit?: number; trainedAt?: Date; syntheticShare?: number; importedShare?: number } = {},
): ModelOutcome<MeterAnomalyResult> {
  const started = Date.now();
  const seed = options.seed ?? 1;
  const intervals = streams.flatMap(intervalsOf);
  if (intervals.length < METER_ANOMALIES_MIN_INTERVALS) return notEnoughData('meterAnomalies', intervals.length, METER_ANOMALIES_MIN_INTERVALS, 'meter reading intervals');
  const ratingOf = (id: string) => ratings[id] ?? UNKNOWN_RATING_KW;
  const rows = intervals.map((iv) => row(iv, ratingOf(iv.stream.chargePointId)));
  const forest = trainIsolationForest(rows, { seed, subsample: 512 });
  const scores = rows.map((r) => scoreIsolationForest(forest, r));
  const typicalKw = median(intervals.map((iv) => iv.impliedKw).filter((x) => x > 0));

  const anomalies: MeterAnomaly[] = [];
  intervals.forEach((iv, i) => {
    const rating = ratings[iv.stream.chargePointId] ?? null;
    const base = { transactionId: iv.stream.transactionId, chargePointId: iv.stream.chargePointId, connectorId: iv.stream.connectorId, at: new Date(iv.at).toISOString(), score: round(scores[i]!, 4) };
    if (iv.deltaWh < -1) {
      anomalies.push({ ...base, kind: 'register-reset', explanation: `the energy register went backwards from ${iv.from} Wh to ${iv.to} Wh (a reset, a meter swap or a wrong reading)` });
    } else if (iv.deltaWh > 100 && iv.impliedKw > 1.5 * ratingOf(iv.stream.chargePointId)) {
      anomalies.push({
        ...base,
        kind: 'implausible-jump',
        explanation: `the register rose by ${round(iv.deltaWh / 1000, 2)} kWh in ${Math.round(iv.dtS)} s, which would need ${round(iv.impliedKw, 0)} kW; ${rating === null ? `no charger delivers more than ${UNKNOWN_RATING_KW} kW` : `the charger is rated ${rating} kW`} (typical here: ${round(typicalKw, 1)} kW)`,
      });
    } else if (scores[i]! >= 0.75) {
      anomalies.push({ ...base, kind: 'unusual-pattern', explanation: `an unusual reading interval: ${round(iv.deltaWh, 0)} Wh in ${Math.round(iv.dtS)} s (${round(iv.impliedKw, 1)} kW; typical here ${round(typicalKw, 1)} kW)` });
    }
  });
  for (const s of streams) {
    const rating = ratings[s.chargePointId] ?? null;
    if (rating === null) continue;
    for (const [t, w] of s.power) {
      if (w / 1000 > rating * 1.1) {
        anomalies.push({ transactionId: s.transactionId, chargePointId: s.chargePointId, connectorId: s.connectorId, at: new Date(t).toISOString(), kind: 'power-above-rating', score: null, explanation: `a power reading of ${round(w / 1000, 1)} kW is above the charger's ${rating} kW rating` });
      }
    }
  }
  const weight = (a: MeterAnomaly) => (a.kind === 'unusual-pattern' ? 0 : 1) + (a.score ?? 0.9);
  anomalies.sort((a, b) => weight(b) - weight(a));

  // Held-back evaluation: k normal intervals turned into resets and jumps, ranked by the forest among the rest.
  const rand = seededRandom(seed + 5);
  const k = Math.max(3, Math.round(intervals.length * 0.01));
  const picked = new Set(sampleIndices(rand, intervals.length, k));
  const evalRows: number[][] = [];
  const isFault: boolean[] = [];
  intervals.forEach((iv, i) => {
    const rating = ratingOf(iv.stream.chargePointId);
    if (!picked.has(i)) {
      evalRows.push(rows[i]!);
      isFault.push(false);
      return;
    }
    const fault: Interval = i % 2 === 0 ? { ...iv, deltaWh: -Math.max(1000, iv.from), impliedKw: -Math.max(1000, iv.from) / 1000 / (iv.dtS / 3600) } : { ...iv, deltaWh: iv.deltaWh + rating * 1000, impliedKw: iv.impliedKw + rating * 3600 / iv.dtS };
    evalRows.push(row(fault, rating));
    isFault.push(true);
  });
  const evalForest = trainIsolationForest(evalRows.filter((_, i) => !isFault[i]), { seed: seed + 9, subsample: 512 });
  const evalScores = evalRows.map((r) => scoreIsolationForest(evalForest, r));
  const top = (scores: readonly number[]) =>
    scores
      .map((s, i) => [s, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, k)
      .filter(([, i]) => isFault[i]).length / k;
  // The detector as shipped ranks rule hits (resets: negative energy; jumps: above 1.5× the rating) first, then the forest's score.
  const shipped = evalRows.map((r, i) => (r[2]! < -Math.log10(2) || r[0]! > 1.5 ? 1 : 0) + evalScores[i]!);
  const precision = top(shipped);
  const forestOnly = top(evalScores);
  return {
    status: 'ok',
    model: 'meterAnomalies',
    metric: {
      name: 'precision@k',
      value: round(precision, 3),
      baseline: { name: 'precision@k of a random ranking', value: round(k / evalRows.length, 4) },
      beatsBaseline: precision > k / evalRows.length,
      evaluatedOn: `${k} held-back reading intervals turned into register resets and jumps of one rated hour of energy, ranked (rule hits first, then the score of a forest trained without them) among ${evalRows.length - k} intervals`,
      extra: { k, forestOnlyPrecision: round(forestOnly, 3) },
    },
    training: {
      trainedAt: (options.trainedAt ?? new Date()).toISOString(),
      durationMs: Date.now() - started,
      samples: intervals.length,
      unit: 'meter reading intervals',
      syntheticShare: options.syntheticShare ?? 0,
      importedShare: options.importedShare ?? 0,
      seed,
    },
    result: { anomalies: anomalies.slice(0, options.limit ?? 100), streams: streams.length, intervals: intervals.length },
  };
}

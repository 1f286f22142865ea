import { round } from '../stats.js';
import { HOUR_MS, WEEK_HOURS, floorHour, localParts } from '../time.js';
import { notEnoughData, type ChargerInfo, type ModelOutcome, type SessionRecord } from '../types.js';

export const AVAILABILITY_MIN_HOURS = 21 * 24;
const TEST_HOURS = 7 * 24;

export interface ConnectorAvailability {
  chargePointId: string;
  connectorId: number;
  /** Probability the connector is free, per hour of the week (0 = Monday 00:00 local .. 167 = Sunday 23:00). */
  freeProbability: number[];
}

export interface AvailabilityResult {
  timeZone: string;
  connectors: ConnectorAvailability[];
  /** Expected share of the site's connectors that are free, per hour of the week. */
  site: number[];
}

/** Occupied share (0..1) of each hour for one connector: a connector is taken from start to stop (idle included). */
function occupancy(sessions: readonly SessionRecord[], startMs: number, hours: number): Float64Array {
  const occ = new Float64Array(hours);
  const endMs = startMs + hours * HOUR_MS;
  for (const s of sessions) {
    let t = Math.max(s.startedAt, startMs);
    const end = Math.min(s.stoppedAt, endMs);
    while (t < end) {
      const i = Math.floor((t - startMs) / HOUR_MS);
      const until = Math.min(end, startMs + (i + 1) * HOUR_MS);
      occ[i]! += (until - t) / HOUR_MS;
      t = until;
    }
  }
  for (let i = 0; i < hours; i++) occ[i] = Math.min(1, occ[i]!);
  return occ;
}

function profile(occ: Float64Array, hows: readonly number[], from: number, to: number): { free: number[]; overall: number } {
  const sum = new Array<number>(WEEK_HOURS).fill(0);
  const count = new Array<number>(WEEK_HOURS).fill(0);
  let total = 0;
  for (let i = from; i < to; i++) {
    sum[hows[i]!]! += occ[i]!;
    count[hows[i]!]!++;
    total += occ[i]!;
  }
  const overall = to > from ? total / (to - from) : 0;
  // Laplace-style smoothing towards the connector's overall rate: slots seen rarely are not 0 or 1.
  const free = sum.map((s, i) => 1 - (s + overall * 2) / (count[i]! + 2));
  return { free, overall };
}

/**
 * The probability that each connector is free, per hour of the week, from the sessions' start and
 * stop times (a connector counts as taken until the car leaves, idle time included). Evaluated on
 * the last 7 days, learnt from the days before, against the connector's constant overall rate.
 */
export function trainAvailability(
  sessions: readonly SessionRecord[],
  chargers: readonly ChargerInfo[],
  range: { from: number; to: number },
  options: { timeZone?: string; seed?: number; trainedAt?: Date; syntheticShare?: number; importedShare?: number } = {},
): ModelOutcome<AvailabilityResult> {
  const started = Date.now();
  const timeZone = options.timeZone ?? 'UTC';
  const first = sessions.length ? Math.min(...sessions.map((s) => s.startedAt)) : range.to;
  const startMs = floorHour(Math.max(range.from, first));
  const hours = Math.max(0, Math.floor((range.to - startMs) / HOUR_MS));
  if (hours < AVAILABILITY_MIN_HOURS || sessions.length === 0) return notEnoughData('availability', sessions.length === 0 ? 0 : hours, AVAILABILITY_MIN_HOURS, 'hours of session history');
  const hows = Array.from({ length: hours }, (_, i) => localParts(startMs + i * HOUR_MS, timeZone).hourOfWeek);

  const keys = new Map<string, { chargePointId: string; connectorId: number; sessions: SessionRecord[] }>();
  for (const c of chargers) for (const id of c.connectorIds) keys.set(`${c.id}/${id}`, { chargePointId: c.id, connectorId: id, sessions: [] });
  for (const s of sessions) {
    const k = `${s.chargePointId}/${s.connectorId}`;
    if (!keys.has(k)) keys.set(k, { chargePointId: s.chargePointId, connectorId: s.connectorId, sessions: [] });
    keys.get(k)!.sessions.push(s);
  }

  const cut = hours - TEST_HOURS;
  let err = 0;
  let errBase = 0;
  let n = 0;
  const connectors: ConnectorAvailability[] = [];
  for (const { chargePointId, connectorId, sessions: list } of [...keys.values()].sort((a, b) => (a.chargePointId + a.connectorId).localeCompare(b.chargePointId + b.connectorId))) {
    const occ = occupancy(list, startMs, hours);
    const trained = profile(occ, hows, 0, cut);
    for (let i = cut; i < hours; i++) {
      const actualFree = 1 - occ[i]!;
      err += Math.abs(actualFree - trained.free[hows[i]!]!);
      errBase += Math.abs(actualFree - (1 - trained.overall));
      n++;
    }
    const full = profile(occ, hows, 0, hours);
    connectors.push({ chargePointId, connectorId, freeProbability: full.free.map((p) => round(p, 3)) });
  }
  const site = Array.from({ length: WEEK_HOURS }, (_, h) => round(connectors.reduce((s, c) => s + c.freeProbability[h]!, 0) / Math.max(1, connectors.length), 3));
  const value = err / n;
  const base = errBase / n;
  return {
    status: 'ok',
    model: 'availability',
    metric: {
      name: 'MAE of the free share per connector-hour',
      value: round(value, 4),
      baseline: { name: "MAE of each connector's constant overall free rate", value: round(base, 4) },
      beatsBaseline: value < base,
      evaluatedOn: `the last 7 days (${n} connector-hours), learnt from the ${Math.round(cut / 24)} days before`,
    },
    training: {
      trainedAt: (options.trainedAt ?? new Date()).toISOString(),
      durationMs: Date.now() - started,
      samples: hours,
      unit: 'hours',
      syntheticShare: options.syntheticShare ?? 0,
      importedShare: options.importedShare ?? 0,
      seed: options.seed ?? 0,
    },
    result: { timeZone, connectors, site },
  };
}

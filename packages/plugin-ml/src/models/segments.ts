import { kmeans } from 'ml-kmeans';
import { mean, round, std } from '../stats.js';
import { DAY_MS, HOUR_MS, localParts } from '../time.js';
import { notEnoughData, type ModelOutcome, type SessionRecord } from '../types.js';

/** idTags needed (each with at least MIN_SESSIONS_PER_TAG sessions). */
export const SEGMENTS_MIN_ID_TAGS = 12;
const MIN_SESSIONS_PER_TAG = 2;
const K_RANGE = [2, 3, 4, 5, 6, 7, 8];
const UNKNOWN_ID_TAG = 'UNKNOWN';

/** Per-idTag behaviour the segments are built from. */
export interface DriverBehaviour {
  idTag: string;
  sessions: number;
  sessionsPerWeek: number;
  kwhPerSession: number;
  durationH: number;
  /** Circular mean of local start hours. */
  preferredHour: number;
  /** Share of sessions on Saturday/Sunday. */
  weekendShare: number;
}

export interface Segment {
  id: number;
  /** Named from the centroid, e.g. "evening commuters". */
  name: string;
  description: string;
  size: number;
  centroid: Omit<DriverBehaviour, 'idTag' | 'sessions'>;
  idTags: string[];
}

export interface SegmentsResult {
  k: number;
  silhouetteByK: Record<string, number>;
  segments: Segment[];
  /** idTag → segment id. */
  assignments: Record<string, number>;
}

const FEATURE_NAMES = ['sessionsPerWeek', 'kwhPerSession', 'durationH', 'hourSin', 'hourCos', 'weekendShare'] as const;

export function driverBehaviour(sessions: readonly SessionRecord[], timeZone: string): DriverBehaviour[] {
  const byTag = new Map<string, SessionRecord[]>();
  for (const s of sessions) {
    // Imported rows without a user column are all `UNKNOWN` (the core's history service): not a driver.
    if (s.idTag === UNKNOWN_ID_TAG) continue;
    const list = byTag.get(s.idTag) ?? [];
    list.push(s);
    byTag.set(s.idTag, list);
  }
  const span = sessions.length ? Math.max(7 * DAY_MS, Math.max(...sessions.map((s) => s.startedAt)) - Math.min(...sessions.map((s) => s.startedAt))) : 7 * DAY_MS;
  const out: DriverBehaviour[] = [];
  for (const [idTag, list] of byTag) {
    if (list.length < MIN_SESSIONS_PER_TAG) continue;
    let sx = 0;
    let sy = 0;
    let weekend = 0;
    for (const s of list) {
      const lp = localParts(s.startedAt, timeZone);
      const a = (lp.hourFraction / 24) * 2 * Math.PI;
      sx += Math.cos(a);
      sy += Math.sin(a);
      if (lp.weekday >= 5) weekend++;
    }
    const angle = Math.atan2(sy, sx);
    out.push({
      idTag,
      sessions: list.length,
      sessionsPerWeek: list.length / (span / (7 * DAY_MS)),
      kwhPerSession: mean(list.map((s) => s.energyWh / 1000)),
      durationH: mean(list.map((s) => (s.stoppedAt - s.startedAt) / HOUR_MS)),
      preferredHour: (((angle / (2 * Math.PI)) * 24) + 24) % 24,
      weekendShare: weekend / list.length,
    });
  }
  return out.sort((a, b) => a.idTag.localeCompare(b.idTag));
}

function vector(b: DriverBehaviour): number[] {
  const a = (b.preferredHour / 24) * 2 * Math.PI;
  return [Math.log1p(b.sessionsPerWeek), b.kwhPerSession, Math.log1p(b.durationH), Math.sin(a) * 1.5, Math.cos(a) * 1.5, b.weekendShare * 2];
}

function standardise(rows: number[][]): { rows: number[][]; center: number[]; scale: number[] } {
  const d = rows[0]!.length;
  const center: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < d; j++) {
    const col = rows.map((r) => r[j]!);
    center.push(j === 3 || j === 4 || j === 5 ? 0 : mean(col));
    scale.push(j === 3 || j === 4 || j === 5 ? 1 : std(col) || 1);
  }
  return { rows: rows.map((r) => r.map((x, j) => (x - center[j]!) / scale[j]!)), center, scale };
}

const dist = (a: readonly number[], b: readonly number[]) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));

/** Mean silhouette coefficient (Rousseeuw 1987) of a clustering. */
export function silhouette(rows: readonly number[][], clusters: readonly number[], k: number): number {
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (let j = 0; j < rows.length; j++) {
      if (i === j) continue;
      sums[clusters[j]!]! += dist(rows[i]!, rows[j]!);
      counts[clusters[j]!]!++;
    }
    const own = clusters[i]!;
    if (counts[own] === 0) continue; // singleton: s = 0
    const a = sums[own]! / counts[own]!;
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && counts[c]! > 0) b = Math.min(b, sums[c]! / counts[c]!);
    total += b === Infinity ? 0 : (b - a) / Math.max(a, b);
  }
  return total / rows.length;
}

/** A name from the centroid: when they come, how often, how long. */
export function segmentName(c: Segment['centroid']): { name: string; description: string } {
  const h = c.preferredHour;
  const when = h >= 5 && h < 11 ? 'morning' : h >= 11 && h < 16 ? 'midday' : h >= 16 && h < 22 ? 'evening' : 'night';
  let name: string;
  if (c.sessionsPerWeek >= 6) name = 'fleet and taxi drivers';
  else if (c.weekendShare >= 0.6) name = 'weekend visitors';
  else if (c.durationH >= 5 && when === 'morning') name = 'daytime workplace chargers';
  else if (c.sessionsPerWeek >= 1.5) name = `${when} commuters`;
  else name = `occasional ${when} visitors`;
  const description =
    `${round(c.sessionsPerWeek, 1)} sessions a week, ${round(c.kwhPerSession, 1)} kWh per session, ` +
    `plugged in ${round(c.durationH, 1)} h, usually arriving around ${String(Math.floor(h)).padStart(2, '0')}:00, ` +
    `${Math.round(c.weekendShare * 100)} % of sessions at weekends`;
  return { name, description };
}

/**
 * K-Means driver segments on per-idTag behaviour (sessions per week, kWh per session, duration,
 * preferred hour, weekend share), features standardised; k from 2..8 chosen by the highest mean
 * silhouette; segments named from their centroids. Deterministic with a seed.
 */
export function trainSegments(
  sessions: readonly SessionRecord[],
  options: { timeZone?: string; seed?: number; trainedAt?: Date; syntheticShare?: number; importedShare?: number } = {},
): ModelOutcome<SegmentsResult> {
  const started = Date.now();
  const timeZone = options.timeZone ?? 'UTC';
  const seed = options.seed ?? 1;
  const behaviour = driverBehaviour(sessions, timeZone);
  if (behaviour.length < SEGMENTS_MIN_ID_TAGS) {
    return notEnoughData('segments', behaviour.length, SEGMENTS_MIN_ID_TAGS, `idTags with at least ${MIN_SESSIONS_PER_TAG} sessions`);
  }
  const { rows } = standardise(behaviour.map(vector));
  const silhouetteByK: Record<string, number> = {};
  let best: { k: number; clusters: number[]; s: number } | null = null;
  for (const k of K_RANGE) {
    if (k >= behaviour.length / 2) break;
    // Several seeded restarts per k; the lowest within-cluster error wins.
    let bestRun: { clusters: number[]; err: number } | null = null;
    for (let r = 0; r < 5; r++) {
      const res = kmeans(rows, k, { seed: seed * 31 + r, initialization: 'kmeans++', maxIterations: 200 });
      const err = rows.reduce((s, row, i) => s + dist(row, res.centroids[res.clusters[i]!]!) ** 2, 0);
      if (!bestRun || err < bestRun.err) bestRun = { clusters: res.clusters, err };
    }
    const s = silhouette(rows, bestRun!.clusters, k);
    silhouetteByK[String(k)] = round(s, 4);
    if (!best || s > best.s + 1e-9) best = { k, clusters: bestRun!.clusters, s };
  }
  const { k, clusters } = best!;
  const segments: Segment[] = [];
  for (let c = 0; c < k; c++) {
    const members = behaviour.filter((_, i) => clusters[i] === c);
    if (members.length === 0) continue;
    let sx = 0;
    let sy = 0;
    for (const m of members) {
      sx += Math.cos((m.preferredHour / 24) * 2 * Math.PI);
      sy += Math.sin((m.preferredHour / 24) * 2 * Math.PI);
    }
    const centroid = {
      sessionsPerWeek: round(mean(members.map((m) => m.sessionsPerWeek)), 3),
      kwhPerSession: round(mean(members.map((m) => m.kwhPerSession)), 3),
      durationH: round(mean(members.map((m) => m.durationH)), 3),
      preferredHour: round((((Math.atan2(sy, sx) / (2 * Math.PI)) * 24) + 24) % 24, 2),
      weekendShare: round(mean(members.map((m) => m.weekendShare)), 3),
    };
    segments.push({ id: c, ...segmentName(centroid), size: members.length, centroid, idTags: members.map((m) => m.idTag) });
  }
  // Two segments with the same name get a distinguishing suffix.
  const seen = new Map<string, number>();
  for (const s of segments.sort((a, b) => b.size - a.size)) {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    if (n > 1) s.name = `${s.name} (${s.centroid.kwhPerSession >= 20 ? 'high' : 'low'} energy, group ${n})`;
  }
  const assignments: Record<string, number> = {};
  behaviour.forEach((b, i) => (assignments[b.idTag] = clusters[i]!));
  return {
    status: 'ok',
    model: 'segments',
    metric: {
      name: 'silhouette',
      value: round(best!.s, 4),
      baseline: null,
      beatsBaseline: null,
      evaluatedOn: `mean silhouette of ${behaviour.length} idTags in standardised feature space; k = ${k} chosen as the highest silhouette of k = ${Object.keys(silhouetteByK).join(', ')} (above 0.5: well separated; below 0.25: weak structure)`,
      extra: { k, features: FEATURE_NAMES.join(', ') },
    },
    training: {
      trainedAt: (options.trainedAt ?? new Date()).toISOString(),
      durationMs: Date.now() - started,
      samples: behaviour.length,
      unit: 'idTags',
      syntheticShare: options.syntheticShare ?? 0,
      importedShare: options.importedShare ?? 0,
      seed,
    },
    result: { k, silhouetteByK, segments, assignments },
  };
}

import type { SessionRecord } from '../types.js';
import { HOUR_MS, floorHour } from '../time.js';

/** An hourly series: `values[i]` is the average over the hour starting at `startMs + i h`. */
export interface HourlySeries {
  startMs: number;
  values: number[];
}

/**
 * The time a session was actually drawing power: from its start until charging ended (stop minus
 * the idle time when known; else energy / average power when known; else the whole session).
 */
export function chargingWindow(s: SessionRecord): { from: number; to: number } {
  const total = Math.max(0, s.stoppedAt - s.startedAt);
  let charging = total;
  if (s.idleS !== null && s.idleS >= 0) charging = Math.max(0, total - s.idleS * 1000);
  else if (s.avgPowerW !== null && s.avgPowerW > 0) charging = Math.min(total, (s.energyWh / s.avgPowerW) * HOUR_MS);
  if (charging <= 0) charging = Math.min(total, 60_000) || 60_000;
  return { from: s.startedAt, to: s.startedAt + charging };
}

/**
 * Average site power (kW) per hour from completed sessions: each session's energy is spread evenly
 * over its charging window. This works for imported history that has no meter samples as well as for
 * sessions recorded live. Hours without sessions are 0 kW.
 */
export function hourlyLoad(sessions: readonly SessionRecord[], range: { from: number; to: number }, filter?: (s: SessionRecord) => boolean): HourlySeries {
  const startMs = floorHour(range.from);
  const hours = Math.max(0, Math.ceil((range.to - startMs) / HOUR_MS));
  const wh = new Float64Array(hours);
  for (const s of sessions) {
    if (filter && !filter(s)) continue;
    if (s.energyWh <= 0) continue;
    const { from, to } = chargingWindow(s);
    const span = Math.max(1, to - from);
    const rate = s.energyWh / span; // Wh per ms
    let t = Math.max(from, startMs);
    const end = Math.min(to, startMs + hours * HOUR_MS);
    while (t < end) {
      const i = Math.floor((t - startMs) / HOUR_MS);
      const hourEnd = startMs + (i + 1) * HOUR_MS;
      const until = Math.min(end, hourEnd);
      wh[i]! += (until - t) * rate;
      t = until;
    }
  }
  // Wh in one hour = average W over the hour; / 1000 → kW.
  return { startMs, values: Array.from(wh, (x) => x / 1000) };
}

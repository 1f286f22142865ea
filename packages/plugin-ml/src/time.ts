/** Local time in an IANA time zone (the site's), computed with Intl and cached per hour. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_HOURS = 168;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a clear error for an unknown time zone name. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatter(timeZone);
  } catch {
    throw new Error(`unknown time zone "${timeZone}": use an IANA name such as "Asia/Jakarta" or "UTC"`);
  }
}

const offsetCache = new Map<string, number>();

/** The zone's offset from UTC in ms at `ms` (positive east of Greenwich). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const hourKey = `${timeZone}|${Math.floor(ms / HOUR_MS)}`;
  const cached = offsetCache.get(hourKey);
  if (cached !== undefined) return cached;
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000) * 60_000;
  if (offsetCache.size > 200_000) offsetCache.clear();
  offsetCache.set(hourKey, offset);
  return offset;
}

export interface LocalParts {
  /** 0..23 */
  hour: number;
  /** Fractional hour 0..24 */
  hourFraction: number;
  /** 0 = Monday .. 6 = Sunday */
  weekday: number;
  /** 0..167, Monday 00:00 = 0 */
  hourOfWeek: number;
  /** YYYY-MM-DD (local) */
  date: string;
}

export function localParts(ms: number, timeZone: string): LocalParts {
  const local = new Date(ms + zoneOffsetMs(ms, timeZone));
  const hour = local.getUTCHours();
  const weekday = (local.getUTCDay() + 6) % 7;
  return {
    hour,
    hourFraction: hour + local.getUTCMinutes() / 60,
    weekday,
    hourOfWeek: weekday * 24 + hour,
    date: local.toISOString().slice(0, 10),
  };
}

/**
 * Epoch ms of a local wall-clock time in the zone (e.g. '2026-01-02T08:30:00' in Asia/Jakarta).
 * Two passes settle the offset around daylight-saving changes.
 */
export function zonedWallTimeToUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return guess;
}

export const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

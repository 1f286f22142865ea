/**
 * Wall-clock time in an IANA time zone (the site's), with Intl only: the zone's offset at an
 * instant and the instant a local wall time means. Shared by the core's calendar buckets
 * (`queries.sessionStats`) and plugins (`@charge-it/plugin-ml`'s hour-of-day / day-of-week
 * features), so that every "local hour" or "local day" in the system is cut the same way.
 * Dependency-free, so it is exported from `@charge-it/core/kernel` as well as `@charge-it/core`.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone name this runtime knows (e.g. `Asia/Jakarta`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The offset to the second (historic local mean times have seconds, e.g. Jakarta's +07:07:12). */
function exactOffsetAt(timeZone: string, ms: number): number {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(ms / 1000) * 1000;
}

const hourOffsets = new Map<string, number>();
const HOUR_OFFSETS_MAX = 100_000;

/**
 * The zone's offset from UTC at the instant `ms`, in milliseconds (east positive: Asia/Jakarta
 * +25 200 000). Cached per UTC hour, but only for an hour whose first and last millisecond have the
 * same offset: an hour holding a change (Australia/Adelaide and America/St_Johns change on the half
 * hour) is computed exactly on each call. Throws a RangeError for an unknown zone (see `isTimeZone`).
 */
export function offsetAt(timeZone: string, ms: number): number {
  if (timeZone === 'UTC') return 0;
  const hour = Math.floor(ms / HOUR_MS);
  const key = `${timeZone}|${hour}`;
  const cached = hourOffsets.get(key);
  if (cached !== undefined) return cached;
  const start = exactOffsetAt(timeZone, hour * HOUR_MS);
  if (start !== exactOffsetAt(timeZone, hour * HOUR_MS + HOUR_MS - 1)) return exactOffsetAt(timeZone, ms);
  if (hourOffsets.size >= HOUR_OFFSETS_MAX) hourOffsets.clear();
  hourOffsets.set(key, start);
  return start;
}

/**
 * The UTC instant (epoch ms) a local wall time means in `timeZone`; `localMs` is the wall time
 * written as if it were UTC (`Date.UTC(year, month - 1, day, hour, minute, second)`). Around an
 * offset change it decides like JavaScript's `Date` and Temporal's `'compatible'`: a wall time that
 * occurs twice (clocks turned back) is the earlier instant; one that is skipped (clocks turned
 * forward) moves forward by the gap (Europe/Berlin 2026-03-29 02:30 → 03:30 CEST), so a local
 * day or hour starting in a gap starts when the gap ends.
 */
export function localToUtc(timeZone: string, localMs: number): number {
  // The real instant is within ±14 h of the wall time read as UTC; no zone changes offset twice in two days.
  const before = offsetAt(timeZone, localMs - DAY_MS);
  const after = offsetAt(timeZone, localMs + DAY_MS);
  const withBefore = localMs - before;
  if (offsetAt(timeZone, withBefore) === before) return withBefore; // the only one, or the earlier of two
  const withAfter = localMs - after;
  if (offsetAt(timeZone, withAfter) === after) return withAfter;
  return withBefore; // skipped: the offset before the change puts it the gap's length later
}

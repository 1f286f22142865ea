/**
 * Calendar buckets (hour, day, month) in an IANA time zone, for aggregates that the database
 * groups in UTC: the range is cut into pieces of constant UTC offset (a DST change starts a new
 * piece), and within a piece a local hour or day is `floor((utc + offset) / unit)`. Every real
 * offset is a whole number of minutes, so this is exact for all zones (Asia/Jakarta +07:00,
 * India +05:30, Nepal +05:45, and zones with DST alike).
 */

import { offsetAt } from '../../kernel/time-zone.js';

// The zone primitives are public (`@charge-it/core`, `@charge-it/core/kernel`); re-exported for the query module.
export { isTimeZone, localToUtc, offsetAt } from '../../kernel/time-zone.js';

export type CalendarBucket = 'hour' | 'day' | 'month';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Pieces of [from, to) with one UTC offset each. */
export function constantOffsetPieces(timeZone: string, from: number, to: number): { from: number; to: number; offsetMs: number }[] {
  const pieces: { from: number; to: number; offsetMs: number }[] = [];
  let start = from;
  while (start < to) {
    const offset = offsetAt(timeZone, start);
    // Step by a day (no zone changes offset twice within a day), then narrow the change down to the minute.
    let probe = start;
    while (probe < to && offsetAt(timeZone, probe) === offset) probe = Math.min(to, probe + DAY_MS);
    let end = probe;
    if (probe < to || offsetAt(timeZone, Math.max(start, to - 1)) !== offset) {
      // Offsets change on whole minutes: search on the minute grid (lo keeps the old offset, hi has the new one).
      let lo = Math.floor(Math.max(start, probe - DAY_MS) / 60_000) * 60_000;
      let hi = Math.ceil(probe / 60_000) * 60_000;
      while (hi - lo > 60_000) {
        const mid = lo + Math.max(60_000, Math.floor((hi - lo) / 2 / 60_000) * 60_000);
        if (offsetAt(timeZone, mid) === offset) lo = mid;
        else hi = mid;
      }
      end = Math.max(start + 1, Math.min(hi, to));
    }
    pieces.push({ from: start, to: end, offsetMs: offset });
    start = end;
  }
  return pieces;
}

/** The local calendar fields of a local-time key (ms since epoch of local wall time). */
function wall(localMs: number): { y: number; m: number; d: number; h: number } {
  const d = new Date(localMs);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours() };
}

/** Local wall-time key of the bucket `localMs` (wall time as if UTC) falls in. */
export function bucketKey(bucket: CalendarBucket, localMs: number): number {
  const w = wall(localMs);
  if (bucket === 'hour') return Date.UTC(w.y, w.m, w.d, w.h);
  if (bucket === 'day') return Date.UTC(w.y, w.m, w.d);
  return Date.UTC(w.y, w.m, 1);
}

/** The next bucket's key after `key`. */
export function nextBucketKey(bucket: CalendarBucket, key: number): number {
  if (bucket === 'hour') return key + HOUR_MS;
  const w = wall(key);
  return bucket === 'day' ? Date.UTC(w.y, w.m, w.d + 1) : Date.UTC(w.y, w.m + 1, 1);
}

/** The unit the database groups by for a bucket (months are built from days). */
export function groupUnitMs(bucket: CalendarBucket): number {
  return bucket === 'hour' ? HOUR_MS : DAY_MS;
}

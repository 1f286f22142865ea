/**
 * The models' calendar features in the site's time zone. The zone arithmetic itself (offsets,
 * wall time → instant) is the core's (`@charge-it/core/kernel`: the same cut of local hours and
 * days as the core's statistics, and light enough for the training worker to import).
 */
import { isTimeZone, offsetAt } from '@charge-it/core/kernel';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_HOURS = 168;

/** Throws a clear error for an unknown time zone name. */
export function assertTimeZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) throw new Error(`unknown time zone "${timeZone}": use an IANA name such as "Asia/Jakarta" or "UTC"`);
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
  const local = new Date(ms + offsetAt(timeZone, ms));
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

export const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

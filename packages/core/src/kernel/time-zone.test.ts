import { describe, expect, it } from 'vitest';
import { isTimeZone, localToUtc, offsetAt } from './time-zone.js';

const t = (iso: string) => Date.parse(iso);
const minutes = (ms: number) => ms / 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('time zone helpers', () => {
  it('knows zone names and offsets, including half and quarter hours and historic seconds', () => {
    expect(isTimeZone('Asia/Jakarta')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(() => offsetAt('Mars/Olympus', 0)).toThrow(RangeError);
    expect(minutes(offsetAt('Asia/Jakarta', t('2026-03-01T00:00:00Z')))).toBe(420);
    expect(minutes(offsetAt('Asia/Kathmandu', t('2026-03-01T00:00:00Z')))).toBe(345);
    expect(offsetAt('UTC', t('2026-03-01T00:00:00Z'))).toBe(0);
    // Local mean time of Batavia before 1924: +07:07:12, kept to the second.
    expect(offsetAt('Asia/Jakarta', t('1900-01-01T00:00:00Z')) / 1000).toBe(7 * 3600 + 7 * 60 + 12);
  });

  it('is exact in an hour holding an offset change on the half hour, whichever instant is asked first', () => {
    // Australia/Adelaide: ACDT +10:30 → ACST +09:30 at 2024-04-06T16:30:00Z (in the middle of a UTC hour).
    expect(minutes(offsetAt('Australia/Adelaide', t('2024-04-06T16:45:00Z')))).toBe(570);
    expect(minutes(offsetAt('Australia/Adelaide', t('2024-04-06T16:15:00Z')))).toBe(630);
    expect(minutes(offsetAt('Australia/Adelaide', t('2024-04-06T16:45:00Z')))).toBe(570);
    // America/St_Johns: NST -03:30 → NDT -02:30 at 2024-03-10T05:30:00Z.
    expect(minutes(offsetAt('America/St_Johns', t('2024-03-10T05:10:00Z')))).toBe(-210);
    expect(minutes(offsetAt('America/St_Johns', t('2024-03-10T05:40:00Z')))).toBe(-150);
    expect(minutes(offsetAt('America/St_Johns', t('2024-03-10T05:10:00Z')))).toBe(-210);
  });

  it('maps wall times to instants: a repeated one is the earlier instant, a skipped one moves forward by the gap', () => {
    expect(iso(localToUtc('Asia/Jakarta', t('2026-03-01T00:00:00Z')))).toBe('2026-02-28T17:00:00.000Z');
    expect(iso(localToUtc('Asia/Kathmandu', t('2026-03-01T00:00:00Z')))).toBe('2026-02-28T18:15:00.000Z');
    // Europe/Berlin: 02:30 on 2026-10-25 happens twice (CEST, then CET); 02:30 on 2026-03-29 never.
    expect(iso(localToUtc('Europe/Berlin', t('2026-10-25T02:30:00Z')))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(localToUtc('Europe/Berlin', t('2026-03-29T02:30:00Z')))).toBe('2026-03-29T01:30:00.000Z');
    // America/New_York: 01:30 on 2026-11-01 twice (EDT first); 02:30 on 2026-03-08 skipped (→ 03:30 EDT).
    expect(iso(localToUtc('America/New_York', t('2026-11-01T01:30:00Z')))).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(localToUtc('America/New_York', t('2026-03-08T02:30:00Z')))).toBe('2026-03-08T07:30:00.000Z');
    // Australia/Adelaide: 02:15 on 2024-04-07 twice (ACDT first); America/St_Johns: 02:00 on 2024-03-10 skipped (→ 03:00 NDT).
    expect(iso(localToUtc('Australia/Adelaide', t('2024-04-07T02:15:00Z')))).toBe('2024-04-06T15:45:00.000Z');
    expect(iso(localToUtc('America/St_Johns', t('2024-03-10T02:00:00Z')))).toBe('2024-03-10T05:30:00.000Z');
    // Round trip through a year: an instant's wall time maps back to that instant, or to the earlier
    // instant with the same wall time (the repeated hour in October).
    for (let ms = t('2026-01-01T00:00:00Z'); ms < t('2027-01-01T00:00:00Z'); ms += 47 * 60_000) {
      const wall = ms + offsetAt('Europe/Berlin', ms);
      const back = localToUtc('Europe/Berlin', wall);
      expect(back + offsetAt('Europe/Berlin', back), iso(ms)).toBe(wall);
      expect([ms, ms - 3_600_000], iso(ms)).toContain(back);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { bucketKey, constantOffsetPieces, isTimeZone, localToUtc, nextBucketKey, offsetAt } from './time-buckets.js';

const t = (iso: string) => Date.parse(iso);

describe('time buckets', () => {
  it('knows zone offsets, including half and quarter hours', () => {
    expect(offsetAt('Asia/Jakarta', t('2026-03-01T00:00:00Z'))).toBe(7 * 3_600_000);
    expect(offsetAt('Asia/Kolkata', t('2026-03-01T00:00:00Z'))).toBe(5.5 * 3_600_000);
    expect(offsetAt('Asia/Kathmandu', t('2026-03-01T00:00:00Z'))).toBe(5.75 * 3_600_000);
    expect(isTimeZone('Asia/Jakarta')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('cuts a range at DST changes, to the minute', () => {
    // Europe/Berlin: CET → CEST at 2026-03-29T01:00:00Z, back at 2026-10-25T01:00:00Z.
    const pieces = constantOffsetPieces('Europe/Berlin', t('2026-03-01T00:00:00Z'), t('2026-11-01T00:00:00Z'));
    expect(pieces.map((p) => [new Date(p.from).toISOString(), new Date(p.to).toISOString(), p.offsetMs / 3_600_000])).toEqual([
      ['2026-03-01T00:00:00.000Z', '2026-03-29T01:00:00.000Z', 1],
      ['2026-03-29T01:00:00.000Z', '2026-10-25T01:00:00.000Z', 2],
      ['2026-10-25T01:00:00.000Z', '2026-11-01T00:00:00.000Z', 1],
    ]);
    expect(constantOffsetPieces('Asia/Jakarta', t('2026-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z'))).toHaveLength(1);
  });

  it('maps local bucket keys back to UTC instants and steps through months', () => {
    const local = t('2026-03-01T23:30:00Z'); // a wall time, as if UTC
    expect(new Date(bucketKey('day', local)).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(new Date(localToUtc('Asia/Jakarta', bucketKey('day', local))).toISOString()).toBe('2026-02-28T17:00:00.000Z');
    expect(new Date(nextBucketKey('month', t('2026-12-01T00:00:00Z'))).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(localToUtc('Europe/Berlin', t('2026-03-30T00:00:00Z'))).toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });
});

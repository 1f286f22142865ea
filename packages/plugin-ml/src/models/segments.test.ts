import { describe, expect, it } from 'vitest';
import { history, recordsOf } from '../../test/support/synthetic.js';
import { SEGMENTS_MIN_ID_TAGS, trainSegments } from './segments.js';

describe('driver segments (K-Means, k by silhouette)', () => {
  const h = history();
  const records = recordsOf(h);

  it('recovers the generated driver types and names them from their centroids', () => {
    const out = trainSegments(records, { timeZone: 'Asia/Jakarta', seed: 1 });
    if (out.status !== 'ok') throw new Error(out.message);
    expect(out.result.k).toBe(4);
    expect(out.metric.name).toBe('silhouette');
    expect(out.metric.value!).toBeGreaterThan(0.5);
    expect(Object.keys(out.result.silhouetteByK)).toContain('4');
    // Purity: every segment holds drivers of one generated type.
    for (const seg of out.result.segments) {
      const types = new Set(seg.idTags.map((t) => h.drivers.get(t)));
      expect(types.size).toBe(1);
    }
    const byType = Object.fromEntries(out.result.segments.map((s) => [h.drivers.get(s.idTags[0]!)!, s.name]));
    expect(byType).toEqual({
      'evening-commuter': 'evening commuters',
      'daytime-worker': 'daytime workplace chargers',
      'fleet-taxi': 'fleet and taxi drivers',
      'weekend-visitor': 'weekend visitors',
    });
    expect(out.result.segments.find((s) => s.name === 'evening commuters')!.description).toMatch(/arriving around 1[789]:00/);
  });

  it('leaves out sessions without a known driver (imported as UNKNOWN)', () => {
    const withUnknown = [...records, ...records.slice(0, 50).map((r, i) => ({ ...r, id: 100_000 + i, idTag: 'UNKNOWN' }))];
    const out = trainSegments(withUnknown, { timeZone: 'Asia/Jakarta', seed: 1 });
    if (out.status !== 'ok') throw new Error(out.message);
    expect(out.result.assignments.UNKNOWN).toBeUndefined();
    expect(out.result.k).toBe(4);
  });

  it('is deterministic with a seed', () => {
    const a = trainSegments(records, { timeZone: 'Asia/Jakarta', seed: 5, trainedAt: new Date(0) });
    const b = trainSegments(records, { timeZone: 'Asia/Jakarta', seed: 5, trainedAt: new Date(0) });
    if (a.status !== 'ok' || b.status !== 'ok') throw new Error('expected ok');
    expect(a.result).toEqual(b.result);
  });

  it('says "not enough data yet" with too few drivers', () => {
    expect(trainSegments([])).toMatchObject({ status: 'not-enough-data', have: 0, need: SEGMENTS_MIN_ID_TAGS });
    const few = records.filter((r) => ['SYN-EC001', 'SYN-DW001', 'SYN-FT001'].includes(r.idTag));
    expect(trainSegments(few)).toMatchObject({ status: 'not-enough-data', have: 3, unit: 'idTags with at least 2 sessions' });
  });
});

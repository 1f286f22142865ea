import { describe, expect, it } from 'vitest';
import { desiredEntries, diffEntries, limitEntries, planLocalListUpdate } from './local-list-plan.js';

const now = new Date('2026-06-01T00:00:00.000Z');

describe('desiredEntries', () => {
  it('carries status, expiry and parent; an Accepted tag past its expiry is Expired', () => {
    const entries = desiredEntries(
      [
        { idTag: 'A', status: 'Accepted', parentIdTag: 'P', expiryDate: new Date('2027-01-01T00:00:00.000Z') },
        { idTag: 'B', status: 'Accepted', expiryDate: new Date('2026-01-01T00:00:00.000Z') },
        { idTag: 'C', status: 'Blocked', parentIdTag: null, expiryDate: null },
      ],
      now,
    );
    expect(entries).toEqual({
      A: { status: 'Accepted', expiryDate: '2027-01-01T00:00:00.000Z', parentIdTag: 'P' },
      B: { status: 'Expired', expiryDate: '2026-01-01T00:00:00.000Z' },
      C: { status: 'Blocked' },
    });
  });
});

describe('diffEntries', () => {
  it('lists added and changed tags with idTagInfo and removed ones without', () => {
    const held = { A: { status: 'Accepted' as const }, B: { status: 'Accepted' as const }, C: { status: 'Accepted' as const } };
    const wanted = { A: { status: 'Accepted' as const }, B: { status: 'Blocked' as const }, D: { status: 'Accepted' as const } };
    expect(diffEntries(held, wanted)).toEqual([
      { idTag: 'B', idTagInfo: { status: 'Blocked' } },
      { idTag: 'C' },
      { idTag: 'D', idTagInfo: { status: 'Accepted' } },
    ]);
  });

  it('sees a changed expiry or parent', () => {
    expect(diffEntries({ A: { status: 'Accepted', parentIdTag: 'P' } }, { A: { status: 'Accepted' } })).toEqual([{ idTag: 'A', idTagInfo: { status: 'Accepted' } }]);
    expect(diffEntries({ A: { status: 'Accepted' } }, { A: { status: 'Accepted', expiryDate: 'x' } })).toHaveLength(1);
    expect(diffEntries({ A: { status: 'Accepted', expiryDate: 'x' } }, { A: { status: 'Accepted', expiryDate: 'x' } })).toEqual([]);
  });
});

describe('limitEntries', () => {
  it('keeps Accepted tags first, in idTag order', () => {
    const { entries, truncated } = limitEntries({ Z: { status: 'Accepted' }, A: { status: 'Blocked' }, M: { status: 'Accepted' } }, 2);
    expect(Object.keys(entries)).toEqual(['M', 'Z']);
    expect(truncated).toBe(1);
    expect(limitEntries({ A: { status: 'Accepted' } }, null).truncated).toBe(0);
  });
});

describe('planLocalListUpdate', () => {
  const wanted = { A: { status: 'Accepted' as const }, B: { status: 'Accepted' as const }, C: { status: 'Blocked' as const } };

  it('Full: one message with every entry at fromVersion + 1', () => {
    const plan = planLocalListUpdate({ updateType: 'Full', held: {}, wanted, fromVersion: 0, chunkSize: 100, maxEntries: null });
    expect(plan.messages).toHaveLength(1);
    expect(plan.messages[0]).toMatchObject({ updateType: 'Full', listVersion: 1 });
    expect(plan.messages[0]!.localAuthorizationList.map((e) => e.idTag)).toEqual(['A', 'B', 'C']);
    expect(plan.messages[0]!.entriesAfter).toEqual(wanted);
    expect(plan.entriesSent).toBe(3);
  });

  it('Full of an empty table still sends one (empty) Full update', () => {
    const plan = planLocalListUpdate({ updateType: 'Full', held: { A: { status: 'Accepted' } }, wanted: {}, fromVersion: 4, chunkSize: 100, maxEntries: null });
    expect(plan.messages).toEqual([{ updateType: 'Full', listVersion: 5, localAuthorizationList: [], entriesAfter: {} }]);
  });

  it('Full longer than the chunk size: Full first, then Differential chunks, one version each', () => {
    const plan = planLocalListUpdate({ updateType: 'Full', held: {}, wanted, fromVersion: 2, chunkSize: 2, maxEntries: null });
    expect(plan.messages.map((m) => [m.updateType, m.listVersion, m.localAuthorizationList.length])).toEqual([
      ['Full', 3, 2],
      ['Differential', 4, 1],
    ]);
    expect(plan.messages[1]!.entriesAfter).toEqual(wanted);
  });

  it('Differential: only the changes; none → no message', () => {
    const held = { A: { status: 'Accepted' as const }, B: { status: 'Accepted' as const }, X: { status: 'Accepted' as const } };
    const plan = planLocalListUpdate({ updateType: 'Differential', held, wanted, fromVersion: 1, chunkSize: 100, maxEntries: null });
    expect(plan.messages).toHaveLength(1);
    expect(plan.messages[0]).toMatchObject({
      updateType: 'Differential',
      listVersion: 2,
      localAuthorizationList: [{ idTag: 'C', idTagInfo: { status: 'Blocked' } }, { idTag: 'X' }],
    });
    expect(plan.messages[0]!.entriesAfter).toEqual(wanted);
    expect(planLocalListUpdate({ updateType: 'Differential', held: wanted, wanted, fromVersion: 2, chunkSize: 100, maxEntries: null }).messages).toEqual([]);
  });

  it('respects LocalAuthListMaxLength', () => {
    const plan = planLocalListUpdate({ updateType: 'Full', held: {}, wanted, fromVersion: 0, chunkSize: 100, maxEntries: 2 });
    expect(plan.truncated).toBe(1);
    expect(Object.keys(plan.messages[0]!.entriesAfter)).toEqual(['A', 'B']);
  });
});

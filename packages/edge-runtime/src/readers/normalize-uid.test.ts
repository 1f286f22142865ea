import { describe, expect, it } from 'vitest';
import { normalizeUid } from './normalize-uid.js';

describe('normalizeUid', () => {
  it('gives one spelling for the styles USB readers type', () => {
    for (const raw of ['04a23b1c', ' 04:A2:3B:1C ', '04 a2 3b 1c', '04-a2-3b-1c\r', '04.A2.3B.1C']) {
      expect(normalizeUid(raw)).toBe('04A23B1C');
    }
  });
  it('keeps decimal and alphanumeric tokens', () => {
    expect(normalizeUid('0012345678')).toBe('0012345678');
    expect(normalizeUid('member-42x')).toBe('MEMBER42X');
  });
  it('rejects what cannot be an idTag', () => {
    expect(normalizeUid('   ')).toBeNull();
    expect(normalizeUid('0'.repeat(21))).toBeNull();
    expect(normalizeUid('04\u0000A2')).toBeNull();
    expect(normalizeUid('änderung')).toBeNull();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizationCache } from './authorization-cache.js';
import { LocalAuthList } from './local-auth-list.js';

describe('AuthorizationCache and LocalAuthList', () => {
  let dir: string;
  let now = 1_000_000;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'auth-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('evicts invalid entries first, then the oldest; expired entries read as Expired; persisted', () => {
    const cache = new AuthorizationCache({ file: join(dir, 'c.json'), maxEntries: () => 3, now: () => now });
    cache.put('A', { status: 'Accepted' });
    now++;
    cache.put('B', { status: 'Blocked' });
    now++;
    cache.put('C', { status: 'Accepted', expiryDate: new Date(now + 10).toISOString() });
    now++;
    cache.put('D', { status: 'Accepted' });
    expect(cache.get('B')).toBeUndefined();
    now += 100;
    expect(cache.get('C')?.status).toBe('Expired');
    cache.put('E', { status: 'Accepted' });
    expect(cache.get('C')).toBeUndefined();
    cache.put('F', { status: 'Accepted' });
    expect(cache.get('A')).toBeUndefined();
    const again = new AuthorizationCache({ file: join(dir, 'c.json'), maxEntries: () => 3, now: () => now });
    expect(again.size).toBe(3);
    again.clear();
    expect(new AuthorizationCache({ file: join(dir, 'c.json'), maxEntries: () => 3, now: () => now }).size).toBe(0);
  });

  it('local list: Full replaces, Differential needs a higher version, entries without idTagInfo are removed', () => {
    const list = new LocalAuthList({ file: join(dir, 'l.json') });
    expect(list.version).toBe(0);
    expect(list.update({ listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: 'A', idTagInfo: { status: 'Accepted' } }] }, 10)).toBe('Accepted');
    expect(list.update({ listVersion: 2, updateType: 'Differential', localAuthorizationList: [] }, 10)).toBe('VersionMismatch');
    expect(list.update({ listVersion: 3, updateType: 'Differential', localAuthorizationList: [{ idTag: 'A' }, { idTag: 'B', idTagInfo: { status: 'Blocked' } }] }, 10)).toBe('Accepted');
    expect(list.get('A')).toBeUndefined();
    expect(list.update({ listVersion: 4, updateType: 'Differential', localAuthorizationList: [{ idTag: 'C', idTagInfo: { status: 'Accepted' } }] }, 1)).toBe('Failed');
    const again = new LocalAuthList({ file: join(dir, 'l.json') });
    expect(again.version).toBe(3);
    expect(again.get('B')?.status).toBe('Blocked');
  });
});

import { describe, expect, it } from 'vitest';
import { KeyedTimers } from './keyed-timers.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('KeyedTimers', () => {
  it('debounces per key, forgets a key once its callback ran, cancels by key, match and all', async () => {
    const timers = new KeyedTimers<string>();
    const ran: string[] = [];
    timers.set('a', 5, () => ran.push('a1'));
    timers.set('a', 5, () => ran.push('a2')); // replaces a1
    timers.set('b', 5, () => ran.push('b'));
    expect(timers.size).toBe(2);
    for (let i = 0; i < 400 && timers.size > 0; i++) await tick(5);
    expect(ran.sort()).toEqual(['a2', 'b']);
    expect(timers.has('a')).toBe(false);

    timers.set('cp2\u00001', 60_000, () => ran.push('never'));
    expect(timers.delete('cp2\u00001')).toBe(true);
    expect(timers.delete('cp2\u00001')).toBe(false);
    timers.set('x', 60_000, () => ran.push('never'));
    timers.clear();
    expect(timers.size).toBe(0);
    expect(ran).not.toContain('never');
  });
});

import { describe, expect, it } from 'vitest';
import { TIMED_OUT, withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  it('passes on the value, a rejection, and a synchronous throw of a function', async () => {
    expect(await withTimeout(Promise.resolve(42), 1_000)).toBe(42);
    expect(await withTimeout(() => 'sync', 1_000)).toBe('sync');
    await expect(withTimeout(Promise.reject(new Error('boom')), 1_000)).rejects.toThrow('boom');
    await expect(
      withTimeout(() => {
        throw new Error('thrown');
      }, 1_000),
    ).rejects.toThrow('thrown');
  });

  it('resolves TIMED_OUT when the work does not settle in time, and a late rejection is not unhandled', async () => {
    let reject!: (err: Error) => void;
    const never = new Promise<number>((_, r) => (reject = r));
    expect(await withTimeout(never, 5)).toBe(TIMED_OUT);
    reject(new Error('late'));
    await new Promise((r) => setImmediate(r));
  });

  it('a function that returns a plain value starts no timer; one that returns a promise does, and it is cleared', async () => {
    const realSetTimeout = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    try {
      expect(await withTimeout(() => 7, 1_000)).toBe(7);
      expect(await withTimeout(() => undefined, 1_000)).toBeUndefined();
      expect(timers).toBe(0);
      expect(await withTimeout(async () => 8, 1_000)).toBe(8);
      expect(timers).toBe(1);
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
  });
});

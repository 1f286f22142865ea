import { afterEach, describe, expect, it } from 'vitest';
import { LoadGauge } from './load-gauge.js';

/** Keeps the event loop running code (no I/O wait) for `ms`. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spins in slices of 40 ms with a 1 ms breather, so the gauge's timer can sample in between. */
async function busyFor(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    spin(40);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('LoadGauge', () => {
  let gauge: LoadGauge | undefined;
  afterEach(() => gauge?.close());

  it('an idle process is calm: calm() resolves at once', async () => {
    gauge = new LoadGauge({ intervalMs: 20 });
    gauge.start();
    await sleep(60);
    expect(gauge.utilization).toBeLessThan(0.7);
    expect(gauge.busy).toBe(false);
    let released = false;
    void gauge.calm().then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(true);
  });

  it('a busy loop holds calm() until the loop is idle again', async () => {
    gauge = new LoadGauge({ intervalMs: 50, busyAbove: 0.7, maxDeferMs: 60_000 });
    gauge.start();
    await busyFor(200);
    expect(gauge.utilization).toBeGreaterThan(0.7);
    expect(gauge.busy).toBe(true);
    let released = false;
    const waiting = gauge.calm().then(() => (released = true));
    await busyFor(200);
    expect(released).toBe(false);
    await sleep(150); // idle: the next samples are calm
    await waiting;
    expect(released).toBe(true);
    expect(gauge.busy).toBe(false);
  });

  it('a task waits at most maxDeferMs, even while the loop stays busy', async () => {
    gauge = new LoadGauge({ intervalMs: 20, busyAbove: 0.5, maxDeferMs: 100 });
    gauge.start();
    await busyFor(100);
    expect(gauge.busy).toBe(true);
    let released = false;
    void gauge.calm().then(() => (released = true));
    await busyFor(300);
    expect(gauge.busy).toBe(true);
    expect(released).toBe(true);
  });

  it('busyAbove 1 never defers; close() releases every waiter and defers nothing after', async () => {
    const never = new LoadGauge({ intervalMs: 20, busyAbove: 1 });
    never.start();
    await busyFor(100);
    expect(never.busy).toBe(false);
    never.close();

    gauge = new LoadGauge({ intervalMs: 20, busyAbove: 0.5 });
    gauge.start();
    await busyFor(100);
    expect(gauge.busy).toBe(true);
    let released = 0;
    void gauge.calm().then(() => released++);
    void gauge.calm().then(() => released++);
    gauge.close();
    await Promise.resolve();
    expect(released).toBe(2);
    await gauge.calm();
  });
});

import { silentLogger } from '@charge-it/core/kernel';
import { describe, expect, it } from 'vitest';
import { LevelPoller } from './level-poller.js';

/** Drives a LevelPoller read by read: each read returns the next scripted level at the next scripted time. */
function scripted(levels: Array<[atMs: number, level: boolean | Error]>, debounceMs: number) {
  let clock = 0;
  let i = 0;
  const changes: Array<[number, boolean]> = [];
  let reads = 0;
  const poller = new LevelPoller({
    pollMs: 5,
    debounceMs,
    log: silentLogger,
    what: 'test input',
    now: () => clock,
    read: () => {
      reads++;
      const [at, level] = levels[Math.min(i, levels.length - 1)] as [number, boolean | Error];
      i++;
      clock = at;
      if (level instanceof Error) throw level;
      return level;
    },
    onChange: (c) => changes.push([clock, c]),
  });
  return {
    poller,
    changes,
    async runAll() {
      poller.start();
      const deadline = Date.now() + 10_000;
      while (reads < levels.length + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      poller.stop();
    },
  };
}

describe('LevelPoller', () => {
  it('reports the first stable state, ignores bounces shorter than the debounce, reports a level held long enough', async () => {
    const s = scripted(
      [
        [0, false],
        [10, false],
        [50, false], // stable low since 0 → reported at 50
        [60, true],
        [70, false], // bounce of 10 ms: ignored
        [80, false],
        [100, true],
        [120, true],
        [150, true], // high since 100, held 50 → reported at 150
        [160, new Error('EIO')], // a failed read keeps the state
        [170, true],
      ],
      50,
    );
    await s.runAll();
    expect(s.changes).toEqual([
      [50, false],
      [150, true],
    ]);
    expect(s.poller.state).toBe(true);
  });

  it('with debounce 0 reports every change at once', async () => {
    const s = scripted(
      [
        [0, true],
        [5, false],
        [10, true],
      ],
      0,
    );
    await s.runAll();
    expect(s.changes).toEqual([
      [0, true],
      [5, false],
      [10, true],
    ]);
  });
});

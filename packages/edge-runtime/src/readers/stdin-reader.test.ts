import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CardDebouncer } from './card-debouncer.js';
import { createReaderTestContext } from './reader-test-context.js';
import { stdinReader } from './stdin-reader.js';
import type { CardOutcome } from './reader-context.js';

function collector() {
  const outcomes: Array<[string, CardOutcome]> = [];
  let wake: (() => void) | null = null;
  return {
    outcomes,
    onOutcome: (idTag: string, outcome: CardOutcome) => {
      outcomes.push([idTag, outcome]);
      wake?.();
    },
    /** Resolves once `n` outcomes arrived (bounded by the test timeout). */
    until: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (outcomes.length >= n ? resolve() : (wake = check));
        check();
      }),
  };
}

describe('stdinReader', () => {
  it('presents each typed line as a normalised card, in order: start, refuse, stop', async () => {
    const input = new PassThrough();
    const ctx = createReaderTestContext();
    const c = collector();
    let t = 0;
    stdinReader({ input, connectorId: 1, now: () => t, onOutcome: c.onOutcome }).setup(ctx);

    input.write('04:a2:3b:1c\n');
    t += 5000;
    input.write('DEADBEEF\r\n');
    t += 5000;
    input.write('04 A2 3B 1C\n');
    await c.until(3);
    expect(ctx.cards).toEqual([
      { idTag: '04A23B1C', connectorId: 1, source: 'stdin-reader' },
      { idTag: 'DEADBEEF', connectorId: 1, source: 'stdin-reader' },
      { idTag: '04A23B1C', connectorId: 1, source: 'stdin-reader' },
    ]);
    expect(c.outcomes.map(([, o]) => o.result)).toEqual(['started', 'refused', 'stopped']);
    await ctx.close();
  });

  it('drops repeated taps of the same card within the debounce window, not other cards', async () => {
    const input = new PassThrough();
    const ctx = createReaderTestContext();
    const c = collector();
    let t = 0;
    stdinReader({ input, debounceMs: 2000, now: () => t, onOutcome: c.onOutcome }).setup(ctx);

    input.write('AABBCCDD\n');
    t += 500;
    input.write('aa:bb:cc:dd\n'); // same card, held on the reader: ignored
    t += 100;
    input.write('11223344\n'); // another card: presented (and refused)
    t += 3000;
    input.write('AABBCCDD\n'); // away long enough: a new tap
    input.write('\n');
    input.write('x'.repeat(30) + '\n'); // too long for an idTag: ignored
    await c.until(3);
    expect(ctx.cards.map((card) => card.idTag)).toEqual(['AABBCCDD', '11223344', 'AABBCCDD']);
    expect(ctx.cards[0]).not.toHaveProperty('connectorId');
    await ctx.close();
  });

  it('stops reading on close', async () => {
    const input = new PassThrough();
    const ctx = createReaderTestContext();
    stdinReader({ input }).setup(ctx);
    await ctx.close();
    input.write('AABBCCDD\n');
    await new Promise((r) => setImmediate(r));
    expect(ctx.cards).toEqual([]);
  });
});

describe('CardDebouncer', () => {
  it('keeps suppressing a card that stays on the reader (sliding window)', () => {
    let t = 0;
    const d = new CardDebouncer(1000, () => t);
    expect(d.accept('A')).toBe(true);
    for (let i = 0; i < 5; i++) {
      t += 900;
      expect(d.accept('A')).toBe(false);
    }
    t += 1000;
    expect(d.accept('A')).toBe(true);
    expect(d.accept('B')).toBe(true);
    expect(d.accept('A')).toBe(true);
  });
});
